//! [`OktaAdmin::create_service_app`]: a spec in, a proven service app out,
//! or nothing left behind that the error does not list.

use std::time::Duration;

use tracing::Instrument;

use super::apps::RegisteredClient;
use super::client::{DEFAULT_RATE_LIMIT_MAX_WAIT, OktaAdmin};
use super::error::{Cleanup, Leftover, ProvisionError, ProvisionStep};
use super::grants::ScopeGrant;
use super::roles::{AdminRole, RoleAssignment};
use crate::error::Error;
use crate::key::SigningKey;
use crate::org::OrgUrl;
use crate::service_app::{DpopMode, ServiceAppSource, ServiceAppSourceBuilder};
use crate::token::{AccessToken, TokenSource};

/// Whether a provisioned app's token requests must prove possession of a
/// key (DPoP): `true`, as Okta makes new service apps.
pub const DEFAULT_REQUIRE_DPOP: bool = true;

/// Whether what a failed provisioning created is kept: `false`, it is
/// deactivated and deleted.
pub const DEFAULT_KEEP_ON_FAILURE: bool = false;

/// The key a provisioned app gets: a new P-256 key (`ES256`).
pub const DEFAULT_NEW_KEY: NewKey = NewKey::P256;

/// How many token fetches prove a new app before provisioning gives up: 6.
/// On a real org a brand-new app's first token request can race its
/// registration and grants (`invalid_client`, `invalid_scope`,
/// `consent_required`), so those, and transient errors, are retried.
pub const DEFAULT_PROVE_ATTEMPTS: u32 = 6;

/// The wait between two proving fetches: half a second (a `429` waits what
/// the server said, at most [`DEFAULT_RATE_LIMIT_MAX_WAIT`]). With
/// [`DEFAULT_PROVE_ATTEMPTS`] a new app has about 2.5 s to become usable.
pub const PROVE_RETRY_DELAY: Duration = Duration::from_millis(500);

/// The private key a provisioned app gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NewKey {
    /// A new P-256 key, signing `ES256`: small and fast.
    P256,
    /// A new RSA key of `bits` bits (2048 to 8192), signing `RS256`; taken
    /// off the async runtime while it is made (about a second for 2048
    /// bits).
    Rsa {
        /// The modulus size.
        bits: usize,
    },
}

/// What [`OktaAdmin::create_service_app`] makes: an API service app with a
/// new key, its scopes granted and its admin roles assigned.
///
/// ```
/// use okta_auth::admin::{AdminRole, NewKey, ServiceAppSpec};
///
/// let spec = ServiceAppSpec::new("orders-sync")
///     .scopes(["okta.users.read", "okta.groups.read"])
///     .roles([AdminRole::ReadOnlyAdmin])
///     .key(NewKey::Rsa { bits: 2048 });
/// # let _ = spec;
/// ```
#[derive(Debug, Clone)]
pub struct ServiceAppSpec {
    name: String,
    scopes: Vec<String>,
    roles: Vec<AdminRole>,
    key: NewKey,
    kid: Option<String>,
    require_dpop: bool,
    keep_on_failure: bool,
    prove_attempts: u32,
}

impl ServiceAppSpec {
    /// A service app named `name` (its label in the Admin UI).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            scopes: Vec::new(),
            roles: Vec::new(),
            key: DEFAULT_NEW_KEY,
            kid: None,
            require_dpop: DEFAULT_REQUIRE_DPOP,
            keep_on_failure: DEFAULT_KEEP_ON_FAILURE,
            prove_attempts: DEFAULT_PROVE_ATTEMPTS,
        }
    }

    /// The `okta.*` scopes to grant, one grant each, and to request with the
    /// app's tokens; at least one. Replaces earlier calls; duplicates count
    /// once. Defaults to none (and provisioning fails with
    /// [`Error::Config`]).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Vec::new();
        for scope in scopes {
            let scope = scope.into();
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        self
    }

    /// The admin roles to assign to the app. Its rights are its granted
    /// scopes intersected with these roles: without a role, Okta's
    /// management API refuses its every call (`403 E0000006`). Replaces
    /// earlier calls; duplicates count once. Defaults to none.
    pub fn roles<I>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = AdminRole>,
    {
        self.roles = Vec::new();
        for role in roles {
            if !self.roles.contains(&role) {
                self.roles.push(role);
            }
        }
        self
    }

    /// The key to generate. Defaults to [`DEFAULT_NEW_KEY`] (P-256).
    pub fn key(mut self, key: NewKey) -> Self {
        self.key = key;
        self
    }

    /// The new key's `kid`. Defaults to its RFC 7638 thumbprint
    /// ([`SigningKey::thumbprint`]).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Whether the app's token requests must prove possession of a key
    /// (DPoP; set through the app's
    /// `settings.oauthClient.dpop_bound_access_tokens`). Defaults to
    /// [`DEFAULT_REQUIRE_DPOP`] (required).
    pub fn require_dpop(mut self, required: bool) -> Self {
        self.require_dpop = required;
        self
    }

    /// Whether what a failed provisioning created stays in the org (to look
    /// at it), instead of being deactivated and deleted. Either way the
    /// error lists what is left. Defaults to [`DEFAULT_KEEP_ON_FAILURE`]
    /// (undone).
    pub fn keep_on_failure(mut self, keep: bool) -> Self {
        self.keep_on_failure = keep;
        self
    }

    /// How many token fetches prove the new app (at least 1), half a second
    /// ([`PROVE_RETRY_DELAY`]) apart. Defaults to
    /// [`DEFAULT_PROVE_ATTEMPTS`].
    pub fn prove_attempts(mut self, attempts: u32) -> Self {
        self.prove_attempts = attempts;
        self
    }

    /// Refuses, before anything is made, what could not work.
    fn check(&self) -> Result<(), Error> {
        let config = |msg: &str| Err(Error::Config(msg.into()));
        if self.name.trim().is_empty() {
            return config("a service app needs a name");
        }
        if self.scopes.is_empty() {
            return config("a service app needs at least one scope, e.g. okta.users.read");
        }
        let scope_ok = |s: &String| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        if !self.scopes.iter().all(scope_ok) {
            return config("a scope must be non-empty printable ascii without spaces");
        }
        if self.kid.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return config("the kid must not be empty");
        }
        if self.prove_attempts == 0 {
            return config("at least one proving token fetch is needed");
        }
        Ok(())
    }
}

