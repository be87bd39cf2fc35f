//! [`MockOkta`]'s methods for custom authorization servers: registration,
//! issuer and keys, key rotation, minted tokens, counters and JWKS faults.

use secrecy::SecretString;
use url::Url;

use super::MockOkta;
use super::access_token::AccessTokenClaims;
use super::custom_server::{self, CustomServer, not_registered};
use super::reply::Fault;
use crate::error::Error;
use crate::jose::{Jwk, JwkSet};
use crate::key::SigningKey;

impl MockOkta {
    /// Registers a custom authorization server: a bare id (ASCII letters
    /// and digits, e.g. `"default"`) or a [`CustomServer`] with its
    /// audience or signing key. Its token endpoint is
    /// `{uri}/oauth2/{id}/v1/token`; it issues JWT access tokens signed
    /// with its own key and serves its metadata and JWKS (see
    /// [`CustomServer`]).
    ///
    /// Registering an id again applies the new audience and JWKS
    /// `max-age` and keeps the server's clients and keys; a signing key
    /// given then becomes the current one, as with
    /// [`rotate_signing_key_to`](Self::rotate_signing_key_to). Fails with
    /// [`Error::Config`] for an invalid id, [`Error::Key`] for a signing key
    /// that is not RSA or whose `kid` the server already publishes.
    pub fn register_custom_server(&self, server: impl Into<CustomServer>) -> Result<(), Error> {
        let server = server.into();
        // Validates the id the way endpoints are built.
        self.org.custom_token_endpoint(&server.id)?;
        let needs_key = server.signing_key.is_none()
            && !self.shared.lock().custom_servers.contains_key(&server.id);
        let fresh = if needs_key {
            Some(self.fresh_signing_key()?)
        } else {
            None
        };
        custom_server::register(&mut self.shared.lock(), server, fresh)
    }

    /// The issuer of custom authorization server `server_id`,
    /// `{uri}/oauth2/{server_id}` (no trailing slash): the `iss` of its
    /// tokens and the `issuer` of its metadata.
    pub fn issuer(&self, server_id: &str) -> Result<String, Error> {
        self.registered(server_id)?;
        Ok(custom_server::issuer(&self.shared, server_id))
    }

    /// The JWKS URI of custom authorization server `server_id`,
    /// `{issuer}/v1/keys`, as its metadata names it.
    pub fn jwks_uri(&self, server_id: &str) -> Result<Url, Error> {
        self.registered(server_id)?;
        Ok(self.org.endpoint(&format!("oauth2/{server_id}/v1/keys")))
    }

    /// The public keys custom authorization server `server_id` publishes
    /// now, oldest first: what its JWKS endpoint serves. The last one signs
    /// new tokens.
    pub fn jwks(&self, server_id: &str) -> Result<JwkSet, Error> {
        let state = self.shared.lock();
        let server = state
            .custom_servers
            .get(server_id)
            .ok_or_else(|| not_registered(server_id))?;
        Ok(server.keys.iter().map(SigningKey::public_jwk).collect())
    }

    /// Rotates the signing key of custom authorization server `server_id`,
    /// as Okta does: a new key signs new tokens from now on, and the JWKS
    /// serves it next to the old ones (tokens signed before still verify)
    /// until [`retire_old_signing_keys`](Self::retire_old_signing_keys).
    /// Returns the new public key, whose `kid` is its RFC 7638 thumbprint.
    ///
    /// The new key is the next of the fake org's committed test keys, or a
    /// generated 2048-bit key once they are used up (0.1 to 1 s
    /// each).
    pub fn rotate_signing_key(&self, server_id: &str) -> Result<Jwk, Error> {
        self.registered(server_id)?;
        let key = self.fresh_signing_key()?;
        self.rotate_signing_key_to(server_id, key)
    }

    /// Rotates the signing key of custom authorization server `server_id`
    /// to `key` (RSA; its `kid` is kept, or set to its thumbprint), like
    /// [`rotate_signing_key`](Self::rotate_signing_key). Fails with
    /// [`Error::Key`] for a key that is not RSA or whose `kid` the server
    /// already publishes.
    pub fn rotate_signing_key_to(&self, server_id: &str, key: SigningKey) -> Result<Jwk, Error> {
        let key = custom_server::prepare(key)?;
        let jwk = key.public_jwk();
        let mut state = self.shared.lock();
        let server = state
            .custom_servers
            .get_mut(server_id)
            .ok_or_else(|| not_registered(server_id))?;
        custom_server::publish(server, key)?;
        Ok(jwk)
    }

