//! [`ServiceAppSourceBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{
    ClientAuth, Config, DEFAULT_ASSERTION_LIFETIME, DEFAULT_TOKEN_REQUEST_TIMEOUT, DpopMode,
    MAX_ASSERTION_LIFETIME, ServiceAppSource,
};
use crate::dpop::DpopKey;
use crate::error::Error;
use crate::key::SigningKey;
use crate::org::OrgUrl;

/// Builds a [`ServiceAppSource`]; start with [`ServiceAppSource::builder`].
///
/// Required: a client authentication (exactly one of
/// [`private_key`](Self::private_key) or
/// [`client_secret`](Self::client_secret)) and at least one scope.
pub struct ServiceAppSourceBuilder {
    org: OrgUrl,
    client_id: String,
    private_key: Option<SigningKey>,
    client_secret: Option<SecretString>,
    scopes: Vec<String>,
    authorization_server: Option<String>,
    token_endpoint: Option<Url>,
    http_client: Option<reqwest::Client>,
    assertion_lifetime: Duration,
    timeout: Duration,
    dpop: DpopMode,
    dpop_key: Option<DpopKey>,
}

impl ServiceAppSourceBuilder {
    pub(super) fn new(org: OrgUrl, client_id: String) -> Self {
        Self {
            org,
            client_id,
            private_key: None,
            client_secret: None,
            scopes: Vec::new(),
            authorization_server: None,
            token_endpoint: None,
            http_client: None,
            assertion_lifetime: DEFAULT_ASSERTION_LIFETIME,
            timeout: DEFAULT_TOKEN_REQUEST_TIMEOUT,
            dpop: DpopMode::default(),
            dpop_key: None,
        }
    }

    /// Authenticates the client with `private_key_jwt`: each token request
    /// carries a fresh assertion signed with `key`. This is what API service
    /// apps on the org authorization server need. Exclusive with
    /// [`client_secret`](Self::client_secret). Defaults to none.
    pub fn private_key(mut self, key: SigningKey) -> Self {
        self.private_key = Some(key);
        self
    }

