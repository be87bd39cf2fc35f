//! [`RateLimit`]: the rate-limit state Okta reports on every response, and
//! the one rule for how long to wait after a `429`.

use std::time::{Duration, SystemTime};

use http::header::{DATE, RETRY_AFTER};
use http::{HeaderMap, HeaderName};

use crate::clock;

const X_RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit-limit");
const X_RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
const X_RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");

/// Okta's rate-limit state from one response's `X-Rate-Limit-Limit`,
/// `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` headers.
///
/// With the `middleware` feature, `OktaRateLimit` puts the last response's
/// value in the response's extensions
/// (`response.extensions().get::<RateLimit>()`); otherwise read it with
/// [`RateLimit::from_headers`]. Where a header is repeated (Okta sometimes
/// sends two), the smallest value counts.
///
/// On a concurrent-request limit breach Okta reports a limit and remaining
/// of 0, and the reset time is only a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
}

impl RateLimit {
    /// Reads the rate-limit headers; `None` when none of them is present
    /// and valid.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let rate = Self {
            limit: smallest(headers, &X_RATE_LIMIT_LIMIT),
            remaining: smallest(headers, &X_RATE_LIMIT_REMAINING),
            reset: smallest(headers, &X_RATE_LIMIT_RESET),
        };
        (rate.limit.is_some() || rate.remaining.is_some() || rate.reset.is_some()).then_some(rate)
    }

    /// Requests allowed in the current window (`X-Rate-Limit-Limit`).
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Requests left in the current window (`X-Rate-Limit-Remaining`).
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// When the window resets, in seconds since the Unix epoch
    /// (`X-Rate-Limit-Reset`, on Okta's clock).
    pub fn reset_epoch_secs(&self) -> Option<u64> {
        self.reset
    }

    /// When the window resets, as a time (on Okta's clock); `None` also
    /// when the value is beyond what a `SystemTime` holds.
    pub fn reset_at(&self) -> Option<SystemTime> {
        self.reset
            .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)))
    }
}

/// The smallest valid value of a repeated numeric header.
fn smallest(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .min()
}

/// The server's `Date` in whole Unix seconds; without a valid one, this
/// machine's clock.
fn server_now_secs(headers: &HeaderMap) -> u64 {
    let now = headers
        .get(DATE)
        .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok())
        .unwrap_or_else(clock::system_now);
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How long until the window of `headers` resets, counted from the
/// response's arrival: `X-Rate-Limit-Reset − Date + 1 s` (the smallest
/// reset when repeated; this machine's clock without `Date`; a reset in the
/// past gives 1 s). `None` without a valid `X-Rate-Limit-Reset`. The first
/// half of [`server_wait`], and what pacing counts to.
pub(crate) fn reset_wait(headers: &HeaderMap) -> Option<Duration> {
    let reset = smallest(headers, &X_RATE_LIMIT_RESET)?;
    let now = server_now_secs(headers);
    Some(Duration::from_secs(
        reset.saturating_sub(now).saturating_add(1),
    ))
}

/// The endpoint family of a request path, the key under which Okta's
/// per-endpoint rate limits are tracked: the first three segments, with
/// `/*` when more follow (`/api/v1/users`, `/api/v1/users/*`,
/// `/oauth2/v1/token`). It approximates Okta's buckets, which give a
/// collection (`/api/v1/users`) and its members (`/api/v1/users/{id}`,
/// `/api/v1/users/me`) limits of their own.
#[cfg(any(feature = "middleware", feature = "test-util"))]
pub(crate) fn endpoint_family(path: &str) -> String {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let mut family = String::new();
    for segment in segments.by_ref().take(3) {
        family.push('/');
        family.push_str(segment);
    }
    if family.is_empty() {
        family.push('/');
    } else if segments.next().is_some() {
        family.push_str("/*");
    }
    family
}

