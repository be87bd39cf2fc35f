//! [`ServiceAppSource`]: OAuth 2.0 client credentials for an Okta API
//! service app, with `private_key_jwt` (or a client secret) and DPoP.

mod builder;
mod grant;
pub(crate) mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use http::header::HeaderValue;
use url::Url;

pub use builder::ServiceAppSourceBuilder;

use crate::dpop::DpopKey;
use crate::error::Error;
use crate::key::SigningKey;
use crate::org::OrgUrl;

/// How long a client assertion is valid by default: 5 minutes, well under
/// Okta's 1 hour limit even with clock skew.
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The longest assertion lifetime the builder accepts: 55 minutes. Okta
/// refuses `exp` an hour or more ahead, and an assertion of exactly 60
/// minutes fails under slight clock skew.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(55 * 60);

/// The default timeout of one token request: 30 seconds.
pub const DEFAULT_TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether token requests prove possession of a key (DPoP, RFC 9449).
///
/// New Okta API service apps require DPoP by default. Okta answers the first
/// proof with `use_dpop_nonce` and a nonce; the source retries once with the
/// nonce (and a fresh assertion) and remembers it, so later fetches need one
/// request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DpopMode {
    /// Send a proof with every token request; accept a `Bearer` token when
    /// the server does not bind one. Works with apps that require DPoP and
    /// apps that do not. The default.
    #[default]
    Auto,
    /// Send a proof with every token request, and fail with
    /// [`Error::Dpop`] unless the server returns a DPoP-bound token.
    Always,
    /// Send no proof; the server must return a `Bearer` token.
    Never,
}

/// Access tokens for an Okta API service app: the OAuth 2.0 client
/// credentials grant, authenticated with a private key (`private_key_jwt`)
/// or, for custom authorization servers, a client secret, with DPoP.
///
/// Every [`token`](crate::TokenSource::token) call makes one token request (two on
/// the first DPoP nonce handshake) with a freshly minted client assertion:
/// this is the plain, uncached primitive. `OktaAuth::new` and
/// [`OktaConfig::token_source`](crate::OktaConfig::token_source) cache it
/// for you; to call `token()` yourself, wrap it once
/// ([`cached`](crate::TokenSourceExt::cached)) and share that. Cloning is
/// cheap and clones share the DPoP key and the signing key: a
/// [`rotate_key`](Self::rotate_key) on one is seen by all, so a running
/// service switches to a new key without being rebuilt.
///
/// Each token request carries `User-Agent:`
/// [`okta-auth/{version}`](crate::USER_AGENT), and each fetch runs in a
/// `tracing` span (see [`token`](crate::TokenSource::token)).
///
/// Errors keep the server's `error`, `error_description`, status, and Okta's
/// `errorCode`/`errorId`, never the body; answers over 64 KiB are refused,
/// redirects are not followed (an answer from another URL than the token
/// endpoint, which only a caller's redirect-following client can produce,
/// is an [`Error::Config`]), and `429` is [`Error::RateLimited`]. A token
/// response must say how long the token lives: without an `expires_in`, or
/// with `0` (a token expired on arrival), it is an
/// [`Error::MalformedResponse`].
///
/// ```no_run
/// use okta_auth::{OrgUrl, ServiceAppSource, SigningKey, TokenSource};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let org: OrgUrl = "https://example.okta.com".parse()?;
/// // PEM or JWK text, as the Okta Admin UI gives it.
/// let key = SigningKey::parse(&std::env::var("OKTA_CLIENT_PRIVATEKEY")?)?.with_kid("my-key-id");
/// let source = ServiceAppSource::builder(org, "0oa1b2c3d4")
///     .private_key(key)
///     .scopes(["okta.users.read", "okta.groups.read"])
///     .build()?;
/// let token = source.token().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ServiceAppSource {
    inner: Arc<Config>,
}

struct Config {
    client_id: String,
    endpoint: Url,
    /// Whether `endpoint` is the org authorization server's.
    org_server: bool,
    auth: ClientAuth,
    /// The scopes, space-joined for the form.
    scope: String,
    scopes: Vec<String>,
    http: reqwest::Client,
    assertion_lifetime: Duration,
    timeout: Duration,
    dpop: DpopMode,
    /// `None` exactly when `dpop` is `Never`.
    dpop_key: Option<DpopKey>,
}

