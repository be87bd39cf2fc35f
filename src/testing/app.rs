//! [`ServiceApp`]: an API service app registered with a [`MockOkta`](super::MockOkta).

use std::time::Duration;

use super::admin::{AppRecord, ClientKey};
use crate::error::{Error, JwkProblem};
use crate::jose::Jwk;

/// The access-token lifetime Okta gives service apps: 3600 s.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The smallest RSA modulus Okta accepts for a client key: 2048 bits (the
/// same floor [`SigningKey`](crate::SigningKey) applies).
pub use crate::jose::MIN_RSA_BITS;

/// The most keys Okta keeps for one client: 50.
pub const MAX_KEYS: usize = 50;

/// An API service app (OAuth 2.0 client using `private_key_jwt`) for
/// [`MockOkta::register_service_app`](super::MockOkta::register_service_app).
///
/// ```
/// use std::time::Duration;
/// use okta_auth::testing::ServiceApp;
/// # fn jwk() -> okta_auth::Jwk { unimplemented!() }
///
/// # fn build() {
/// let app = ServiceApp::new("0oa-my-app")
///     .jwk(jwk())
///     .scopes(["okta.users.read"])
///     .dpop(true, true)
///     .token_lifetime(Duration::from_secs(600));
/// # let _ = app; }
/// ```
#[derive(Debug, Clone)]
pub struct ServiceApp {
    pub(crate) client_id: String,
    /// Its keys, each with its Okta `id` and status: only active keys sign
    /// acceptable assertions.
    pub(crate) keys: Vec<ClientKey>,
    /// The scopes granted to it, on any authorization server.
    pub(crate) scopes: Vec<String>,
    pub(crate) require_dpop: bool,
    pub(crate) require_nonce: bool,
    pub(crate) token_lifetime: Duration,
    /// Whether registration gives it the super admin role.
    pub(crate) admin_role: bool,
    /// What the Apps API knows of it: label, status, grants, roles.
    pub(crate) admin: AppRecord,
}

impl ServiceApp {
    /// A service app with no keys, no granted scopes, DPoP off, tokens
    /// living [`DEFAULT_TOKEN_LIFETIME`] and the admin role
    /// [`DEFAULT_ADMIN_ROLE`](super::DEFAULT_ADMIN_ROLE).
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            keys: Vec::new(),
            scopes: Vec::new(),
            require_dpop: false,
            require_nonce: false,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            admin_role: true,
            admin: AppRecord::default(),
        }
    }

    /// Adds a public key (RSA of at least [`MIN_RSA_BITS`], or EC P-256 /
    /// P-384) that client assertions may be signed with. Give each key a
    /// `kid` when the app has several: an assertion is matched to a key by
    /// its `kid`. Defaults to no keys (every assertion is rejected).
    pub fn jwk(mut self, jwk: Jwk) -> Self {
        self.keys.push(ClientKey::new(jwk, true, 0));
        self
    }

    /// Registers the app without an admin role, as Okta creates service
    /// apps: its tokens get `403 E0000006` from the management API, whatever
    /// their scopes, until a role is assigned
    /// (`POST /oauth2/v1/clients/{clientId}/roles`). Defaults to one role,
    /// [`DEFAULT_ADMIN_ROLE`](super::DEFAULT_ADMIN_ROLE).
    pub fn without_admin_role(mut self) -> Self {
        self.admin_role = false;
        self
    }

    /// Sets the `okta.*` scopes granted to the app (replacing earlier ones).
    /// Defaults to none.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether token requests need a DPoP proof ("Require DPoP header in
    /// token requests", on by default for new apps in a real org), and
    /// whether that proof must carry the server's current nonce (Okta always
    /// asks for one). Defaults to `(false, false)`.
    pub fn dpop(mut self, require_dpop: bool, require_nonce: bool) -> Self {
        self.require_dpop = require_dpop;
        self.require_nonce = require_dpop && require_nonce;
        self
    }

    /// The lifetime of issued access tokens (`expires_in`); one reaching
    /// past the largest `exp` a JWT holds (`i64::MAX` unix seconds, so
    /// [`Duration::MAX`] means "never") is cut to end there. Defaults to
    /// [`DEFAULT_TOKEN_LIFETIME`].
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The rules Okta applies when keys are added to a client.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.client_id.is_empty() || !self.client_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config("a client id must be printable ASCII".into()));
        }
        if self.keys.len() > MAX_KEYS {
            return Err(Error::Key(format!("a client has at most {MAX_KEYS} keys")));
        }
        let mut kids = std::collections::HashSet::new();
        for key in self.keys.iter().map(|k| &k.jwk) {
            if let Some(kid) = key.kid()
                && !kids.insert(kid)
            {
                return Err(Error::Key(format!("duplicate kid {kid:?}")));
            }
            // A key Okta could verify with: an RSA modulus of at least
            // MIN_RSA_BITS significant bits, an EC point on its curve.
            match key.verifying_key() {
                Ok(_) => {}
                Err(Error::InvalidJwk(JwkProblem::RsaKeySize)) => {
                    return Err(Error::Key(format!(
                        "rsa keys must have at least {MIN_RSA_BITS} bits"
                    )));
                }
                Err(_) => {
                    return Err(Error::Key(
                        "client keys must be valid RSA or EC P-256/P-384 public keys".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa(bytes: &[u8]) -> Jwk {
        Jwk::rsa(bytes, &[1, 0, 1])
    }

    #[test]
    fn rsa_moduli_are_measured_in_significant_bits() {
        let mut n = vec![0u8; 257];
        n[256] = 1; // an odd modulus
        n[1] = 0x80; // 2048 bits after one zero byte
        assert!(ServiceApp::new("a").jwk(rsa(&n)).validate().is_ok());
        n[1] = 0x40; // 2047 bits
        assert!(ServiceApp::new("a").jwk(rsa(&n)).validate().is_err());
        assert!(ServiceApp::new("a").jwk(rsa(&[])).validate().is_err());
    }

    #[test]
    fn client_ids_must_be_printable() {
        assert!(ServiceApp::new("").validate().is_err());
        assert!(ServiceApp::new("a b").validate().is_err());
    }
}
