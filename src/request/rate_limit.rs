//! [`RateLimitRetry`]: a `429` from the org waited out by the crate's one
//! rule and retried, with Okta's retry headers.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use reqwest::{Request, Response};

use super::SendOnce;
use crate::org::OrgUrl;
use crate::rate_limit::{RateLimit, server_wait};

const X_OKTA_REQUEST_ID: HeaderName = HeaderName::from_static("x-okta-request-id");
const X_OKTA_RETRY_FOR: HeaderName = HeaderName::from_static("x-okta-retry-for");
const X_OKTA_RETRY_COUNT: HeaderName = HeaderName::from_static("x-okta-retry-count");

/// Retries after a `429`, as in Okta's SDKs.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;
/// The longest wait before one retry: Okta's windows are a minute long.
pub(crate) const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);
/// The wait when a `429` says nothing of when to come back.
pub(crate) const DEFAULT_FALLBACK_WAIT: Duration = Duration::from_secs(5);
/// The longest random extra wait after the server's.
pub(crate) const DEFAULT_JITTER: Duration = Duration::from_secs(1);

/// How `429`s are waited out: at most `max_retries` retries, each after
/// the server's wait (else `fallback_wait`) capped at `max_wait`, plus
/// up to `jitter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimitRetry {
    pub(crate) max_retries: u32,
    pub(crate) max_wait: Duration,
    pub(crate) fallback_wait: Duration,
    pub(crate) jitter: Duration,
}

impl Default for RateLimitRetry {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            max_wait: DEFAULT_MAX_WAIT,
            fallback_wait: DEFAULT_FALLBACK_WAIT,
            jitter: DEFAULT_JITTER,
        }
    }
}

impl RateLimitRetry {
    /// How long to wait after a `429` with `headers`, capped by the maximum.
    pub(crate) fn wait(&self, headers: &HeaderMap) -> Duration {
        server_wait(headers)
            .unwrap_or(self.fallback_wait)
            .min(self.max_wait)
    }

    /// `wait` plus the jitter's share `unit` (a uniform draw from `[0, 1)`).
    pub(crate) fn jittered(&self, wait: Duration, unit: f64) -> Duration {
        // `try_from`: a jitter near `Duration::MAX` would overflow `mul_f64`.
        let extra = Duration::try_from_secs_f64(self.jitter.as_secs_f64() * unit.clamp(0.0, 1.0))
            .unwrap_or(self.jitter);
        wait.saturating_add(extra)
    }

    /// Sends `req` (a request to `org`) through `transport`, waiting out and
    /// retrying `429`s. A request whose body cannot be cloned is not
    /// retried; when the retries run out the last `429` is returned. Every
    /// answer from the org's origin gets its [`RateLimit`] in its
    /// extensions; an answer whose final URL is on another origin (the org
    /// redirected there and the layer below followed) is not the org's: it
    /// is returned untouched, a `429` included.
    pub(crate) async fn send<T: SendOnce>(
        &self,
        org: &OrgUrl,
        mut req: Request,
        transport: &mut T,
    ) -> Result<Response, T::Error> {
        let mut retry_for: Option<HeaderValue> = None;
        let mut retries = 0u32;
        loop {
            let spare = if retries < self.max_retries {
                req.try_clone()
            } else {
                None
            };
            let mut resp = transport.send(req).await?;
            if !org.is_same_origin(resp.url()) {
                return Ok(resp);
            }
            if let Some(rate) = RateLimit::from_headers(resp.headers()) {
                resp.extensions_mut().insert(rate);
            }
            if resp.status() != StatusCode::TOO_MANY_REQUESTS {
                return Ok(resp);
            }
            let Some(mut retry) = spare else {
                return Ok(resp);
            };
            if retries == 0 {
                retry_for = resp.headers().get(X_OKTA_REQUEST_ID).cloned();
            }
            let wait = self.jittered(self.wait(resp.headers()), rand::random());
            drop(resp);
            retries += 1;
            tracing::debug!(?wait, retry = retries, "okta rate limit; waiting to retry");
            tokio::time::sleep(wait).await;
            let headers = retry.headers_mut();
            if let Some(id) = &retry_for {
                headers.insert(X_OKTA_RETRY_FOR, id.clone());
            }
            headers.insert(X_OKTA_RETRY_COUNT, HeaderValue::from(retries));
            req = retry;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_by_the_one_rule_capped_and_jittered() {
        let mut h = HeaderMap::new();
        h.insert("date", "Tue, 01 Jan 2030 00:00:00 GMT".parse().unwrap());
        h.insert("x-rate-limit-reset", "1893456010".parse().unwrap());
        let policy = RateLimitRetry::default();
        assert_eq!(policy.wait(&h), Duration::from_secs(11));
        assert_eq!(policy.wait(&HeaderMap::new()), DEFAULT_FALLBACK_WAIT);
        let capped = RateLimitRetry {
            max_wait: Duration::from_secs(3),
            ..policy
        };
        assert_eq!(capped.wait(&h), Duration::from_secs(3));
        let wait = Duration::from_secs(6);
        assert_eq!(
            policy.jittered(wait, 0.5),
            wait + Duration::from_millis(500)
        );
        assert!(policy.jittered(wait, 0.999_999) < wait + DEFAULT_JITTER);
    }
}
