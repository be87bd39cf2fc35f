//! Authenticate Rust programs to the Okta management API.
//!
//! Okta offers machines two credentials, and this crate supports both behind
//! one trait, [`TokenSource`]:
//!
//! - **API tokens** ([`ApiTokenSource`]): a long-lived secret made in the
//!   Admin UI, sent as `Authorization: SSWS {token}`.
//! - **API service apps** ([`ServiceAppSource`]): OAuth 2.0 client credentials
//!   against the org authorization server, the client signing a JWT with its
//!   private key ([`SigningKey`], `private_key_jwt`; a client secret only for
//!   custom authorization servers); short-lived, scoped access tokens, often
//!   bound to a key with DPoP (RFC 9449, [`DpopKey`]).
//!
//! A source yields an [`AccessToken`]; the token knows how to authorize one
//! HTTP request ([`AccessToken::authorize`]). When Okta refuses one,
//! [`AuthChallenge`] reads its `WWW-Authenticate` answer. Keys speak JOSE
//! through the crate's own types: [`Jwk`] (what Okta registers and a JWKS
//! holds, with its RFC 7638 thumbprint), [`JwkSet`] and [`Algorithm`]. Wrap
//! a source in a [`CachingTokenSource`] ([`TokenSourceExt::cached`]) to
//! reuse tokens: fresh reads take no lock, one fetch runs at a time, and
//! tokens are refreshed ahead of expiry. [`OktaConfig`] builds a ready,
//! cached source from the settings Okta's SDKs read (`okta.yaml`,
//! `OKTA_CLIENT_*`). [`OktaAdmin`] manages service apps through Okta's
//! management API (keys, scope grants, admin roles, API tokens) and
//! provisions a ready one in one call ([`admin`]). A service app's key
//! rotates while it runs ([`ServiceAppSource::rotate_key`], and the staged,
//! re-runnable [`rotation::KeyRotation`] against the app's keys in Okta).
//!
//! The other way round, a service whose own API receives the tokens of an
//! Okta custom authorization server verifies them, and their DPoP proofs,
//! with [`AccessTokenVerifier`] (module [`verify`]): strict JWT checks, a
//! shared key set cache, replay and nonce stores, and refusals ready to
//! send as `WWW-Authenticate`.
//!
//! # Quick start
//!
//! ```no_run
//! use okta_auth::{ApiTokenSource, OrgUrl, TokenSource};
//! use okta_auth::http::Method;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let org: OrgUrl = "https://example.okta.com".parse()?;
//! let source = ApiTokenSource::new(std::env::var("OKTA_CLIENT_TOKEN")?)?;
//!
//! let url = org.endpoint("api/v1/users/me");
//! let token = source.token().await?;
//! let headers = token.authorize(&Method::GET, &url)?;
//! let me = reqwest::Client::new().get(url).headers(headers).send().await?;
//! println!("{}", me.status());
//! # Ok(()) }
//! ```
//!
//! # Optional features
//!
//! - `rustls` *(default)*: reqwest uses rustls for TLS.
//! - `native-tls`: reqwest uses the platform's TLS library.
//! - `middleware` *(default)*: `OktaAuth` (tokens on requests to the org,
//!   `401` and DPoP-nonce retries, no credential to another origin) and
//!   `OktaRateLimit` (waits out Okta's `429`s and, when asked, paces
//!   requests before them), reqwest-middleware middleware.
//! - `redis`: `verify::RedisReplayStore` and `verify::RedisNonceStore`,
//!   DPoP replay and server-nonce state in Redis shared by a fleet of
//!   replicas (one `SET NX PX` per proof; both fail closed). Plain TCP, no
//!   TLS backend.
//! - `test-util`: `testing::MockOkta`, a fake Okta org on loopback. **For
//!   tests only.**
//!
//! # Security
//!
//! - Tokens live in [`secrecy`] types; `Debug` prints `[redacted]`, no type
//!   holding a secret implements `Display`, and no [`Error`] carries a
//!   secret or a raw response body.
//! - `Authorization` and `DPoP` header values are marked sensitive.
//! - [`OrgUrl`] refuses plain `http` except for loopback hosts, and URLs
//!   with user info, paths, queries or fragments, or with whitespace or
//!   control characters inside (URL parsers drop tabs and line breaks, so
//!   `https://org.okta.com\n.evil.com` would name another host).
//!   [`OktaConfig`]'s `Debug` redacts an org URL's user info.
//! - [`OktaConfig`] reads files with caps, stopping one byte past the cap
//!   ([`config::MAX_CONFIG_FILE_BYTES`], [`config::MAX_KEY_FILE_BYTES`]),
//!   and refuses an `okta.yaml` nested deeper than
//!   [`config::MAX_YAML_DEPTH`] before parsing it.
//! - Wiped when dropped: keys, tokens, client secrets and the copies this
//!   crate makes of them (key file and `okta.yaml` text, the `OKTA_CLIENT_*`
//!   values [`config::Sources`] holds, PEM text being parsed, encoded
//!   `client_secret_basic` credentials, token response bodies). Not wiped,
//!   because they are out of this crate's hands: the `Authorization` and
//!   `DPoP` [`HeaderValue`](http::HeaderValue)s handed to reqwest, the form
//!   body reqwest builds around a client assertion, the buffers of reqwest,
//!   hyper and TLS, the YAML parser's own copies of `okta.yaml`'s values,
//!   copies made inside the rsa, p256 and p384 crates while decoding, and
//!   the process environment (`OKTA_CLIENT_*` stay there until the process
//!   exits).
//! - Tokens leave through [`AccessToken::authorize`] and its
//!   `authorize_*` siblings, or [`AccessToken::secret`] for callers who must;
//!   check the origin before you send them anywhere ([`OrgUrl::is_same_origin`];
//!   the middleware does).
//!
//! # Minimum supported Rust version
//!
//! Rust 1.88, the floor of our dependencies.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod admin;
mod api_token;
pub mod cache;
pub mod challenge;
mod clock;
pub mod config;
mod dpop;
mod error;
pub mod jose;
mod key;
#[cfg(feature = "middleware")]
mod middleware;
mod org;
mod rate_limit;
mod request;
pub mod rotation;
pub mod service_app;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;
mod token;
mod user_agent;
pub mod verify;

