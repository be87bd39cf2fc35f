//! [`CustomServer`]: a custom authorization server of the fake org, its
//! signing keys, and the JWT access tokens it signs as Okta does.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::access_token::AccessTokenClaims;
use super::client_auth::Client;
use super::reply::Reply;
use super::state::{SecretClient, Shared, State};
use crate::error::Error;
use crate::jose::{Algorithm, MIN_RSA_BITS, b64, jws};
use crate::key::SigningKey;

/// The prefix of a custom authorization server's default audience:
/// `api://`, followed by the server id (`api://default` for `default`,
/// the audience Okta gives its default server).
pub const DEFAULT_AUDIENCE_PREFIX: &str = "api://";

/// The `max-age` of `Cache-Control` on a JWKS answer: 1 h. Okta's JWKS
/// answers carry a `max-age` too, and a verifier should honour it within
/// bounds.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Committed test keys (see `keys/README.md`): the first signing keys of a
/// fake org's custom authorization servers, so that tests do not wait for
/// RSA key generation.
const FIXTURE_KEYS: [&str; 4] = [
    include_str!("keys/as-signing-1.pem"),
    include_str!("keys/as-signing-2.pem"),
    include_str!("keys/as-signing-3.pem"),
    include_str!("keys/as-signing-4.pem"),
];

/// A committed test key that no JWKS publishes.
const UNPUBLISHED_KEY: &str = include_str!("keys/unpublished.pem");

/// A custom authorization server for
/// [`MockOkta::register_custom_server`](super::MockOkta::register_custom_server).
/// A bare id converts into one with the defaults.
///
/// It issues JWT access tokens as Okta does (see
/// [`AccessTokenClaims`] for the claims), signed `RS256` with its current
/// key, and serves `{issuer}/.well-known/oauth-authorization-server`,
/// `{issuer}/.well-known/openid-configuration` and its JWKS at
/// `{issuer}/v1/keys`, where the issuer is `{org}/oauth2/{id}`.
///
/// ```
/// use std::time::Duration;
/// use okta_auth::testing::CustomServer;
///
/// let server = CustomServer::new("aus1orders")
///     .audience("api://orders")
///     .jwks_max_age(Duration::from_secs(300));
/// # let _ = server;
/// ```
#[derive(Debug, Clone)]
pub struct CustomServer {
    pub(crate) id: String,
    pub(crate) audience: Option<String>,
    pub(crate) signing_key: Option<SigningKey>,
    pub(crate) jwks_max_age: Duration,
}

impl CustomServer {
    /// A server with id `id` (ASCII letters and digits, e.g. `default`).
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            audience: None,
            signing_key: None,
            jwks_max_age: JWKS_MAX_AGE,
        }
    }

    /// The audience (`aud`) of its tokens. Defaults to
    /// [`DEFAULT_AUDIENCE_PREFIX`] followed by the id (`api://default`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The RSA key it signs with (`RS256`; an EC key is refused at
    /// registration with [`Error::Key`]). Its `kid` is kept, or set to its
    /// RFC 7638 thumbprint. Defaults to the next of the fake org's
    /// committed test keys, then to a generated 2048-bit key (0.1 to 1 s
    /// each).
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The `max-age` of `Cache-Control` on its JWKS answers. Defaults to
    /// [`JWKS_MAX_AGE`].
    pub fn jwks_max_age(mut self, max_age: Duration) -> Self {
        self.jwks_max_age = max_age;
        self
    }
}

impl From<&str> for CustomServer {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for CustomServer {
    fn from(id: String) -> Self {
        Self::new(id)
    }
}

impl From<&String> for CustomServer {
    fn from(id: &String) -> Self {
        Self::new(id.as_str())
    }
}

/// A registered custom authorization server.
pub(crate) struct ServerState {
    /// Its `client_secret_basic` clients by client id.
    pub(crate) clients: HashMap<String, SecretClient>,
    pub(crate) audience: String,
    pub(crate) jwks_max_age: Duration,
    /// The published keys, oldest first; the last one signs.
    pub(crate) keys: Vec<SigningKey>,
    pub(crate) jwks_requests: usize,
    pub(crate) metadata_requests: usize,
}

impl ServerState {
    /// The key that signs new tokens.
    pub(crate) fn current_key(&self) -> Result<&SigningKey, Error> {
        self.keys
            .last()
            .ok_or_else(|| Error::Key("the authorization server has no signing key".into()))
    }
}

/// Registers `server`, or applies its settings to the server of the same
/// id, keeping its clients and keys (a signing key given becomes the
/// current one). `fresh_key` signs for a new server that names none.
pub(crate) fn register(
    state: &mut State,
    server: CustomServer,
    fresh_key: Option<SigningKey>,
) -> Result<(), Error> {
    let audience = server
        .audience
        .unwrap_or_else(|| format!("{DEFAULT_AUDIENCE_PREFIX}{}", server.id));
    let given = server.signing_key.map(prepare).transpose()?;
    if let Some(existing) = state.custom_servers.get_mut(&server.id) {
        if let Some(key) = given {
            publish(existing, key)?;
        }
        existing.audience = audience;
        existing.jwks_max_age = server.jwks_max_age;
        return Ok(());
    }
    let key = match given {
        Some(key) => key,
        None => prepare(fresh_key.ok_or_else(|| Error::Key("no signing key given".into()))?)?,
    };
    state.custom_servers.insert(
        server.id,
        ServerState {
            clients: HashMap::new(),
            audience,
            jwks_max_age: server.jwks_max_age,
            keys: vec![key],
            jwks_requests: 0,
            metadata_requests: 0,
        },
    );
    Ok(())
}

/// Makes `key` the server's current signing key; older keys stay
/// published. A `kid` already published is refused.
pub(crate) fn publish(server: &mut ServerState, key: SigningKey) -> Result<(), Error> {
    if server.keys.iter().any(|k| k.kid() == key.kid()) {
        return Err(Error::Key(format!(
            "the authorization server already publishes kid {:?}",
            key.kid().unwrap_or_default()
        )));
    }
    server.keys.push(key);
    Ok(())
}

/// The PEM of the next committed test key, if any is left.
pub(crate) fn take_fixture_key(state: &mut State) -> Option<&'static str> {
    let pem = FIXTURE_KEYS.get(state.fixture_keys_used).copied();
    state.fixture_keys_used += usize::from(pem.is_some());
    pem
}