enum ClientAuth {
    /// The key assertions are signed with: swapped as a whole by
    /// [`ServiceAppSource::rotate_key`], read once per assertion.
    PrivateKey(ArcSwap<SigningKey>),
    /// The whole `Authorization: Basic …` value, marked sensitive.
    Secret(HeaderValue),
}

impl ServiceAppSource {
    /// Starts a builder for the app `client_id` in the org `org`.
    pub fn builder(org: OrgUrl, client_id: impl Into<String>) -> ServiceAppSourceBuilder {
        ServiceAppSourceBuilder::new(org, client_id.into())
    }

    /// The token endpoint requests go to (and the assertions' `aud`).
    pub fn token_endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The scopes requested.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// The DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.inner.dpop
    }

    /// The key DPoP tokens from this source are bound to; `None` with
    /// [`DpopMode::Never`].
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.inner.dpop_key.as_ref()
    }

    /// The key client assertions are signed with now; `None` for a source
    /// that authenticates with a client secret. After a
    /// [`rotate_key`](Self::rotate_key) this is the new key, in every clone.
    pub fn signing_key(&self) -> Option<SigningKey> {
        match &self.inner.auth {
            ClientAuth::PrivateKey(slot) => Some(SigningKey::clone(&slot.load())),
            ClientAuth::Secret(_) => None,
        }
    }

    /// Replaces the key client assertions are signed with, in this source
    /// and every clone of it (a cache or an `OktaAuth` over a clone
    /// included), in one atomic store; returns the key it replaces.
    ///
    /// Register the new key with the app (active) first: from now on every
    /// token request signs with it, with its `kid`. Nothing else changes:
    /// a token request that has already minted its assertion finishes with
    /// the old key, tokens already fetched (and cached) stay in use until
    /// they expire, and the DPoP key — to which those tokens are bound —
    /// stays. To get a token with the new key at once, call
    /// [`token`](crate::TokenSource::token) on this (uncached) source, or
    /// [`invalidate`](crate::TokenSource::invalidate) a cache's token.
    /// [`rotation::KeyRotation`](crate::rotation::KeyRotation) runs the
    /// whole rotation (add, switch, prove, deactivate, delete) with Okta's
    /// management API.
    ///
    /// Fails with [`Error::Config`], changing nothing, when the source
    /// authenticates with a client secret, or when `key` is the DPoP key
    /// (the same thumbprint; [`build`](ServiceAppSourceBuilder::build)
    /// refuses that too).
    ///
    /// ```no_run
    /// use okta_auth::{ServiceAppSource, SigningKey};
    ///
    /// # fn run(source: ServiceAppSource) -> Result<(), okta_auth::Error> {
    /// let new_key = SigningKey::generate_p256().with_kid("orders-2025-06");
    /// // … register new_key.public_jwk() with the app, then:
    /// let old_key = source.rotate_key(new_key)?;
    /// # Ok(()) }
    /// ```
    pub fn rotate_key(&self, key: SigningKey) -> Result<SigningKey, Error> {
        let c = &*self.inner;
        let ClientAuth::PrivateKey(slot) = &c.auth else {
            return Err(Error::Config(
                "this source authenticates with a client secret: there is no key to rotate".into(),
            ));
        };
        if let Some(dpop) = &c.dpop_key {
            builder::check_not_dpop_key(&key, dpop)?;
        }
        let new_kid = key.kid().map(str::to_owned);
        let old = slot.swap(Arc::new(key));
        tracing::info!(
            client_id = c.client_id.as_str(),
            // Escaped (`Debug`): a kid set in code may hold anything.
            old_kid = old.kid().map(tracing::field::debug),
            new_kid = new_kid.as_deref().map(tracing::field::debug),
            "okta client-assertion key replaced"
        );
        Ok(Arc::unwrap_or_clone(old))
    }
}

impl fmt::Debug for ServiceAppSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &*self.inner;
        let key;
        let auth: &dyn fmt::Debug = match &c.auth {
            ClientAuth::PrivateKey(slot) => {
                key = slot.load_full();
                &key
            }
            ClientAuth::Secret(_) => &"client_secret [redacted]",
        };
        f.debug_struct("ServiceAppSource")
            .field("client_id", &c.client_id)
            .field("token_endpoint", &c.endpoint.as_str())
            .field("auth", auth)
            .field("scopes", &c.scopes)
            .field("assertion_lifetime", &c.assertion_lifetime)
            .field("timeout", &c.timeout)
            .field("dpop", &c.dpop)
            .field("dpop_key", &c.dpop_key)
            .finish_non_exhaustive()
    }
}
