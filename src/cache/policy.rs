//! When to refresh, when to wait, how long to back off: pure arithmetic on
//! instants, so it is tested without a runtime.

use std::time::Duration;

use crate::clock::Instant;

use super::update::later;

/// Default point, as a fraction of a token's lifetime, after which one caller
/// starts a refresh in the background while everyone keeps getting the
/// current token (the *advisory* point).
pub const DEFAULT_REFRESH_AHEAD: f64 = 0.75;

/// Default jitter around [`DEFAULT_REFRESH_AHEAD`], as a fraction of the
/// lifetime: each token's advisory point is drawn uniformly from
/// `0.75 ± 0.05` of its lifetime, so a fleet started together does not
/// refresh in step.
pub const DEFAULT_REFRESH_JITTER: f64 = 0.05;

/// Default upper bound of the *mandatory* buffer: from `expires_at - buffer`
/// on, callers wait for a fresh token. The buffer is
/// `min(60 s, 10 % of the lifetime)`, at least [`DEFAULT_MIN_MANDATORY_BUFFER`]
/// (and never more than half the lifetime).
pub const DEFAULT_MANDATORY_BUFFER: Duration = Duration::from_secs(60);

/// Default share of the lifetime used for the mandatory buffer (see
/// [`DEFAULT_MANDATORY_BUFFER`]).
pub const DEFAULT_MANDATORY_FRACTION: f64 = 0.10;

/// Default floor of the mandatory buffer (see [`DEFAULT_MANDATORY_BUFFER`]):
/// requests take time, and clocks drift.
pub const DEFAULT_MIN_MANDATORY_BUFFER: Duration = Duration::from_secs(5);

/// Default longest time a caller past the mandatory point waits for the
/// shared refresh while the cached token is still usable (see
/// [`DEFAULT_EXPIRY_MARGIN`]); then it gets the cached token. Counted from
/// the start of the refresh, so once a slow refresh has run this long,
/// callers get the cached token at once. Only a caller with no usable
/// token waits for the whole fetch.
pub const DEFAULT_MANDATORY_WAIT: Duration = Duration::from_secs(1);

/// Default safety margin before expiry: a cached token with less than this
/// left is no longer handed out instead of waiting for a refresh (see
/// [`DEFAULT_MANDATORY_WAIT`]), so that it does not expire on its way to
/// Okta.
pub const DEFAULT_EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// Default time a *permanent* error (`invalid_client`, a configuration
/// problem, an expired token from the source) is handed to callers without
/// asking the source again, so a retry loop cannot hammer Okta.
pub const DEFAULT_ERROR_TTL: Duration = Duration::from_secs(2);

/// Default first backoff after a *transient* error; it doubles with each
/// consecutive failure up to [`DEFAULT_MAX_BACKOFF`], each wait drawn
/// uniformly from `[b/2, b]` (jitter). Forced refreshes (a token dropped by
/// [`invalidate`](super::CachingTokenSource::invalidate)) back off the same
/// way.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// Default longest backoff after repeated transient errors.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Default time allowed for one call to the wrapped source before it counts
/// as a (transient) [`Error::Timeout`](crate::Error::Timeout).
pub const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest wait the cache honours from a rate-limit answer
/// ([`Error::retry_after`](crate::Error::retry_after), from Okta's
/// `X-Rate-Limit-Reset`): after a `429` the source is not asked again before
/// `max(backoff, min(retry_after, MAX_RETRY_AFTER))`. Okta's windows last a
/// minute; the cap keeps a wrong or hostile reset time from stalling the
/// cache for longer. (Not the maximum backoff: its default, 30 s, is shorter
/// than one rate-limit window.)
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Upper bound the builder accepts for the error ttl and the maximum
/// backoff (one day): longer waits are surely a mistake, and bounding them
/// keeps every deadline the cache computes far from overflow.
pub const MAX_ERROR_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// The least share of the time between a token's arrival and its mandatory
/// point left to the background refresh (see [`Policy::points`]).
const MIN_AHEAD_WINDOW: f64 = 0.1;

/// The least time between a token's fresh deadline and its expiry for the
/// clock-free hit path (see [`Policy::clock_free_headroom`]).
const MIN_CLOCK_FREE_HEADROOM: Duration = Duration::from_secs(1);

