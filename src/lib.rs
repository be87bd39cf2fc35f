//! Authenticate Rust programs to the Okta management API, and put that
//! authentication on the requests of your own HTTP client.
//!
#![doc = include_str!("../docs/start.md")]
// Without `test-util` (a user's own `cargo doc`), `testing` is not there to
// link to: send the shared opening's link to its page on docs.rs instead.
#![cfg_attr(
    not(feature = "test-util"),
    doc = "[`testing::MockOkta`]: https://docs.rs/okta-auth/latest/okta_auth/testing/struct.MockOkta.html"
)]
//!
//! ## The parts
//!
//! A [`TokenSource`] yields an [`AccessToken`], which knows how to authorize
//! one HTTP request ([`AccessToken::authorize`]). Wrap a source in a
//! [`CachingTokenSource`] ([`TokenSourceExt::cached`]) to reuse tokens: fresh
//! reads take no lock, one fetch runs at a time, and tokens are refreshed
//! ahead of expiry. A service app signs its client assertions with a
//! [`SigningKey`] (`private_key_jwt`; a client secret only for custom
//! authorization servers) and binds its tokens to a [`DpopKey`] (RFC 9449).
//! When Okta refuses a request, [`AuthChallenge`] reads its
//! `WWW-Authenticate` answer. Keys speak JOSE through the crate's own types:
//! [`Jwk`] (what Okta registers and a JWKS holds, with its RFC 7638
//! thumbprint), [`JwkSet`] and [`Algorithm`].
//!
//! [`OktaConfig`] builds a ready, cached source and client from the settings
//! Okta's SDKs read. [`OktaAdmin`] manages service apps through Okta's
//! management API (keys, scope grants, admin roles, API tokens) and
//! provisions a ready one in one call ([`admin`]). A service app's key
//! rotates while it runs ([`ServiceAppSource::rotate_key`], and the staged,
//! re-runnable [`rotation::KeyRotation`] against the app's keys in Okta).
//! The other way round, [`AccessTokenVerifier`] (module [`verify`]) checks
//! the tokens of an Okta custom authorization server, and their DPoP proofs,
//! in the API that receives them.
//!
//! ## Optional features
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
//! ## Security
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
//! - JWKs read from input are checked when parsed: an EC `x`/`y` must be a
//!   point of its curve, an RSA `e` odd and greater than 1, a `kid` (of a
//!   public or a private JWK) free of control characters; a [`JwkSet`]
//!   skips keys that fail.
//! - Tokens leave through [`AccessToken::authorize`] and its
//!   `authorize_*` siblings, or [`AccessToken::secret`] for callers who must;
//!   check the origin before you send them anywhere ([`OrgUrl::is_same_origin`];
//!   the middleware does).
//!
//! ## Minimum supported Rust version
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

// Items of public modules are inlined, so that the crate root lists the
// types a user starts from (`OktaConfig`, the sources, `OktaAuth`) as types
// rather than as a list of re-exports.
#[doc(inline)]
pub use admin::OktaAdmin;
pub use api_token::ApiTokenSource;
#[doc(inline)]
pub use cache::{
    CachingTokenSource, CachingTokenSourceBuilder, RefreshEvent, RefreshReason, TokenSourceExt,
};
#[doc(inline)]
pub use challenge::{AuthChallenge, Challenge};
#[doc(inline)]
pub use config::OktaConfig;
pub use dpop::{DPOP_NONCE, DpopKey};
pub use error::{Error, JwkProblem, OAuthError, OrgUrlProblem};
#[doc(inline)]
pub use jose::{Algorithm, Jwk, JwkSet, KeyUse, jwk_thumbprint};
pub use key::SigningKey;
#[cfg(feature = "middleware")]
pub use middleware::{OktaAuth, OktaRateLimit};
pub use org::OrgUrl;
pub use rate_limit::RateLimit;
#[doc(inline)]
pub use service_app::{DpopMode, ServiceAppSource, ServiceAppSourceBuilder};
pub use token::{AccessToken, DPOP, TokenSource, TokenType};
pub use user_agent::USER_AGENT;
#[doc(inline)]
pub use verify::AccessTokenVerifier;

/// Re-exported: the attribute that implementing this crate's async traits
/// takes ([`TokenSource`], [`verify::ReplayStore`], [`verify::NonceStore`],
/// [`rotation::KeyRegistry`]): `#[okta_auth::async_trait]`.
pub use async_trait::async_trait;
/// Re-exported: the `http` crate, whose types appear in this API.
pub use http;
/// Re-exported: the `reqwest` crate, whose `Client` token sources and
/// [`OktaConfig`] take and give, so a downstream crate needs no reqwest
/// line of its own (nor one that must match this crate's version).
pub use reqwest;
/// Re-exported: the `reqwest-middleware` crate, whose `Middleware` trait
/// [`OktaAuth`] and [`OktaRateLimit`] implement.
#[cfg(feature = "middleware")]
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
pub use reqwest_middleware;
/// Re-exported: the `secrecy` crate, whose types hold our secrets.
pub use secrecy;
/// Re-exported: the `serde_json` crate, whose `Value` holds JWT claims and
/// `testing::MockOkta`'s JSON (and whose `json!` builds it).
pub use serde_json;
/// Re-exported: the `url` crate, whose types appear in this API.
pub use url;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