/// How long the server says to wait after a `429` with `headers`, counted
/// from the response's arrival; `None` when it does not say.
///
/// The one rule (Okta's SDKs'): `X-Rate-Limit-Reset − Date + 1 s`, the
/// smallest reset when repeated, on the server's clock (this machine's
/// without `Date`), a reset in the past giving 1 s. Without
/// `X-Rate-Limit-Reset`, `Retry-After` (seconds, or an HTTP date against
/// `Date`). Integer arithmetic only: no header value can overflow it.
pub(crate) fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(wait) = reset_wait(headers) {
        return Some(wait);
    }
    let now = server_now_secs(headers);
    let after = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = after.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(after).ok()?;
    let at = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const DATE_2030: &str = "Tue, 01 Jan 2030 00:00:00 GMT"; // 1893456000

    #[test]
    fn wait_is_reset_minus_date_plus_one() {
        let h = headers(&[("date", DATE_2030), ("x-rate-limit-reset", "1893456010")]);
        assert_eq!(server_wait(&h), Some(Duration::from_secs(11)));
        let h = headers(&[
            ("date", DATE_2030),
            ("x-rate-limit-reset", "1893456030"),
            ("x-rate-limit-reset", "1893456004"),
        ]);
        assert_eq!(server_wait(&h), Some(Duration::from_secs(5)));
        let h = headers(&[("date", DATE_2030), ("x-rate-limit-reset", "1893450000")]);
        assert_eq!(
            server_wait(&h),
            Some(Duration::from_secs(1)),
            "reset passed"
        );
        let h = headers(&[
            ("date", DATE_2030),
            ("x-rate-limit-reset", "18446744073709551615"),
        ]);
        assert_eq!(
            server_wait(&h),
            Some(Duration::from_secs(u64::MAX - 1_893_456_000 + 1))
        );
        let h = headers(&[("x-rate-limit-reset", "18446744073709551615")]);
        assert!(server_wait(&h).is_some());
    }

    #[test]
    fn retry_after_applies_without_reset() {
        assert_eq!(server_wait(&HeaderMap::new()), None);
        let h = headers(&[("x-rate-limit-reset", "soon"), ("date", "garbage")]);
        assert_eq!(server_wait(&h), None);
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(server_wait(&h), Some(Duration::from_secs(7)));
        let h = headers(&[
            ("date", DATE_2030),
            ("retry-after", "Tue, 01 Jan 2030 00:00:03 GMT"),
        ]);
        assert_eq!(server_wait(&h), Some(Duration::from_secs(3)));
        let h = headers(&[("retry-after", "whenever")]);
        assert_eq!(server_wait(&h), None);
    }

    #[test]
    fn reset_wait_is_the_reset_part_of_the_rule() {
        let h = headers(&[("date", DATE_2030), ("x-rate-limit-reset", "1893456010")]);
        assert_eq!(reset_wait(&h), Some(Duration::from_secs(11)));
        assert_eq!(reset_wait(&h), server_wait(&h));
        assert_eq!(reset_wait(&headers(&[("retry-after", "7")])), None);
    }

    #[test]
    #[cfg(any(feature = "middleware", feature = "test-util"))]
    fn endpoint_families_are_the_first_three_segments() {
        assert_eq!(endpoint_family("/api/v1/users"), "/api/v1/users");
        assert_eq!(endpoint_family("/api/v1/users/"), "/api/v1/users");
        assert_eq!(endpoint_family("/api/v1/users/me"), "/api/v1/users/*");
        assert_eq!(
            endpoint_family("/api/v1/apps/0oa1/credentials/jwks"),
            "/api/v1/apps/*"
        );
        assert_eq!(endpoint_family("/oauth2/v1/token"), "/oauth2/v1/token");
        assert_eq!(endpoint_family("/api"), "/api");
        assert_eq!(endpoint_family("/"), "/");
        assert_eq!(endpoint_family(""), "/");
    }

    #[test]
    fn rate_limit_reads_the_smallest_of_duplicates() {
        let h = headers(&[
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "12"),
            ("x-rate-limit-reset", "1893456010"),
            ("x-rate-limit-reset", "1893456005"),
        ]);
        let r = RateLimit::from_headers(&h).unwrap();
        assert_eq!(r.limit(), Some(50));
        assert_eq!(r.remaining(), Some(12));
        assert_eq!(r.reset_epoch_secs(), Some(1_893_456_005));
        assert!(RateLimit::from_headers(&headers(&[("x-rate-limit-limit", "x")])).is_none());
        let h = headers(&[("x-rate-limit-reset", "18446744073709551615")]);
        assert_eq!(RateLimit::from_headers(&h).unwrap().reset_at(), None);
    }
}