    /// Authenticates the client with a client secret (`client_secret_basic`).
    ///
    /// Only custom authorization servers and Okta Integration Network
    /// API-service integrations accept secrets for client credentials;
    /// service apps on the **org authorization server** (the one that mints
    /// `okta.*` scopes) need a [`private_key`](Self::private_key), and Okta
    /// answers a secret there with `invalid_client` (the error then says
    /// so). Exclusive with `private_key`. Defaults to none.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(secret.into()));
        self
    }

    /// The scopes to request, e.g. `["okta.users.read"]`; at least one.
    /// Replaces earlier calls. Defaults to none (and `build` fails).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Uses the custom authorization server `id` (e.g. `default`): the token
    /// endpoint becomes `{org}/oauth2/{id}/v1/token`. Only the org
    /// authorization server mints `okta.*` scopes. Defaults to the org
    /// authorization server, `{org}/oauth2/v1/token`.
    pub fn authorization_server(mut self, id: impl Into<String>) -> Self {
        self.authorization_server = Some(id.into());
        self
    }

    /// Overrides the token endpoint URL (https, or http to a loopback host;
    /// no query or fragment). The assertion's `aud` is exactly this URL.
    /// Exclusive with [`authorization_server`](Self::authorization_server).
    /// Defaults to the org authorization server's, `{org}/oauth2/v1/token`.
    pub fn token_endpoint(mut self, url: Url) -> Self {
        self.token_endpoint = Some(url);
        self
    }

    /// Uses your own `reqwest::Client` (proxies, TLS roots, connection
    /// pool).
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: a token
    /// request carries a credential and must not follow redirects, and only
    /// the client decides that (reqwest has no per-request redirect
    /// setting). A client that follows redirects would re-send the client
    /// assertion and DPoP proof (`307`/`308`) to wherever the token endpoint
    /// points; the source notices afterwards (the answer comes from another
    /// URL) and fails with [`Error::Config`](crate::Error::Config) instead
    /// of using the answer, but cannot take back what was sent. The
    /// [`timeout`](Self::timeout) still applies
    /// per request, and so does the `User-Agent`
    /// ([`USER_AGENT`](crate::USER_AGENT)), which replaces one set on the
    /// client (reqwest gives no way to read it, so it cannot be added to).
    /// Defaults to a client that follows no redirects, with
    /// the default [`timeout`](Self::timeout) (see [`DEFAULT_TOKEN_REQUEST_TIMEOUT`]).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How long each client assertion is valid (`exp` − `iat`): 1 s to
    /// [`MAX_ASSERTION_LIFETIME`]. Okta rejects assertions valid for an hour
    /// or more when clocks are slightly skewed, so keep it short. Defaults
    /// to [`DEFAULT_ASSERTION_LIFETIME`].
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion_lifetime = lifetime;
        self
    }

    /// The timeout of each token request, from sending to the end of the
    /// body. Defaults to [`DEFAULT_TOKEN_REQUEST_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether token requests carry DPoP proofs; see [`DpopMode`]. Defaults
    /// to [`DpopMode::Auto`].
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop = mode;
        self
    }

    /// The key DPoP proofs are signed with and tokens are bound to. It must
    /// not be the client-assertion key: `build` refuses a key with the same
    /// thumbprint with [`Error::Config`](crate::Error::Config). Defaults to a new key generated by
    /// `build`, kept for the life of the source.
    pub fn dpop_key(mut self, key: DpopKey) -> Self {
        self.dpop_key = Some(key);
        self
    }

    /// Checks the settings and builds the source.
    ///
    /// Fails with [`Error::Config`] when the client id is empty, there is
    /// neither or both of a private key and a client secret, no scopes or a
    /// malformed scope, both an authorization server and a token endpoint, a
    /// bad token endpoint, an assertion lifetime outside 1 s to
    /// [`MAX_ASSERTION_LIFETIME`], a zero timeout, or a DPoP key with
    /// [`DpopMode::Never`].
    pub fn build(self) -> Result<ServiceAppSource, Error> {
        let config = |msg: &str| Error::Config(msg.into());
        let client_id = self.client_id.trim().to_owned();
        if client_id.is_empty() || !client_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(config(
                "the client id must be non-empty printable ascii without spaces",
            ));
        }
        let auth = match (self.private_key, self.client_secret) {
            (Some(key), None) => ClientAuth::PrivateKey(key),
            (None, Some(secret)) => ClientAuth::Secret(basic_auth(&client_id, &secret)?),
            (None, None) => {
                return Err(config(
                    "a service app needs a private key (private_key_jwt) or a client secret",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(config("give a private key or a client secret, not both"));
            }
        };
        if self.scopes.is_empty() {
            return Err(config("at least one scope is needed, e.g. okta.users.read"));
        }
        if !self.scopes.iter().all(|s| is_scope_token(s)) {
            return Err(config(
                "a scope must be non-empty printable ascii without spaces, quotes or backslashes",
            ));
        }
        let scope = self.scopes.join(" ");
        let (endpoint, org_server) = match (self.authorization_server, self.token_endpoint) {
            (Some(_), Some(_)) => {
                return Err(config(
                    "give an authorization server or a token endpoint, not both",
                ));
            }
            (Some(id), None) => (self.org.custom_token_endpoint(&id)?, false),
            (None, Some(url)) => {
                check_endpoint(&url)?;
                let org_server = url == self.org.token_endpoint();
                (url, org_server)
            }
            (None, None) => (self.org.token_endpoint(), true),
        };
        if self.assertion_lifetime < Duration::from_secs(1)
            || self.assertion_lifetime > MAX_ASSERTION_LIFETIME
        {
            return Err(Error::Config(format!(
                "the assertion lifetime must be 1 s to {} s",
                MAX_ASSERTION_LIFETIME.as_secs()
            )));
        }
        if self.timeout.is_zero() {
            return Err(config("the timeout must be more than zero"));
        }
        let dpop_key = match (self.dpop, self.dpop_key) {
            (DpopMode::Never, Some(_)) => {
                return Err(config(
                    "a dpop key was given but dpop is off (DpopMode::Never)",
                ));
            }
            (DpopMode::Never, None) => None,
            (_, Some(key)) => Some(key),
            (_, None) => Some(DpopKey::generate()),
        };
        if let (ClientAuth::PrivateKey(signing), Some(dpop)) = (&auth, &dpop_key)
            && signing.thumbprint() == dpop.thumbprint()
        {
            return Err(config(
                "the dpop key must not be the client-assertion key: use a separate P-256 key",
            ));
        }
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout)
                .build()
                .map_err(Error::transport)?,
        };
        Ok(ServiceAppSource {
            inner: Arc::new(Config {
                client_id,
                endpoint,
                org_server,
                auth,
                scope,
                scopes: self.scopes,
                http,
                assertion_lifetime: self.assertion_lifetime,
                timeout: self.timeout,
                dpop: self.dpop,
                dpop_key,
            }),
        })
    }
}

