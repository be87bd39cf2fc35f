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

use std::future::Future;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::Next;

use crate::request::SendOnce;

/// Wraps an [`Error`](crate::Error) the way reqwest-middleware expects, so
/// callers can `downcast_ref::<okta_auth::Error>()` it.
fn middleware_error(e: crate::Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(e)
}

/// The rest of the middleware chain as the request path's sender: each
/// send runs the chain once more (`next.clone().run`).
struct NextSend<'a> {
    next: Next<'a>,
    extensions: &'a mut Extensions,
}

impl SendOnce for NextSend<'_> {
    type Error = reqwest_middleware::Error;

    fn send(
        &mut self,
        req: Request,
    ) -> impl Future<Output = reqwest_middleware::Result<Response>> + Send {
        self.next.clone().run(req, self.extensions)
    }

    fn error(e: crate::Error) -> reqwest_middleware::Error {
        middleware_error(e)
    }
}
