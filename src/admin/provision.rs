//! [`OktaAdmin::create_service_app`]: a spec in, a proven service app out,
//! or nothing left behind that the error does not list. The steps, in
//! order; the spec is in `spec`, the undo after a failure in `cleanup`.

use tracing::Instrument;

use super::apps::RegisteredClient;
use super::builder::DEFAULT_RATE_LIMIT_MAX_WAIT;
use super::cleanup::{Made, answer_lost, leftovers};
use super::client::OktaAdmin;
use super::error::{Cleanup, ProvisionError, ProvisionStep};
use super::spec::{NewKey, PROVE_RETRY_DELAY, ProvisionedApp, ServiceAppSpec, dpop_mode};
use crate::error::Error;
use crate::key::SigningKey;
use crate::service_app::ServiceAppSource;
use crate::token::{AccessToken, TokenSource};

impl OktaAdmin {
    /// Provisions an API service app from `spec`, in order:
    ///
    /// 1. generates its key (P-256 by default; `kid`: its thumbprint unless
    ///    given);
    /// 2. registers the client (`POST /oauth2/v1/clients`: client
    ///    credentials, `private_key_jwt`, the public JWK with its `kid`);
    /// 3. sets its DPoP requirement (`settings.oauthClient.dpop_bound_access_tokens`
    ///    through the Apps API, sent explicitly either way);
    /// 4. grants each scope (`POST /api/v1/apps/{appId}/grants`, issuer the
    ///    org), one call each;
    /// 5. assigns each admin role (`POST /oauth2/v1/clients/{clientId}/roles`);
    /// 6. proves the result: fetches a token for the granted scopes with a
    ///    [`ServiceAppSource`] (DPoP-bound when required), retrying a new
    ///    app's race with its grants ([`DEFAULT_PROVE_ATTEMPTS`],
    ///    [`PROVE_RETRY_DELAY`]).
    ///
    /// The admin needs `okta.clients.register` (or `.manage`),
    /// `okta.apps.manage`, `okta.appGrants.manage` and `okta.roles.manage`
    /// (an API token of a super admin has them all).
    ///
    /// Runs in an `info` span `okta_provision` (`name`, then `client_id`),
    /// each call in its own `okta_admin_call` span.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a spec that could not work (no name, no scope,
    /// a malformed scope, an empty `kid`), before anything is made.
    /// Otherwise a failed step is an [`Error::Provision`]: its
    /// [`ProvisionError`] names the step, the client id once there is one,
    /// and the cause; what had been created is deactivated and deleted
    /// (unless [`keep_on_failure`](ServiceAppSpec::keep_on_failure)), and
    /// if that fails too, the error lists what was left behind.
    ///
    /// [`DEFAULT_PROVE_ATTEMPTS`]: crate::admin::DEFAULT_PROVE_ATTEMPTS
    pub async fn create_service_app(&self, spec: ServiceAppSpec) -> Result<ProvisionedApp, Error> {
        spec.check()?;
        let span = tracing::info_span!(
            "okta_provision",
            name = spec.name.as_str(),
            client_id = tracing::field::Empty,
        );
        self.provision(spec, span.clone()).instrument(span).await
    }