/// RFC 6749 `scope-token`: `%x21 / %x23-5B / %x5D-7E`.
fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn check_endpoint(url: &Url) -> Result<(), Error> {
    // The origin must pass the org URL rules (https, or http to loopback).
    OrgUrl::parse(&url.origin().ascii_serialization()).map_err(|_| {
        Error::Config(
            "the token endpoint must be an https url (http only for loopback hosts)".into(),
        )
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(
            "the token endpoint must not have a query or fragment".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "the token endpoint must not contain user info".into(),
        ));
    }
    Ok(())
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 section
/// 2.3.1), marked sensitive.
///
/// Every copy of the secret on the way is a zeroizing buffer sized up front
/// (so never reallocated, which would leave an unwiped copy behind): the
/// url-encoded credentials and their base64. The `HeaderValue` itself
/// cannot be wiped (see the crate's Security section).
fn basic_auth(client_id: &str, secret: &SecretString) -> Result<HeaderValue, Error> {
    let secret = secret.expose_secret();
    if secret.is_empty() {
        return Err(Error::Config("the client secret is empty".into()));
    }
    let value = basic_value(&form_encoded_credentials(client_id, secret))?;
    let mut header = HeaderValue::from_bytes(&value)
        .map_err(|_| Error::Config("the client secret cannot go in a header".into()))?;
    header.set_sensitive(true);
    Ok(header)
}

/// `Basic {base64(credentials)}`, the base64 written straight into a
/// zeroizing buffer of the final size (`encode_string` would stage it in an
/// unwiped stack buffer first).
fn basic_value(credentials: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    const PREFIX: &[u8] = b"Basic ";
    let too_long = || Error::Config("the client secret is too long".into());
    let len = base64::encoded_len(credentials.len(), true).ok_or_else(too_long)?;
    let mut value = zeroize::Zeroizing::new(vec![0; PREFIX.len() + len]);
    value[..PREFIX.len()].copy_from_slice(PREFIX);
    STANDARD
        .encode_slice(credentials.as_bytes(), &mut value[PREFIX.len()..])
        .map_err(|_| too_long())?;
    Ok(value)
}

/// `urlencode(id):urlencode(secret)`, encoded straight into one zeroizing
/// buffer (encoding at most triples a byte), with no intermediate copy.
fn form_encoded_credentials(client_id: &str, secret: &str) -> zeroize::Zeroizing<String> {
    let mut out = zeroize::Zeroizing::new(String::with_capacity(
        3 * (client_id.len() + secret.len()) + 1,
    ));
    out.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
    out.push(':');
    out.extend(url::form_urlencoded::byte_serialize(secret.as_bytes()));
    out
}

impl fmt::Debug for ServiceAppSourceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAppSourceBuilder")
            .field("org", &self.org)
            .field("client_id", &self.client_id)
            .field("private_key", &self.private_key)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("authorization_server", &self.authorization_server)
            .field(
                "token_endpoint",
                &self.token_endpoint.as_ref().map(Url::as_str),
            )
            .field("assertion_lifetime", &self.assertion_lifetime)
            .field("timeout", &self.timeout)
            .field("dpop", &self.dpop)
            .field("dpop_key", &self.dpop_key)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_copies_are_zeroizing_and_never_grown() {
        let secret = "p@ss:wörd/+ &=%";
        let credentials: zeroize::Zeroizing<String> = form_encoded_credentials("0oa1", secret);
        assert_eq!(
            credentials.as_str(),
            "0oa1:p%40ss%3Aw%C3%B6rd%2F%2B+%26%3D%25"
        );
        // Sized once for the worst case (every byte encoded), never grown.
        assert_eq!(
            credentials.capacity(),
            3 * ("0oa1".len() + secret.len()) + 1
        );
        let value: zeroize::Zeroizing<Vec<u8>> = basic_value(&credentials).unwrap();
        assert_eq!(
            value.as_slice(),
            format!("Basic {}", STANDARD.encode(credentials.as_bytes())).as_bytes()
        );
        assert_eq!(value.capacity(), value.len());
        let header = basic_auth("0oa1", &SecretString::from(secret)).unwrap();
        assert_eq!(header.as_bytes(), value.as_slice());
        assert!(header.is_sensitive());
    }
}