    /// Stops publishing every key of custom authorization server
    /// `server_id` but the current one, as Okta does some time after a
    /// rotation: tokens signed with an older key no longer verify.
    pub fn retire_old_signing_keys(&self, server_id: &str) -> Result<(), Error> {
        let mut state = self.shared.lock();
        let server = state
            .custom_servers
            .get_mut(server_id)
            .ok_or_else(|| not_registered(server_id))?;
        let current = server.keys.len().saturating_sub(1);
        server.keys.drain(..current);
        Ok(())
    }

    /// Mints a JWT access token of custom authorization server
    /// `server_id` with `claims`, signed with its current key (or with a
    /// key no JWKS publishes, see
    /// [`AccessTokenClaims::unpublished_key`]): a fixture for
    /// resource-server tests, such as an expired token, one of another
    /// issuer, or one without the scope an API needs.
    ///
    /// The token does not pass through the token endpoint: it is not
    /// counted, logged or known to [`revoke`](Self::revoke).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), okta_auth::Error> {
    /// use okta_auth::testing::{AccessTokenClaims, MockOkta};
    /// use okta_auth::secrecy::ExposeSecret;
    ///
    /// let okta = MockOkta::start().await;
    /// okta.register_custom_server("default")?;
    /// let expired = okta.mint_access_token("default", AccessTokenClaims::new().expired())?;
    /// // … send `Authorization: Bearer {expired.expose_secret()}` to your API
    /// // and expect a 401 …
    /// # Ok(()) }
    /// ```
    pub fn mint_access_token(
        &self,
        server_id: &str,
        claims: AccessTokenClaims,
    ) -> Result<SecretString, Error> {
        let now = self.shared.now();
        let state = self.shared.lock();
        custom_server::mint(&self.shared, &state, server_id, &claims, now)
    }

    /// The public key of the committed test key that signs tokens minted
    /// with [`AccessTokenClaims::unpublished_key`], with its `kid`: no
    /// JWKS publishes it. Handy as an attacker's key, e.g. in a `jwk`
    /// header.
    pub fn unpublished_jwk(&self) -> Result<Jwk, Error> {
        Ok(custom_server::unpublished_key()?.public_jwk())
    }

    /// How many requests the JWKS endpoint of custom authorization server
    /// `server_id` received (faulted ones included); 0 for an unknown id.
    pub fn jwks_requests(&self, server_id: &str) -> usize {
        let state = self.shared.lock();
        state
            .custom_servers
            .get(server_id)
            .map_or(0, |s| s.jwks_requests)
    }

    /// How many metadata requests (`/.well-known/oauth-authorization-server`
    /// and `/.well-known/openid-configuration`) custom authorization server
    /// `server_id` received; 0 for an unknown id.
    pub fn metadata_requests(&self, server_id: &str) -> usize {
        let state = self.shared.lock();
        state
            .custom_servers
            .get(server_id)
            .map_or(0, |s| s.metadata_requests)
    }

    /// Answers the next `n` JWKS requests (any custom authorization
    /// server) with `fault`, after those already queued. Error statuses get
    /// Okta's `E0000009` document.
    pub fn fail_next_jwks_requests(&self, n: usize, fault: Fault) {
        let mut state = self.shared.lock();
        state.jwks_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// `Ok` if custom authorization server `server_id` is registered.
    fn registered(&self, server_id: &str) -> Result<(), Error> {
        if self.shared.lock().custom_servers.contains_key(server_id) {
            Ok(())
        } else {
            Err(not_registered(server_id))
        }
    }

    /// The next committed test key, or a generated one (slow, so the state
    /// is not locked meanwhile).
    fn fresh_signing_key(&self) -> Result<SigningKey, Error> {
        let fixture = custom_server::take_fixture_key(&mut self.shared.lock());
        custom_server::new_signing_key(fixture)
    }
}
