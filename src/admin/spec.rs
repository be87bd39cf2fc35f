//! What to provision and what came of it: [`ServiceAppSpec`] (with
//! [`NewKey`] and the defaults it starts from) and [`ProvisionedApp`].

use std::time::Duration;

use super::grants::ScopeGrant;
use super::roles::{AdminRole, RoleAssignment};
use crate::error::Error;
use crate::key::SigningKey;
use crate::org::OrgUrl;
use crate::service_app::{DpopMode, ServiceAppSource, ServiceAppSourceBuilder};

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
///
/// [`DEFAULT_RATE_LIMIT_MAX_WAIT`]: crate::admin::DEFAULT_RATE_LIMIT_MAX_WAIT
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
///
/// [`OktaAdmin::create_service_app`]: crate::admin::OktaAdmin::create_service_app
#[derive(Debug, Clone)]
pub struct ServiceAppSpec {
    pub(super) name: String,
    pub(super) scopes: Vec<String>,
    pub(super) roles: Vec<AdminRole>,
    pub(super) key: NewKey,
    pub(super) kid: Option<String>,
    pub(super) require_dpop: bool,
    pub(super) keep_on_failure: bool,
    pub(super) prove_attempts: u32,
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
    pub(super) fn check(&self) -> Result<(), Error> {
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
///
/// [`OktaAdmin::create_service_app`]: crate::admin::OktaAdmin::create_service_app
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
    pub(super) org: OrgUrl,
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

/// The DPoP mode of a source for an app that does, or does not, require
/// DPoP.
pub(super) fn dpop_mode(required: bool) -> DpopMode {
    if required {
        DpopMode::Always
    } else {
        DpopMode::Auto
    }
}
