//! [`AccessTokenVerifier`]: verifies the access tokens of an Okta custom
//! authorization server, and their DPoP proofs, in your own API.
//!
//! A custom authorization server (`https://{org}/oauth2/{id}`, often
//! `default`) issues JWT access tokens for your APIs. Okta's org
//! authorization server issues tokens for Okta's own APIs, which Okta says
//! not to verify locally: the builder refuses its issuer (unless you call
//! [`dangerous_allow_org_authorization_server`](AccessTokenVerifierBuilder::dangerous_allow_org_authorization_server));
//! introspect those tokens instead.
//!
//! # How it works
//!
//! - **The token** ([`AccessTokenVerifier::verify`]): at most
//!   [`MAX_TOKEN_LEN`] bytes; exactly three segments of strict base64url
//!   (no padding, no `+`/`/`), header and payload JSON objects (a
//!   duplicate member is refused). Header: `alg` in the accepted set
//!   ([`DEFAULT_ALGORITHMS`]: `RS256`; `none` and `HS*` never), `typ`
//!   absent, `JWT` or `at+jwt` (never `dpop+jwt`), no `crit`, no key of its
//!   own (`jwk`, `jku`, `x5u`, `x5c` are refused, not ignored), a `kid`
//!   looked up in the issuer's key set only, whose key must fit `alg`
//!   (type and curve, and its own `alg` if it states one). Then the
//!   signature; only then the claims: `iss` exactly the issuer (no
//!   trailing-slash leniency), `aud` (a string or an array) holding an
//!   expected audience, `exp` and `iat` required and numeric, `exp`, `nbf`
//!   and `iat` within the leeway ([`DEFAULT_LEEWAY`], 120 s like Okta's Go,
//!   Python and Java verifiers), `cid` among the allowed client ids if set,
//!   `scp` holding every required scope by whole-element comparison.
//! - **The request** ([`AccessTokenVerifier::verify_request`]): exactly one
//!   `Authorization: Bearer|DPoP {token}`. A token bound to a key
//!   (`cnf.jkt`) must come with the `DPoP` scheme and exactly one `DPoP`
//!   proof passing RFC 9449 §4.3: at most [`MAX_PROOF_LEN`] bytes, `typ`
//!   `dpop+jwt`, `alg` from [`DEFAULT_DPOP_ALGORITHMS`] (`ES256`;
//!   configurable), a public-only `jwk` whose thumbprint is `cnf.jkt`, the
//!   signature, `htm` the method, `htu` the URL (both normalized, query and
//!   fragment ignored), `iat` no older than [`DEFAULT_DPOP_PROOF_MAX_AGE`]
//!   and not ahead beyond the leeway, `ath` the token's SHA-256, the
//!   server's nonce if nonces are on, and a `jti` never seen (checked last,
//!   so refused proofs take no room). A bound token sent as `Bearer`, or
//!   given to `verify`, is refused; with
//!   [`require_dpop`](AccessTokenVerifierBuilder::require_dpop) so is an
//!   unbound one (by `verify` too), and every challenge is a `DPoP` one.
//! - **Replays** ([`ReplayStore`]): each accepted proof is recorded until
//!   it could no longer be accepted, even by a replica whose clock is
//!   behind by up to the leeway: the proof max age plus the leeway after
//!   its `iat` (RFC 9449 §11.1). The default [`MemoryReplayStore`]
//!   holds [`DEFAULT_REPLAY_CAPACITY`] proofs and, when full, refuses new
//!   ones (`503`) rather than forget one early. A fleet of replicas must
//!   share one store (the trait is small; Redis needs one `SET NX PX`):
//!   `RedisReplayStore`, feature `redis`, is one.
//! - **Server nonces** ([`NonceStore`], off by default): a proof must carry
//!   the current nonce or, for [`DEFAULT_NONCE_GRACE`] after a rotation,
//!   the previous one ([`MemoryNonceStore`] rotates every
//!   [`DEFAULT_NONCE_ROTATION`]); otherwise `401 use_dpop_nonce` with the
//!   current nonce in `DPoP-Nonce`. A fleet shares them in Redis with
//!   `RedisNonceStore`, feature `redis`.
//! - **Keys** (the JWKS cache): the key set comes from the `jwks_uri` of
//!   `{issuer}/.well-known/oauth-authorization-server` (whose `issuer` must
//!   be ours), or a given URI. One fetch at a time, however many callers
//!   (the single flight of [`CachingTokenSource`](crate::CachingTokenSource));
//!   a hit is a lock-free snapshot load and a hash lookup, keys parsed once
//!   when fetched. An unknown `kid` fetches the set again at most once per
//!   [`MIN_JWKS_REFETCH_INTERVAL`], however many tokens name unknown keys.
//!   `Cache-Control: max-age` is honoured within [`MIN_JWKS_MAX_AGE`] and
//!   [`MAX_JWKS_MAX_AGE`] ([`DEFAULT_JWKS_MAX_AGE`] without one): past it
//!   the set is refreshed in the background while still in use. A failed
//!   fetch keeps the known keys in service and backs off
//!   ([`JWKS_INITIAL_BACKOFF`] doubling to [`JWKS_MAX_BACKOFF`]). Bodies
//!   are capped ([`MAX_JWKS_BYTES`], [`MAX_METADATA_BYTES`]), so is the key
//!   count ([`MAX_JWKS_KEYS`]); only RSA and EC signature keys with a `kid`
//!   are kept; a set with private key members is refused whole.
//! - **Rejections** ([`Rejection`]): a typed [`RejectReason`], the status
//!   (`401`; `400 invalid_request` for a malformed `Authorization`; `403
//!   insufficient_scope`; `503` when keys or the replay store are
//!   unavailable) and the headers to send (`WWW-Authenticate` per RFC 6750
//!   §3 and RFC 9449 §7.1, `DPoP-Nonce`), which
//!   [`AuthChallenge::from_response`](crate::AuthChallenge::from_response)
//!   reads back. Never the token.
//!
//! ```no_run
//! use okta_auth::AccessTokenVerifier;
//! use okta_auth::http::{HeaderMap, Method};
//!
//! # async fn run(method: Method, headers: HeaderMap) -> Result<(), okta_auth::Error> {
//! let verifier = AccessTokenVerifier::builder("https://example.okta.com/oauth2/default")
//!     .audience("api://default")
//!     .required_scopes(["orders:read"])
//!     .build()?;
//! // The URL as the client called it (your public origin and the path).
//! let url = "https://api.example.com/orders".parse().unwrap();
//! match verifier.verify_request(&method, &url, &headers).await {
//!     Ok(claims) => println!("hello {:?}", claims.sub()),
//!     Err(rejection) => {
//!         // Send rejection.status() with rejection.headers().
//!     }
//! }
//! # Ok(()) }
//! ```