    async fn provision(
        &self,
        spec: ServiceAppSpec,
        span: tracing::Span,
    ) -> Result<ProvisionedApp, Error> {
        let failed = |step, client_id, cause, cleanup, left_behind| {
            Error::Provision(Box::new(ProvisionError {
                name: spec.name.clone(),
                step,
                client_id,
                cause,
                cleanup,
                left_behind,
            }))
        };
        let key = match new_key(spec.key, spec.kid.as_deref()).await {
            Ok(key) => key,
            Err(e) => {
                let step = ProvisionStep::GenerateKey;
                return Err(failed(step, None, e, Cleanup::NothingCreated, Vec::new()));
            }
        };
        let client: RegisteredClient =
            match self.register_client(&spec.name, &[key.public_jwk()]).await {
                Ok(client) => client,
                Err(e) => {
                    let cleanup = if answer_lost(&e) {
                        Cleanup::Uncertain
                    } else {
                        Cleanup::NothingCreated
                    };
                    return Err(failed(
                        ProvisionStep::Register,
                        None,
                        e,
                        cleanup,
                        Vec::new(),
                    ));
                }
            };
        let client_id = client.client_id;
        span.record("client_id", client_id.as_str());
        tracing::debug!(client_id, "service app registered");

        let mut made = Made::default();
        match self.finish(&spec, &client_id, &key, &mut made).await {
            Ok(_token) => Ok(ProvisionedApp {
                app_id: client_id.clone(),
                client_id,
                key,
                scopes: spec.scopes.clone(),
                grants: made.grants,
                roles: made.roles,
                require_dpop: spec.require_dpop,
                org: self.org_url().clone(),
            }),
            Err((step, cause)) => {
                tracing::debug!(%step, client_id, "provisioning failed; cleaning up");
                let (cleanup, active) = if spec.keep_on_failure {
                    (Cleanup::Kept, true)
                } else {
                    self.undo(&client_id).await
                };
                let left_behind = match cleanup {
                    Cleanup::Kept | Cleanup::UndoFailed(_) => leftovers(&client_id, active, &made),
                    _ => Vec::new(),
                };
                Err(failed(step, Some(client_id), cause, cleanup, left_behind))
            }
        }
    }

    /// Steps 3 to 6, recording in `made` what they made.
    async fn finish(
        &self,
        spec: &ServiceAppSpec,
        client_id: &str,
        key: &SigningKey,
        made: &mut Made,
    ) -> Result<AccessToken, (ProvisionStep, Error)> {
        self.set_app_dpop(client_id, spec.require_dpop)
            .await
            .map_err(|e| (ProvisionStep::SetDpop, e))?;
        for scope in &spec.scopes {
            let grant = self
                .grant_scope(client_id, scope)
                .await
                .map_err(|e| (ProvisionStep::Grant(scope.clone()), e))?;
            made.grants.push(grant);
        }
        for role in &spec.roles {
            let assignment = self
                .assign_role(client_id, role)
                .await
                .map_err(|e| (ProvisionStep::AssignRole(role.clone()), e))?;
            made.roles.push(assignment);
        }
        self.prove(spec, client_id, key)
            .await
            .map_err(|e| (ProvisionStep::ProveToken, e))
    }

    /// A token for the granted scopes with the new app, retried while the
    /// app may still be racing its grants.
    async fn prove(
        &self,
        spec: &ServiceAppSpec,
        client_id: &str,
        key: &SigningKey,
    ) -> Result<AccessToken, Error> {
        let source = ServiceAppSource::builder(self.org_url().clone(), client_id)
            .private_key(key.clone())
            .scopes(spec.scopes.iter().cloned())
            .dpop(dpop_mode(spec.require_dpop))
            .http_client(self.http().clone())
            .build()?;
        let mut attempt = 1;
        loop {
            match source.token().await {
                Ok(token) => return Ok(token),
                Err(e) if attempt < spec.prove_attempts && may_be_racing(&e) => {
                    let wait = e
                        .retry_after()
                        .map_or(PROVE_RETRY_DELAY, |w| w.min(DEFAULT_RATE_LIMIT_MAX_WAIT));
                    tracing::debug!(attempt, ?wait, error = %e, "the new app's token fetch failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A new key of `kind`, its `kid` the given one or its thumbprint.
async fn new_key(kind: NewKey, kid: Option<&str>) -> Result<SigningKey, Error> {
    let key = match kind {
        NewKey::P256 => SigningKey::generate_p256(),
        NewKey::Rsa { bits } => tokio::task::spawn_blocking(move || SigningKey::generate_rsa(bits))
            .await
            .map_err(|_| Error::Key("rsa key generation did not finish".into()))??,
    };
    let kid = kid.map_or_else(|| key.thumbprint(), str::to_owned);
    Ok(key.with_kid(kid))
}

/// Whether a new app's failed token fetch may succeed a moment later: a
/// transient error, or one of the answers a brand-new app gets while Okta
/// catches up with its registration and grants.
fn may_be_racing(e: &Error) -> bool {
    e.is_transient()
        || e.oauth_error().is_some_and(|o| {
            matches!(
                o.error(),
                "invalid_client" | "invalid_scope" | "consent_required" | "unauthorized_client"
            )
        })
}