pub use admin::OktaAdmin;
pub use api_token::ApiTokenSource;
pub use cache::{
    CachingTokenSource, CachingTokenSourceBuilder, RefreshEvent, RefreshReason, TokenSourceExt,
};
pub use challenge::{AuthChallenge, Challenge};
pub use config::OktaConfig;
pub use dpop::{DPOP_NONCE, DpopKey};
pub use error::{Error, JwkProblem, OAuthError, OrgUrlProblem};
pub use jose::{Algorithm, Jwk, JwkSet, KeyUse, jwk_thumbprint};
pub use key::SigningKey;
#[cfg(feature = "middleware")]
pub use middleware::{OktaAuth, OktaRateLimit};
pub use org::OrgUrl;
pub use rate_limit::RateLimit;
pub use service_app::{DpopMode, ServiceAppSource, ServiceAppSourceBuilder};
pub use token::{AccessToken, DPOP, TokenSource, TokenType};
pub use user_agent::USER_AGENT;
pub use verify::AccessTokenVerifier;

/// Re-exported: the `http` crate, whose types appear in this API.
pub use http;
/// Re-exported: the `reqwest-middleware` crate (and through it `reqwest`),
/// whose `Middleware` trait [`OktaAuth`] and [`OktaRateLimit`] implement.
#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub use reqwest_middleware;
/// Re-exported: the `secrecy` crate, whose types hold our secrets.
pub use secrecy;
/// Re-exported: the `url` crate, whose types appear in this API.
pub use url;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