mod builder;
mod claims;
mod fetch;
mod jwks;
mod jws;
mod limits;
mod nonce;
mod proof;
mod reason;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_nonce;
mod rejection;
mod replay;
mod request;

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, Method};
use url::Url;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{
    DEFAULT_REDIS_COMMAND_TIMEOUT, DEFAULT_REDIS_KEY_PREFIX, REDIS_CONNECT_RETRIES,
    REDIS_CONNECT_TIMEOUT, REDIS_RECONNECT_MAX_DELAY, RedisReplayStore,
};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis_nonce::{DEFAULT_REDIS_NONCE_PREFIX, RedisNonceStore};
pub use builder::AccessTokenVerifierBuilder;
pub use claims::Claims;
pub use limits::{
    DEFAULT_ALGORITHMS, DEFAULT_DPOP_ALGORITHMS, DEFAULT_DPOP_PROOF_MAX_AGE, DEFAULT_FETCH_TIMEOUT,
    DEFAULT_JWKS_MAX_AGE, DEFAULT_LEEWAY, JWKS_INITIAL_BACKOFF, JWKS_MAX_BACKOFF,
    MAX_DPOP_PROOF_MAX_AGE, MAX_JWKS_BYTES, MAX_JWKS_KEYS, MAX_JWKS_MAX_AGE, MAX_LEEWAY,
    MAX_METADATA_BYTES, MAX_PROOF_LEN, MAX_TOKEN_LEN, MIN_JWKS_MAX_AGE, MIN_JWKS_REFETCH_INTERVAL,
};
pub use nonce::{
    DEFAULT_NONCE_GRACE, DEFAULT_NONCE_ROTATION, MemoryNonceStore, NonceCheck, NonceStore,
};
pub use rejection::{RejectReason, Rejection};
pub use replay::{DEFAULT_REPLAY_CAPACITY, MemoryReplayStore, ReplayStore};

