//! [`Authorize`]: a token on a request to the org, the `401` policy, DPoP
//! nonces and redirects. The table of what each `401` leads to is on
//! `OktaAuth`; `OktaAdmin` follows it too.

use http::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use http::{HeaderMap, Method, StatusCode};
use reqwest::{Request, Response, redirect};
use url::Url;

use super::SendOnce;
use crate::challenge::{Challenge, asks_for_nonce, dpop_nonce};
use crate::dpop::HtuForm;
use crate::error::Error;
use crate::org::OrgUrl;
use crate::token::{AccessToken, DPOP, TokenSource};

/// The most redirects from the org followed for one request, as many as
/// reqwest's default policy.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// The redirect policy of a client under the request path: a redirect
/// chain that starts at a URL `allows` (the org's origin, or the origins
/// named instead) stops at its first redirect, which [`Authorize`] then
/// follows itself without leaking credentials and a token request never
/// follows; every other chain follows reqwest's default policy (at most 10
/// redirects). Used by `OktaAuth::redirect_policy` and `OktaConfig`'s
/// built client.
pub(crate) fn redirect_policy(
    allows: impl Fn(&Url) -> bool + Send + Sync + 'static,
) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        let from_allowed = attempt.previous().first().is_some_and(&allows);
        if from_allowed {
            attempt.stop()
        } else {
            redirect::Policy::default().redirect(attempt)
        }
    })
}

/// Authorizes requests to one org, or to the origins named instead of it,
/// with tokens from one source.
#[derive(Clone, Copy)]
pub(crate) struct Authorize<'a> {
    pub(crate) org: &'a OrgUrl,
    /// The origins the tokens are for instead of the org's (validated as
    /// the org's is); `None`: the org's origin only.
    pub(crate) origins: Option<&'a [OrgUrl]>,
    pub(crate) source: &'a dyn TokenSource,
    /// Whether requests carry [`USER_AGENT`](crate::USER_AGENT).
    pub(crate) user_agent: bool,
}

/// What one request took, for its span.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Authorization retries (a `401` answered).
    pub(crate) retries: u32,
    /// Redirects followed.
    pub(crate) redirects: usize,
}

impl Authorize<'_> {
    /// Whether `url` is on an origin the tokens are for.
    pub(crate) fn allows(&self, url: &Url) -> bool {
        match self.origins {
            None => self.org.is_same_origin(url),
            Some(origins) => origins.iter().any(|o| o.is_same_origin(url)),
        }
    }

    /// The `htu` form of a proof for `url`: Okta's for the org, RFC 3986's
    /// for any other origin.
    fn htu_form(&self, url: &Url) -> HtuForm {
        if self.org.is_same_origin(url) {
            HtuForm::Okta
        } else {
            HtuForm::Rfc3986
        }
    }

    /// Sends a request with a token: the retries and redirects, counted in
    /// `tally`. The caller has checked that `req` goes to an allowed origin
    /// ([`allows`](Self::allows)).
    pub(crate) async fn send<T: SendOnce>(
        &self,
        mut req: Request,
        transport: &mut T,
        tally: &mut Tally,
    ) -> Result<Response, T::Error> {
        if self.user_agent {
            // Before the loop: retries and redirects start from this.
            crate::user_agent::add_to(req.headers_mut());
        }
        let mut auth_retried = false;
        // The token in use was fetched for this request after a 401.
        let mut replaced = false;
        let mut redirects = 0;
        // A token to use again (nonce retry, redirect) instead of asking.
        let mut again: Option<AccessToken> = None;
        loop {
            let token = match again.take() {
                Some(t) => t,
                None => self.source.token().await.map_err(T::error)?,
            };
            // Taken before the credentials go in: a retry or a redirect
            // starts from the caller's own headers.
            let spare = req.try_clone();
            // Moved out and back so the method and URL can be read while
            // the headers are written; replaces any `DPoP` header the
            // caller set.
            let mut headers = std::mem::take(req.headers_mut());
            let form = self.htu_form(req.url());
            let authorized = token.authorize_into_form(req.method(), req.url(), form, &mut headers);
            *req.headers_mut() = headers;
            authorized.map_err(T::error)?;
            let sent_origin = token.dpop_key().map(|_| req.url().origin());
            let resp = transport.send(req).await?;

            if let (Some(key), Some(origin)) = (token.dpop_key(), sent_origin) {
                if resp.url().origin() != origin {
                    return Err(T::error(Error::Config(
                        "the http client followed a redirect to another origin with a \
                         dpop proof; build it with OktaAuth::redirect_policy()"
                            .into(),
                    )));
                }
                if let Some(nonce) = dpop_nonce(resp.headers()) {
                    // Checked by `dpop_nonce`, so this cannot fail.
                    let _ = key.remember_nonce(resp.url(), nonce);
                }
            }

            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED {
                let spare = spare.filter(|_| !auth_retried);
                let dpop = token.dpop_key().is_some();
                let retry_with = match on_unauthorized(resp.headers(), dpop) {
                    // The replacement fetched for this request a moment ago
                    // is refused too: reporting it would only make a cache
                    // throw it away (its backoff decides when to replace
                    // it).
                    Unauthorized::NewToken if replaced => None,
                    Unauthorized::NewToken => {
                        self.source.invalidate(&token);
                        match spare {
                            // No retry: the next request gets the new token.
                            None => None,
                            Some(_) => {
                                let fresh = self.source.token().await.map_err(T::error)?;
                                // The same token (an API token, or a cache
                                // backing off forced refreshes) would be
                                // refused the same way.
                                (!fresh.same_token(&token)).then_some((fresh, true))
                            }
                        }
                    }
                    // The token is fine: the new proof carries the nonce
                    // remembered above, or merely a new `jti`.
                    Unauthorized::SameToken => Some((token, false)),
                    Unauthorized::GiveUp => None,
                };
                match (spare, retry_with) {
                    (Some(spare), Some((retry_with, new_token))) => {
                        tracing::debug!(new_token, "okta refused the request (401); retrying once");
                        replaced = new_token;
                        auth_retried = true;
                        tally.retries += 1;
                        again = Some(retry_with);
                        req = spare;
                        continue;
                    }
                    _ => return Ok(resp),
                }
            }
            let Some(spare) = spare else {
                return Ok(resp);
            };
            if status.is_redirection() && redirects < MAX_REDIRECTS {
                let Some(follow) = redirect_request(spare, &resp) else {
                    return Ok(resp);
                };
                redirects += 1;
                tally.redirects = redirects;
                if self.allows(follow.url()) {
                    again = Some(token);
                    req = follow;
                } else {
                    return transport.send(without_credentials(follow)).await;
                }
            } else {
                return Ok(resp);
            }
        }
    }
}