/// The cache's timing policy (set through the builder).
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) refresh_ahead: f64,
    pub(crate) refresh_jitter: f64,
    pub(crate) mandatory_buffer: Duration,
    pub(crate) mandatory_fraction: f64,
    pub(crate) min_mandatory_buffer: Duration,
    pub(crate) mandatory_wait: Duration,
    pub(crate) expiry_margin: Duration,
    pub(crate) error_ttl: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) load_timeout: Option<Duration>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            refresh_ahead: DEFAULT_REFRESH_AHEAD,
            refresh_jitter: DEFAULT_REFRESH_JITTER,
            mandatory_buffer: DEFAULT_MANDATORY_BUFFER,
            mandatory_fraction: DEFAULT_MANDATORY_FRACTION,
            min_mandatory_buffer: DEFAULT_MIN_MANDATORY_BUFFER,
            mandatory_wait: DEFAULT_MANDATORY_WAIT,
            expiry_margin: DEFAULT_EXPIRY_MARGIN,
            error_ttl: DEFAULT_ERROR_TTL,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            load_timeout: Some(DEFAULT_LOAD_TIMEOUT),
        }
    }
}

/// The two points of a token's life that matter to the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Points {
    /// From here on one caller refreshes in the background.
    pub(crate) advisory: Instant,
    /// From here on callers wait for a fresh token.
    pub(crate) mandatory: Instant,
}

impl Policy {
    /// Checks the settings; the builder calls it.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let fraction = |name: &str, v: f64, max: f64| {
            if v.is_finite() && (0.0..=max).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and {max}"))
            }
        };
        fraction("refresh_ahead", self.refresh_ahead, 1.0)?;
        fraction("refresh_jitter", self.refresh_jitter, 0.5)?;
        fraction("mandatory_fraction", self.mandatory_fraction, 1.0)?;
        if self.initial_backoff > self.max_backoff {
            return Err("the initial backoff must not exceed the maximum backoff".into());
        }
        if self.max_backoff > MAX_ERROR_WAIT {
            return Err("the maximum backoff must not exceed one day".into());
        }
        if self.error_ttl > MAX_ERROR_WAIT {
            return Err("the error ttl must not exceed one day".into());
        }
        if self.mandatory_wait > MAX_ERROR_WAIT || self.expiry_margin > MAX_ERROR_WAIT {
            return Err("the mandatory wait and the expiry margin must not exceed one day".into());
        }
        if self.load_timeout == Some(Duration::ZERO) {
            return Err("the load timeout must be positive".into());
        }
        Ok(())
    }

    /// The advisory and mandatory points of a token that arrived at `now`
    /// and expires at `expires_at` (`expires_at > now`). `unit` is a uniform
    /// draw from `[0, 1)` for the jitter.
    ///
    /// The advisory point is the (jittered) fraction `f` of the lifetime,
    /// unless that would leave the background refresh less than
    /// [`MIN_AHEAD_WINDOW`] of the time before the mandatory point (tokens
    /// of less than about half a minute): then it is `f` of the time before
    /// the mandatory point, so that it still comes well before it.
    pub(crate) fn points(&self, now: Instant, expires_at: Instant, unit: f64) -> Points {
        let lifetime = expires_at.saturating_duration_since(now);
        let buffer = lifetime
            .mul_f64(self.mandatory_fraction)
            .min(self.mandatory_buffer)
            .max(self.min_mandatory_buffer)
            .min(lifetime / 2);
        let mandatory = expires_at.checked_sub(buffer).unwrap_or(now);
        let jitter = (unit.clamp(0.0, 1.0) * 2.0 - 1.0) * self.refresh_jitter;
        let fraction = (self.refresh_ahead + jitter).clamp(0.0, 1.0);
        let before_mandatory = mandatory.saturating_duration_since(now);
        let mut ahead = lifetime.mul_f64(fraction);
        if ahead > before_mandatory.mul_f64(1.0 - MIN_AHEAD_WINDOW) {
            ahead = before_mandatory.mul_f64(fraction);
        }
        let advisory = (now + ahead).min(mandatory);
        Points {
            advisory,
            mandatory,
        }
    }

    /// How long to wait before asking the source again after the
    /// `failures`-th consecutive failure, `error`, when a still-valid token
    /// stays in service (`serving_cached`) or not. `unit` is a uniform draw
    /// from `[0, 1)` for the jitter.
    ///
    /// Nobody sees the error while a valid token is served, so even a
    /// permanent one then backs off exponentially (not every `error_ttl`);
    /// with no token it is handed to callers and cached only briefly. A
    /// rate-limit answer is never retried before its reset time (capped by
    /// [`MAX_RETRY_AFTER`]).
    pub(crate) fn retry_in(
        &self,
        failures: u32,
        error: &crate::Error,
        serving_cached: bool,
        unit: f64,
    ) -> Duration {
        let transient = error.is_transient();
        let backoff = if serving_cached {
            self.backoff(failures, true, unit)
                .max(self.backoff(failures, transient, 0.0))
        } else {
            self.backoff(failures, transient, unit)
        };
        backoff.max(rate_limit_wait(error))
    }

    /// When to ask the source again: [`retry_in`](Self::retry_in) from
    /// `now`, but while a still-valid token is `kept` (its mandatory point
    /// and expiry) no later than its next checkpoint — mandatory point, last
    /// usable instant (`expiry - expiry_margin`), expiry — so that each gets
    /// an attempt and an error is never held past the expiry (then the
    /// no-token rules apply). A rate-limit window is still waited out.
    pub(crate) fn retry_at(
        &self,
        now: Instant,
        failures: u32,
        error: &crate::Error,
        kept: Option<(Option<Instant>, Instant)>,
        unit: f64,
    ) -> Instant {
        let wait = later(now, self.retry_in(failures, error, kept.is_some(), unit));
        let Some((mandatory, expires_at)) = kept else {
            return wait;
        };
        let checkpoint = [mandatory, expires_at.checked_sub(self.expiry_margin)]
            .into_iter()
            .flatten()
            .filter(|&at| at > now)
            .min()
            .unwrap_or(expires_at);
        wait.min(checkpoint).max(later(now, rate_limit_wait(error)))
    }

    /// How far before a token's expiry its fresh deadline must lie for the
    /// hit path to skip the clock (trusting a timer to end freshness): the
    /// expiry margin, at least [`MIN_CLOCK_FREE_HEADROOM`]. A timer that
    /// fires late by less than this never lets an expired token be served.
    pub(crate) fn clock_free_headroom(&self) -> Duration {
        self.expiry_margin.max(MIN_CLOCK_FREE_HEADROOM)
    }

    /// How long to wait before asking the source again after the
    /// `failures`-th consecutive failure (`failures >= 1`). `unit` is a
    /// uniform draw from `[0, 1)` for the jitter.
    pub(crate) fn backoff(&self, failures: u32, transient: bool, unit: f64) -> Duration {
        if !transient {
            return self.error_ttl;
        }
        let doublings = failures.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        ceiling.mul_f64(0.5 + unit.clamp(0.0, 1.0) * 0.5)
    }
}