use crate::clock;
use crate::error::Error;
use crate::jose::Algorithm;
use jwks::{Jwks, KeyLookup};
use jws::{Compact, TokenHeader, allowed_alg, is_access_token_type, object};
use rejection::Scheme;
use request::{Presented, ProofField};

/// Verifies access tokens of one Okta custom authorization server, and
/// DPoP proofs; see the [module docs](self) for every check.
///
/// Cheap to clone; clones share the key cache and the replay store. Build
/// it once with [`AccessTokenVerifier::builder`]. Verification runs on a
/// tokio runtime (the key set is fetched with reqwest).
#[derive(Clone)]
pub struct AccessTokenVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audiences: Vec<String>,
    client_ids: Vec<String>,
    required_scopes: Vec<String>,
    /// The required scopes, space-separated, for `insufficient_scope`.
    scope_param: Option<Arc<str>>,
    leeway: u64,
    algorithms: Vec<Algorithm>,
    dpop: Dpop,
    jwks: Jwks,
}

struct Dpop {
    algorithms: Vec<Algorithm>,
    /// `algorithms` as a challenge's `algs`.
    algs: Arc<str>,
    max_age: u64,
    required: bool,
    replay: Arc<dyn ReplayStore>,
    nonces: Option<Arc<dyn NonceStore>>,
}

impl AccessTokenVerifier {
    /// A builder for tokens issued by `issuer`, a custom authorization
    /// server's `https://{org}/oauth2/{id}` exactly as its tokens' `iss`
    /// (and its metadata) write it.
    pub fn builder(issuer: impl Into<String>) -> AccessTokenVerifierBuilder {
        AccessTokenVerifierBuilder::new(issuer.into())
    }

