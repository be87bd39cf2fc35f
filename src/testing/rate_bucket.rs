//! Real rate-limit buckets for the management API, set with
//! [`MockOkta::rate_limit`](super::MockOkta::rate_limit).
//!
//! - One bucket per endpoint family, as Okta has one per endpoint: the
//!   first three path segments, and whether more follow (`/api/v1/users`
//!   and `/api/v1/users/*` are two buckets).
//! - A fixed window that opens with the first request after the previous
//!   one ended, on the fake org's clock in whole seconds, and ends
//!   `window` later: `X-Rate-Limit-Reset` is its end.
//! - Every request counts, until the bucket is empty; then `429` with
//!   Okta's `E0000047` body until the reset.

use std::collections::HashMap;
use std::time::Duration;

/// Okta's rate-limit window, a minute: pass it to
/// [`MockOkta::rate_limit`](super::MockOkta::rate_limit) for buckets that
/// reset as Okta's do.
pub const OKTA_RATE_WINDOW: Duration = Duration::from_secs(60);

/// Every family's bucket: `limit` requests per `window_secs`.
pub(crate) struct Buckets {
    limit: u64,
    window_secs: u64,
    families: HashMap<String, Window>,
}

/// One family's current window.
struct Window {
    /// Unix seconds: the reset.
    end: u64,
    used: u64,
}

/// What one request found in its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Take {
    pub(crate) limit: u64,
    /// Left after this request.
    pub(crate) remaining: u64,
    /// Unix seconds.
    pub(crate) reset: u64,
    /// `false`: the bucket was empty, answer `429`.
    pub(crate) allowed: bool,
}

impl Buckets {
    /// `limit` requests per `window`, rounded up to whole seconds (at least
    /// one).
    pub(crate) fn new(limit: u64, window: Duration) -> Self {
        let window_secs = window.as_secs() + u64::from(window.subsec_nanos() > 0);
        Self {
            limit,
            window_secs: window_secs.max(1),
            families: HashMap::new(),
        }
    }

    /// Counts a request to `path` at `now` (unix seconds).
    pub(crate) fn take(&mut self, path: &str, now: u64) -> Take {
        let window = self
            .families
            .entry(crate::rate_limit::endpoint_family(path))
            .or_insert(Window { end: 0, used: 0 });
        if now >= window.end {
            *window = Window {
                end: now.saturating_add(self.window_secs),
                used: 0,
            };
        }
        let allowed = window.used < self.limit;
        if allowed {
            window.used += 1;
        }
        Take {
            limit: self.limit,
            remaining: self.limit - window.used,
            reset: window.end,
            allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_counts_down_refuses_and_refills_at_the_reset() {
        let mut b = Buckets::new(2, Duration::from_secs(60));
        let t = 1_000;
        let take = |b: &mut Buckets, now| b.take("/api/v1/users", now);
        assert_eq!(
            take(&mut b, t),
            Take {
                limit: 2,
                remaining: 1,
                reset: t + 60,
                allowed: true
            }
        );
        assert_eq!(take(&mut b, t + 10).remaining, 0);
        let refused = take(&mut b, t + 59);
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.reset), (0, t + 60));
        // Another family has its own bucket.
        assert!(b.take("/api/v1/users/me", t + 59).allowed);
        let next = take(&mut b, t + 60);
        assert!(next.allowed);
        assert_eq!((next.remaining, next.reset), (1, t + 120));
        // The window opens with the first request after the reset.
        let late = take(&mut b, t + 500);
        assert_eq!((late.remaining, late.reset), (1, t + 560));
    }

    #[test]
    fn windows_are_whole_seconds_and_a_zero_limit_refuses_all() {
        let mut b = Buckets::new(0, Duration::from_millis(1500));
        let take = b.take("/api/v1/users", 10);
        assert!(!take.allowed);
        assert_eq!((take.remaining, take.reset), (0, 12));
        let mut b = Buckets::new(5, Duration::ZERO);
        assert_eq!(b.take("/api/v1/users", 10).reset, 11);
        assert_eq!(b.take("/api/v1/users", u64::MAX).reset, u64::MAX);
    }
}