/// A signing key from a committed fixture, or generated when none is left
/// (slow: call it without holding the state lock).
pub(crate) fn new_signing_key(fixture: Option<&'static str>) -> Result<SigningKey, Error> {
    match fixture {
        Some(pem) => SigningKey::from_pem(pem),
        None => SigningKey::generate_rsa(MIN_RSA_BITS),
    }
}

/// The committed key no JWKS publishes, ready to sign.
pub(crate) fn unpublished_key() -> Result<SigningKey, Error> {
    prepare(SigningKey::from_pem(UNPUBLISHED_KEY)?)
}

/// A key ready to sign access tokens: RS256, with a `kid`.
pub(crate) fn prepare(key: SigningKey) -> Result<SigningKey, Error> {
    let key = key
        .with_algorithm(Algorithm::RS256)
        .map_err(|_| Error::Key("an authorization server signs with an RSA key (RS256)".into()))?;
    Ok(match key.kid() {
        Some(_) => key,
        None => {
            let kid = key.thumbprint();
            key.with_kid(kid)
        }
    })
}

/// The issuer of custom authorization server `id`: `{org}/oauth2/{id}`.
pub(crate) fn issuer(shared: &Shared, id: &str) -> String {
    format!("{}/oauth2/{id}", shared.base)
}

/// A signed access token of server `id` with `claims`, minted at `now`.
pub(crate) fn mint(
    shared: &Shared,
    state: &State,
    id: &str,
    claims: &AccessTokenClaims,
    now: u64,
) -> Result<SecretString, Error> {
    let server = state
        .custom_servers
        .get(id)
        .ok_or_else(|| not_registered(id))?;
    let key = if claims.unpublished_key {
        unpublished_key()?
    } else {
        server.current_key()?.clone()
    };
    // `prepare` gave every key a kid.
    let kid = key.kid().unwrap_or_default();
    let (header, claims) = claims.resolve(&issuer(shared, id), &server.audience, kid, now);
    sign(&key, &header, &claims).map(SecretString::from)
}

/// The access token the token endpoint of server `id` issues to `client`
/// for `scopes`, bound to `jkt` when DPoP was used; a 500 if it cannot be
/// signed.
pub(crate) fn issue(
    shared: &Shared,
    state: &State,
    id: &str,
    client: &Client,
    scopes: &[String],
    jkt: Option<&str>,
    now: u64,
) -> Result<String, Reply> {
    let mut claims = AccessTokenClaims::new()
        .client_id(client.client_id.as_str())
        .scopes(scopes)
        .lifetime(Duration::from_secs(client.lifetime));
    if let Some(jkt) = jkt {
        claims = claims.jkt(jkt);
    }
    mint(shared, state, id, &claims, now)
        .map(|token| token.expose_secret().to_owned())
        .map_err(|_| Reply::oauth(500, "server_error", "The access token could not be signed."))
}

/// `header.claims.signature`, signed with `key` (RS256).
fn sign(
    key: &SigningKey,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
) -> Result<String, Error> {
    jws::compact(&b64::encode_json(header)?, claims, |msg| key.sign(msg))
}

/// The error for a server id nobody registered.
pub(crate) fn not_registered(id: &str) -> Error {
    Error::Config(format!(
        "custom authorization server {id:?} is not registered"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_keys_are_distinct_rsa_keys_with_thumbprint_kids() {
        let mut kids = std::collections::HashSet::new();
        for pem in FIXTURE_KEYS.into_iter().chain([UNPUBLISHED_KEY]) {
            let key = prepare(new_signing_key(Some(pem)).unwrap()).unwrap();
            assert_eq!(key.algorithm(), Algorithm::RS256);
            assert_eq!(key.kid(), Some(key.thumbprint().as_str()));
            assert!(kids.insert(key.thumbprint()));
        }
    }

    #[test]
    fn ec_keys_cannot_sign_access_tokens() {
        let err = prepare(SigningKey::generate_p256()).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{err:?}");
    }
}