/// A service app [`OktaAdmin::create_service_app`] made and proved: its ids,
/// its private key, what it was granted and assigned, and a ready
/// [`ServiceAppSource`] builder. Store the key
/// ([`SigningKey::to_pkcs8_pem`], [`SigningKey::to_private_jwk`]) in your
/// secret manager: Okta keeps only the public half. `Debug` shows no key
/// material.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProvisionedApp {
    /// The client id (`0oa…`).
    pub client_id: String,
    /// The app id in the Apps API: for a service app, its client id.
    pub app_id: String,
    /// The private key, with its `kid` as registered.
    pub key: SigningKey,
    /// The scopes granted, which its tokens request.
    pub scopes: Vec<String>,
    /// The grants, one per scope.
    pub grants: Vec<ScopeGrant>,
    /// The admin roles assigned.
    pub roles: Vec<RoleAssignment>,
    /// Whether its token requests must prove possession of a key (DPoP).
    pub require_dpop: bool,
    org: OrgUrl,
}

impl ProvisionedApp {
    /// A [`ServiceAppSource`] builder for the app: the org authorization
    /// server, its client id, its key, its granted scopes, and
    /// [`DpopMode::Always`] when DPoP is required ([`DpopMode::Auto`]
    /// otherwise). Add your own HTTP client or settings, then `build()`.
    pub fn source_builder(&self) -> ServiceAppSourceBuilder {
        ServiceAppSource::builder(self.org.clone(), self.client_id.clone())
            .private_key(self.key.clone())
            .scopes(self.scopes.iter().cloned())
            .dpop(dpop_mode(self.require_dpop))
    }
}

fn dpop_mode(required: bool) -> DpopMode {
    if required {
        DpopMode::Always
    } else {
        DpopMode::Auto
    }
}

/// What the steps after the registration made, for the error.
#[derive(Default)]
struct Made {
    grants: Vec<ScopeGrant>,
    roles: Vec<RoleAssignment>,
}

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

    /// Deactivates and deletes the app: what became of it, and whether it
    /// is still active.
    async fn undo(&self, client_id: &str) -> (Cleanup, bool) {
        if let Err(e) = self.deactivate_app(client_id).await {
            return (Cleanup::UndoFailed(e), true);
        }
        if let Err(e) = self.delete_app(client_id).await {
            return (Cleanup::UndoFailed(e), false);
        }
        (Cleanup::Undone, false)
    }
}

/// The app and what was granted and assigned to it.
fn leftovers(client_id: &str, active: bool, made: &Made) -> Vec<Leftover> {
    let app = Leftover::App {
        client_id: client_id.to_owned(),
        active,
    };
    let grants = made.grants.iter().map(|g| Leftover::Grant {
        client_id: client_id.to_owned(),
        scope: g.scope_id.clone(),
    });
    let roles = made.roles.iter().map(|r| Leftover::Role {
        client_id: client_id.to_owned(),
        role: r.role.clone(),
    });
    std::iter::once(app).chain(grants).chain(roles).collect()
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

/// Whether a failed request may have been carried out all the same: its
/// answer was lost or unreadable.
fn answer_lost(e: &Error) -> bool {
    match e {
        Error::Transport(_) | Error::Timeout => true,
        Error::MalformedResponse { status, .. } => status.is_none_or(|s| s.is_success()),
        _ => e.status().is_some_and(|s| s.is_server_error()),
    }
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
