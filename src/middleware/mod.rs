//! Middleware for [`reqwest_middleware`]: [`OktaAuth`] puts a token on every
//! request to the Okta org, [`OktaRateLimit`] waits out Okta's rate limits
//! and, when asked, paces requests before them (off by default). The
//! stacking order and pacing are documented on [`OktaRateLimit`]; what
//! `OktaAuth` does about each kind of `401` (a new token, a fresh proof, or
//! nothing) and how its errors come back, on [`OktaAuth`].

mod auth;
mod rate_limit;

pub use auth::OktaAuth;
pub use rate_limit::OktaRateLimit;

/// Wraps an [`Error`](crate::Error) the way reqwest-middleware expects, so
/// callers can `downcast_ref::<okta_auth::Error>()` it.
fn middleware_error(e: crate::Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}
