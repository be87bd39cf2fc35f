//! One request path to the Okta org, whoever sends the request: the
//! authorization loop and the `429` rule, written once over "send this
//! request once".
//!
//! - **[`SendOnce`].** The one thing the path needs from below: send one
//!   `reqwest::Request` and hand back its response. The middleware sends
//!   through reqwest-middleware's `Next`, `OktaAdmin` through a
//!   `reqwest::Client` ([`Execute`]); neither the loop nor its decisions
//!   know which.
//! - **[`Authorize`]** (`authorize.rs`): a token from the source on a
//!   request to the org and nowhere else; the `401` policy (a new token
//!   only if it differs, [`AccessToken::same_token`](crate::AccessToken::same_token);
//!   a fresh proof for a nonce or a replayed `jti`; nothing for a broken
//!   proof), at most one authorization retry; every `DPoP-Nonce` the org
//!   sends remembered; redirects followed within the org with a fresh
//!   proof and elsewhere without credentials. `OktaAuth` documents the
//!   table; this is its code.
//! - **[`RateLimitRetry`]** (`rate_limit.rs`): a `429` is waited out by the
//!   crate's one rule (`X-Rate-Limit-Reset − Date + 1 s`, capped, plus a
//!   random jitter; [`server_wait`](crate::rate_limit::server_wait)) and
//!   retried with Okta's `X-Okta-Retry-For` / `X-Okta-Retry-Count`; every
//!   answer from the org's origin gets its [`RateLimit`](crate::RateLimit)
//!   extension, and an answer from another origin (a redirect the layer
//!   below followed) passes untouched, a `429` included. Each retry goes
//!   through the layer below again, so it gets a fresh DPoP proof.
//! - **Cost.** Generic over the sender, so the middleware's hit path stays
//!   what it was: no allocation or dynamic call added.

mod authorize;
mod rate_limit;

use std::future::Future;

use reqwest::{Request, Response};

#[cfg(feature = "middleware")]
pub(crate) use authorize::MAX_REDIRECTS;
pub(crate) use authorize::{Authorize, Tally, redirect_policy};
#[cfg(feature = "middleware")]
pub(crate) use rate_limit::{DEFAULT_FALLBACK_WAIT, DEFAULT_JITTER};
pub(crate) use rate_limit::{DEFAULT_MAX_RETRIES, DEFAULT_MAX_WAIT, RateLimitRetry};

use crate::error::Error;

/// Sends one request, once: what the request path drives.
pub(crate) trait SendOnce: Send {
    /// What a failed send is (reqwest-middleware's error, or ours).
    type Error;

    /// Sends `req` and returns the response, whatever its status.
    fn send(&mut self, req: Request) -> impl Future<Output = Result<Response, Self::Error>> + Send;

    /// Our error as the sender's.
    fn error(e: Error) -> Self::Error;
}

/// A plain `reqwest::Client` as a sender: transport failures become
/// [`Error::Transport`] (without the URL) or [`Error::Timeout`].
pub(crate) struct Execute<'a>(pub(crate) &'a reqwest::Client);

impl SendOnce for Execute<'_> {
    type Error = Error;

    fn send(&mut self, req: Request) -> impl Future<Output = Result<Response, Error>> + Send {
        let client = self.0;
        async move { client.execute(req).await.map_err(Error::transport) }
    }

    fn error(e: Error) -> Error {
        e
    }
}