/// What to do about a `401`, from its challenges (see the table on
/// `OktaAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unauthorized {
    /// The token is bad: report it, fetch another, retry.
    NewToken,
    /// The token is fine: retry with it and a fresh proof.
    SameToken,
    /// A retry would fail the same way: return the `401`.
    GiveUp,
}

/// Classifies a `401` for a request made with a DPoP token (`dpop`) or not.
fn on_unauthorized(headers: &HeaderMap, dpop: bool) -> Unauthorized {
    // A header we cannot read says nothing against the token; a new one is
    // the only thing the client can change.
    let Ok(challenges) = Challenge::from_headers(headers) else {
        return Unauthorized::NewToken;
    };
    if asks_for_nonce(&challenges) {
        // Without a usable nonce, or for a token without a key, a retry
        // could not do better.
        return if dpop && dpop_nonce(headers).is_some() {
            Unauthorized::SameToken
        } else {
            Unauthorized::GiveUp
        };
    }
    // No error at all (Okta's SSWS `E0000011`, a bare `Bearer realm=…`):
    // the credentials were not accepted.
    let Some(challenge) = challenges.iter().find(|c| c.error().is_some()) else {
        return Unauthorized::NewToken;
    };
    let error = challenge.error().unwrap_or_default();
    let description = challenge.error_description().unwrap_or_default();
    if error == "invalid_token" {
        return Unauthorized::NewToken;
    }
    // Okta names the precise DPoP error either as the code or, under
    // `invalid_dpop_proof`, in the description.
    let replayed = error == "dpop_proof_already_used"
        || (error == "invalid_dpop_proof"
            && (description.contains("dpop_proof_already_used")
                || description.contains("already been used")
                || description.contains("already used")));
    if replayed {
        return if dpop {
            Unauthorized::SameToken
        } else {
            Unauthorized::GiveUp
        };
    }
    let proof_error = error == "invalid_dpop_proof"
        || error.starts_with("dpop_")
        || description.contains("dpop_")
        || challenge.is_scheme("DPoP");
    if proof_error {
        Unauthorized::GiveUp
    } else {
        Unauthorized::NewToken
    }
}

/// The request that follows redirect `resp` to `prev`, as reqwest would
/// build it: `303` (and `301`/`302` after a `POST`) become a `GET` without
/// a body; `307`/`308` keep method and body. `None` if `resp` is not a
/// redirect we can follow.
fn redirect_request(mut prev: Request, resp: &Response) -> Option<Request> {
    let location = resp.headers().get(LOCATION)?.to_str().ok()?;
    let url = prev.url().join(location).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let method = prev.method();
    let to_get = match resp.status() {
        StatusCode::SEE_OTHER => *method != Method::HEAD,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => *method == Method::POST,
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => false,
        _ => return None,
    };
    if to_get {
        *prev.method_mut() = Method::GET;
        *prev.body_mut() = None;
        let headers = prev.headers_mut();
        for name in [
            CONTENT_TYPE,
            CONTENT_LENGTH,
            CONTENT_ENCODING,
            TRANSFER_ENCODING,
        ] {
            headers.remove(name);
        }
    }
    *prev.url_mut() = url;
    Some(prev)
}

/// `req` without anything that authenticates the caller.
fn without_credentials(mut req: Request) -> Request {
    let headers = req.headers_mut();
    for name in [AUTHORIZATION, DPOP, COOKIE, PROXY_AUTHORIZATION] {
        headers.remove(name);
    }
    req
}