    /// The issuer whose tokens this verifies.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Verifies a token on its own, as a Bearer token: everything but DPoP
    /// (see the [module docs](self)). A DPoP-bound token is refused
    /// ([`RejectReason::BoundTokenAsBearer`]): its proof cannot be checked
    /// here, so use [`verify_request`](Self::verify_request). With
    /// [`require_dpop`](AccessTokenVerifierBuilder::require_dpop) a token
    /// that is not bound is refused too ([`RejectReason::DpopRequired`],
    /// as `verify_request` refuses it sent as Bearer): `verify` then
    /// accepts nothing.
    pub async fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let claims = self.token(token, Scheme::Bearer).await?;
        if claims.jkt.is_some() {
            return Err(self.reject(RejectReason::BoundTokenAsBearer, Scheme::Dpop));
        }
        if self.inner.dpop.required {
            return Err(self.reject(RejectReason::DpopRequired, Scheme::Dpop));
        }
        self.scopes(&claims, Scheme::Bearer)?;
        Ok(claims)
    }

    /// Verifies a request's credentials: `Authorization: Bearer` or `DPoP`
    /// and, for a DPoP-bound token, its `DPoP` proof (see the
    /// [module docs](self)).
    ///
    /// `url` is the URL the client called, as it saw it: your public
    /// scheme, host and port (behind a proxy, not the backend's), and the
    /// request path; its query and fragment are ignored.
    pub async fn verify_request(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
    ) -> Result<Claims, Rejection> {
        let any = Scheme::Any {
            bearer: !self.inner.dpop.required,
        };
        let (presented, token) =
            request::credentials(headers).map_err(|reason| self.reject(reason, any))?;
        let scheme = match presented {
            Presented::Bearer => Scheme::Bearer,
            Presented::Dpop => Scheme::Dpop,
        };
        let mut claims = self.token(token, scheme).await?;
        let dpop = &self.inner.dpop;
        let jkt = match (presented, claims.jkt.as_deref()) {
            (Presented::Bearer, Some(_)) => {
                return Err(self.reject(RejectReason::BoundTokenAsBearer, Scheme::Dpop));
            }
            (Presented::Bearer, None) if dpop.required => {
                return Err(self.reject(RejectReason::DpopRequired, Scheme::Dpop));
            }
            (Presented::Bearer, None) => {
                self.scopes(&claims, scheme)?;
                return Ok(claims);
            }
            (Presented::Dpop, None) => {
                return Err(self.reject(RejectReason::TokenNotBound, Scheme::Dpop));
            }
            (Presented::Dpop, Some(jkt)) => jkt,
        };
        let proof = match request::proof(headers) {
            ProofField::One(proof) => proof,
            ProofField::Absent => return Err(self.reject(RejectReason::MissingProof, scheme)),
            ProofField::Many => return Err(self.reject(RejectReason::MultipleProofs, scheme)),
            ProofField::Unreadable => {
                return Err(self.reject(RejectReason::MalformedProof, scheme));
            }
        };
        let checked = proof::check(
            proof,
            &proof::Expect {
                method,
                url,
                token,
                jkt,
                algorithms: &dpop.algorithms,
                max_age: dpop.max_age,
                leeway: self.inner.leeway,
                now: clock::unix_now(),
            },
        )
        .map_err(|reason| self.reject(reason, scheme))?;
        if let Some(nonces) = &dpop.nonces {
            claims.next_dpop_nonce = self
                .nonce(nonces.as_ref(), checked.nonce.as_deref())
                .await?;
        }
        self.scopes(&claims, scheme)?;
        match dpop.replay.first_use(&checked.replay_id, checked.ttl).await {
            Ok(true) => Ok(claims),
            Ok(false) => Err(self.reject(RejectReason::ProofReplayed, scheme)),
            Err(error) => Err(self
                .reject(RejectReason::DpopStoreUnavailable, scheme)
                .with_error(error)),
        }
    }

    /// Fetches the issuer's key set now (or waits for the fetch in flight),
    /// for instance at startup or in a readiness check. Verification
    /// fetches it on its own when needed.
    pub async fn load_keys(&self) -> Result<(), Error> {
        self.inner.jwks.load().await
    }

    /// The token's signature and claims, all but the scopes.
    async fn token(&self, token: &str, scheme: Scheme) -> Result<Claims, Rejection> {
        self.check_token(token).await.map_err(|(reason, error)| {
            let rejection = self.reject(reason, scheme);
            match error {
                Some(error) => rejection.with_error(error),
                None => rejection,
            }
        })
    }

    async fn check_token(&self, token: &str) -> Result<Claims, (RejectReason, Option<Error>)> {
        use RejectReason::*;
        let inner = &*self.inner;
        if token.len() > MAX_TOKEN_LEN {
            return Err((TokenTooLarge, None));
        }
        let jws = Compact::parse(token, MAX_TOKEN_LEN).ok_or((MalformedToken, None))?;
        let header: TokenHeader = object(&jws.header).ok_or((MalformedToken, None))?;
        if !is_access_token_type(header.typ.as_deref()) {
            return Err((TokenType, None));
        }
        let alg = allowed_alg(&header.alg, &inner.algorithms).ok_or((Algorithm, None))?;
        if header.crit.0 {
            return Err((CriticalHeader, None));
        }
        if header.embeds_key() {
            return Err((EmbeddedKey, None));
        }
        let kid = header.kid.as_deref().ok_or((MissingKeyId, None))?;
        let key = inner.jwks.key(kid).await.map_err(|miss| match miss {
            KeyLookup::Unknown => (UnknownKeyId, None),
            KeyLookup::Unavailable(error) => (KeysUnavailable, Some(error)),
        })?;
        if !key.jwk.members().fits(alg) || key.jwk.algorithm().is_some_and(|a| a != alg) {
            return Err((KeyMismatch, None));
        }
        if !key.key.verify(alg, jws.signing_input, &jws.signature) {
            return Err((Signature, None));
        }
        let raw: claims::RawClaims = object(&jws.payload).ok_or((MalformedClaims, None))?;
        let expect = claims::Expect {
            issuer: &inner.issuer,
            audiences: &inner.audiences,
            client_ids: &inner.client_ids,
            leeway: inner.leeway,
            now: clock::unix_now(),
            dpop_algs: &inner.dpop.algs,
        };
        claims::check(raw, jws.payload, &expect).map_err(|reason| (reason, None))
    }

    /// The required scopes, or `403 insufficient_scope`.
    fn scopes(&self, claims: &Claims, scheme: Scheme) -> Result<(), Rejection> {
        let inner = &*self.inner;
        if inner.required_scopes.iter().all(|s| claims.has_scope(s)) {
            return Ok(());
        }
        Err(self
            .reject(RejectReason::InsufficientScope, scheme)
            .with_scope(inner.scope_param.clone()))
    }

    /// Judges a proof's nonce: `Ok(Some(newer))` when the client should
    /// move on to a newer one.
    async fn nonce(
        &self,
        nonces: &dyn NonceStore,
        nonce: Option<&str>,
    ) -> Result<Option<String>, Rejection> {
        let unusable = |error: Error| {
            self.reject(RejectReason::DpopStoreUnavailable, Scheme::Dpop)
                .with_error(error)
        };
        let bad_nonce = || Error::DpopStore {
            reason: "the nonce store made a nonce outside the rfc 9449 syntax".into(),
            source: None,
        };
        match nonces.check(nonce).await.map_err(unusable)? {
            NonceCheck::Current => Ok(None),
            NonceCheck::Previous { current } if crate::dpop::is_valid_nonce(&current) => {
                Ok(Some(current))
            }
            NonceCheck::Refused { current } if crate::dpop::is_valid_nonce(&current) => Err(self
                .reject(RejectReason::UseDpopNonce, Scheme::Dpop)
                .with_nonce(current)),
            _ => Err(unusable(bad_nonce())),
        }
    }

    /// A refusal challenging with `scheme`, or with `DPoP` whenever DPoP
    /// is required: the challenge names only a scheme this server accepts
    /// (RFC 6750 §3, RFC 9449 §7.1), whatever scheme the request used.
    fn reject(&self, reason: RejectReason, scheme: Scheme) -> Rejection {
        tracing::debug!(reason = ?reason, "access token refused");
        let scheme = match scheme {
            Scheme::Bearer if self.inner.dpop.required => Scheme::Dpop,
            scheme => scheme,
        };
        Rejection::new(reason, scheme, Arc::clone(&self.inner.dpop.algs))
    }
}

impl fmt::Debug for AccessTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("AccessTokenVerifier")
            .field("issuer", &inner.issuer)
            .field("audiences", &inner.audiences)
            .field("client_ids", &inner.client_ids)
            .field("required_scopes", &inner.required_scopes)
            .field("leeway_s", &inner.leeway)
            .field("algorithms", &inner.algorithms)
            .field("dpop_algorithms", &inner.dpop.algorithms)
            .field("dpop_required", &inner.dpop.required)
            .field("replay_store", &inner.dpop.replay)
            .field("nonces", &inner.dpop.nonces)
            .finish_non_exhaustive()
    }
}