/// The wait a rate-limit answer asks for (none for other errors), capped
/// at [`MAX_RETRY_AFTER`].
fn rate_limit_wait(error: &crate::Error) -> Duration {
    error
        .retry_after()
        .unwrap_or(Duration::ZERO)
        .min(MAX_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn defaults_validate() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let bad = Policy {
            refresh_ahead: 1.5,
            ..Policy::default()
        };
        assert!(bad.validate().is_err());
        let bad = Policy {
            refresh_jitter: f64::NAN,
            ..Policy::default()
        };
        assert!(bad.validate().is_err());
        let bad = Policy {
            error_ttl: Duration::MAX,
            ..Policy::default()
        };
        assert!(bad.validate().is_err());
        let bad = Policy {
            max_backoff: MAX_ERROR_WAIT + Duration::from_nanos(1),
            ..Policy::default()
        };
        assert!(bad.validate().is_err());
        let edge = Policy {
            error_ttl: MAX_ERROR_WAIT,
            initial_backoff: MAX_ERROR_WAIT,
            max_backoff: MAX_ERROR_WAIT,
            ..Policy::default()
        };
        assert_eq!(edge.validate(), Ok(()));
    }

    #[test]
    fn one_hour_token() {
        let p = Policy::default();
        let now = crate::clock::now();
        let exp = now + secs(3600);
        let mid = p.points(now, exp, 0.5);
        assert_eq!(mid.advisory, now + secs(2700));
        assert_eq!(mid.mandatory, exp - secs(60));
        let early = p.points(now, exp, 0.0);
        let late = p.points(now, exp, 0.999_999);
        assert_eq!(early.advisory, now + secs(2520));
        assert!(late.advisory > now + secs(2879) && late.advisory <= now + secs(2880));
    }

    #[test]
    fn short_tokens_keep_a_floor_and_half_their_life() {
        let p = Policy::default();
        let now = crate::clock::now();
        // 10 % of 100 s is 10 s, under the 60 s cap.
        let pts = p.points(now, now + secs(100), 0.5);
        assert_eq!(pts.mandatory, now + secs(90));
        assert_eq!(pts.advisory, now + secs(75));
        // 10 % of 20 s is 2 s, raised to the 5 s floor; 75 % of the
        // lifetime would be the mandatory point itself, so the advisory
        // point is 75 % of the way to it.
        let pts = p.points(now, now + secs(20), 0.5);
        assert_eq!(pts.mandatory, now + secs(15));
        assert_eq!(pts.advisory, now + Duration::from_millis(11_250));
        // A 6 s token: the floor would eat it; half its life instead.
        let pts = p.points(now, now + secs(6), 0.5);
        assert_eq!(pts.mandatory, now + secs(3));
        assert_eq!(pts.advisory, now + Duration::from_millis(2_250));
    }

    #[test]
    fn the_advisory_point_comes_well_before_the_mandatory_point_for_any_lifetime() {
        let p = Policy::default();
        let now = crate::clock::now();
        let lifetimes = (1..=600)
            .map(Duration::from_millis)
            .chain((1..=7200).map(secs))
            .chain([secs(24 * 3600)]);
        for lifetime in lifetimes {
            for unit in [0.0, 0.3, 0.5, 0.999_999] {
                let pts = p.points(now, now + lifetime, unit);
                let before_mandatory = pts.mandatory - now;
                assert!(pts.advisory > now, "{lifetime:?}");
                assert!(
                    pts.mandatory - pts.advisory >= before_mandatory.mul_f64(0.1),
                    "{lifetime:?} {unit}: {pts:?}"
                );
            }
        }
        // Long tokens keep 75 % ± 5 % of their lifetime (Okta's shortest
        // lifetime is 5 minutes).
        for lifetime in [secs(300), secs(3600)] {
            let pts = p.points(now, now + lifetime, 0.5);
            assert_eq!(pts.advisory, now + lifetime.mul_f64(0.75));
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = Policy::default();
        assert_eq!(p.backoff(1, true, 1.0), secs(1));
        assert_eq!(p.backoff(1, true, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(3, true, 1.0), secs(4));
        assert_eq!(p.backoff(30, true, 1.0), secs(30));
        assert_eq!(p.backoff(u32::MAX, true, 0.0), secs(15));
        assert_eq!(p.backoff(7, false, 0.3), DEFAULT_ERROR_TTL);
    }

    #[test]
    fn rate_limits_are_waited_out_up_to_the_cap() {
        let p = Policy::default();
        // A 429 whose window resets `in_secs` after its Date (Okta adds 1 s).
        let limited = |in_secs: u64| {
            let mut headers = http::HeaderMap::new();
            headers.insert("date", "Tue, 01 Jan 2030 00:00:00 GMT".parse().unwrap());
            let reset = 1_893_456_000 + in_secs.saturating_sub(1);
            headers.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
            crate::Error::rate_limited(&headers)
        };
        // The reset time wins over the 1 s first backoff, token or not.
        for serving in [false, true] {
            let wait = p.retry_in(1, &limited(20), serving, 1.0);
            assert!(wait > secs(19) && wait <= secs(20), "{wait:?}");
            // A hostile reset time is capped.
            assert_eq!(
                p.retry_in(1, &limited(1 << 40), serving, 1.0),
                MAX_RETRY_AFTER
            );
            // A longer backoff wins over a reset time in the past or absent.
            assert_eq!(p.retry_in(30, &limited(0), serving, 1.0), secs(30));
            let no_reset = crate::Error::rate_limited(&http::HeaderMap::new());
            assert_eq!(p.retry_in(1, &no_reset, serving, 1.0), secs(1));
        }
        // Other errors keep their backoff.
        let permanent = crate::Error::Config("x".into());
        assert_eq!(p.retry_in(3, &permanent, false, 0.5), DEFAULT_ERROR_TTL);
        assert_eq!(p.retry_in(3, &permanent, true, 1.0), secs(4));
    }

    #[test]
    fn a_kept_token_caps_the_retry_at_its_next_checkpoint() {
        let p = Policy::default();
        let now = crate::clock::now();
        let error = crate::Error::Config("x".into());
        let kept = |mandatory, expires| Some((Some(now + secs(mandatory)), now + secs(expires)));
        let retry = |failures, kept| p.retry_at(now, failures, &error, kept, 1.0) - now;
        // A short backoff (2 s) ends before every checkpoint; a long one
        // (30 s) at the mandatory point, past it at the last usable instant
        // (expiry − 5 s), past that at the expiry.
        assert_eq!(retry(1, kept(90, 100)), secs(2));
        assert_eq!(retry(9, kept(10, 100)), secs(10));
        assert_eq!(retry(9, kept(0, 20)), secs(15));
        assert_eq!(retry(9, kept(0, 3)), secs(3));
        // No token kept: the no-token rules.
        assert_eq!(retry(9, None), DEFAULT_ERROR_TTL);
        // The clock-free headroom is the expiry margin, at least 1 s.
        assert_eq!(p.clock_free_headroom(), DEFAULT_EXPIRY_MARGIN);
        let p = Policy {
            expiry_margin: Duration::ZERO,
            ..p
        };
        assert_eq!(p.clock_free_headroom(), MIN_CLOCK_FREE_HEADROOM);
    }
}
