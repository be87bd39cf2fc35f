//! [`CachingTokenSourceBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::token::TokenSource;

use super::policy::Policy;
use super::{CachingTokenSource, Observer, RefreshEvent};

/// Builds a [`CachingTokenSource`] with a tuned policy.
///
/// ```
/// use std::time::Duration;
/// use okta_auth::{ApiTokenSource, CachingTokenSource};
///
/// # fn run() -> Result<(), okta_auth::Error> {
/// let cache = CachingTokenSource::builder(ApiTokenSource::new("00example")?)
///     .refresh_ahead(0.5)
///     .load_timeout(Duration::from_secs(10))
///     .observer(|event| eprintln!("{event:?}"))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct CachingTokenSourceBuilder<S> {
    source: S,
    policy: Policy,
    observer: Option<Observer>,
}

impl<S: TokenSource + 'static> CachingTokenSourceBuilder<S> {
    pub(crate) fn new(source: S) -> Self {
        Self {
            source,
            policy: Policy::default(),
            observer: None,
        }
    }

    /// The advisory point as a fraction of the token's lifetime (0 to 1):
    /// from there one caller refreshes in the background.
    ///
    /// Defaults to [`DEFAULT_REFRESH_AHEAD`](super::DEFAULT_REFRESH_AHEAD).
    pub fn refresh_ahead(mut self, fraction: f64) -> Self {
        self.policy.refresh_ahead = fraction;
        self
    }

    /// The jitter around the advisory point, as a fraction of the lifetime
    /// (0 to 0.5; the point is drawn from `refresh_ahead ± jitter`).
    ///
    /// Defaults to [`DEFAULT_REFRESH_JITTER`](super::DEFAULT_REFRESH_JITTER).
    pub fn refresh_jitter(mut self, fraction: f64) -> Self {
        self.policy.refresh_jitter = fraction;
        self
    }

    /// The mandatory buffer before expiry: `min(max, fraction × lifetime)`,
    /// at least `floor` (and at most half the lifetime). From
    /// `expires_at - buffer` on, callers wait for a fresh token.
    ///
    /// Defaults to [`DEFAULT_MANDATORY_BUFFER`](super::DEFAULT_MANDATORY_BUFFER),
    /// [`DEFAULT_MANDATORY_FRACTION`](super::DEFAULT_MANDATORY_FRACTION) and
    /// [`DEFAULT_MIN_MANDATORY_BUFFER`](super::DEFAULT_MIN_MANDATORY_BUFFER).
    pub fn mandatory_buffer(mut self, max: Duration, fraction: f64, floor: Duration) -> Self {
        self.policy.mandatory_buffer = max;
        self.policy.mandatory_fraction = fraction;
        self.policy.min_mandatory_buffer = floor;
        self
    }

    /// How long a caller past the mandatory point waits for the shared
    /// refresh, counted from the refresh's start, while the cached token is
    /// still usable (see [`expiry_margin`](Self::expiry_margin)); then it
    /// gets the cached token. At most
    /// [`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT).
    ///
    /// Defaults to [`DEFAULT_MANDATORY_WAIT`](super::DEFAULT_MANDATORY_WAIT).
    pub fn mandatory_wait(mut self, wait: Duration) -> Self {
        self.policy.mandatory_wait = wait;
        self
    }

    /// How long before expiry a cached token stops being handed out instead
    /// of waiting for a refresh: with less than this left, callers wait for
    /// the whole fetch. A failed refresh's backoff ends by then, and hits
    /// skip the clock only while freshness ends at least this long (at least
    /// 1 s) before expiry (see the [module docs](super)). At most
    /// [`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT).
    ///
    /// Defaults to [`DEFAULT_EXPIRY_MARGIN`](super::DEFAULT_EXPIRY_MARGIN).
    pub fn expiry_margin(mut self, margin: Duration) -> Self {
        self.policy.expiry_margin = margin;
        self
    }

    /// How long a permanent error is handed out before the source is asked
    /// again (keep it short: 1–5 s; at most
    /// [`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT)).
    ///
    /// Defaults to [`DEFAULT_ERROR_TTL`](super::DEFAULT_ERROR_TTL).
    pub fn error_ttl(mut self, ttl: Duration) -> Self {
        self.policy.error_ttl = ttl;
        self
    }

    /// The backoff after transient errors: `initial`, doubling per
    /// consecutive failure up to `max` (at most
    /// [`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT)), each wait jittered into
    /// `[b/2, b]`. Forced refreshes (invalidations) back off the same way. After a `429` the wait is at least the rate limit's
    /// [`Error::retry_after`] (capped at
    /// [`MAX_RETRY_AFTER`](super::MAX_RETRY_AFTER)), even beyond `max`.
    ///
    /// Defaults to [`DEFAULT_INITIAL_BACKOFF`](super::DEFAULT_INITIAL_BACKOFF)
    /// and [`DEFAULT_MAX_BACKOFF`](super::DEFAULT_MAX_BACKOFF).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.policy.initial_backoff = initial;
        self.policy.max_backoff = max;
        self
    }

    /// The longest one call to the wrapped source may take before it counts
    /// as a transient [`Error::Timeout`].
    ///
    /// Defaults to [`DEFAULT_LOAD_TIMEOUT`](super::DEFAULT_LOAD_TIMEOUT).
    pub fn load_timeout(mut self, timeout: Duration) -> Self {
        self.policy.load_timeout = Some(timeout);
        self
    }

    /// No load timeout: rely on the wrapped source's own timeouts.
    ///
    /// Defaults to a timeout of
    /// [`DEFAULT_LOAD_TIMEOUT`](super::DEFAULT_LOAD_TIMEOUT).
    pub fn no_load_timeout(mut self) -> Self {
        self.policy.load_timeout = None;
        self
    }

    /// A callback told about every refresh (start, success, failure). It
    /// runs on the task that did the fetch: keep it quick.
    ///
    /// Defaults to none.
    pub fn observer<F>(mut self, observer: F) -> Self
    where
        F: Fn(&RefreshEvent) + Send + Sync + 'static,
    {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The cache. Fails with [`Error::Config`] if a fraction is out of range,
    /// the initial backoff exceeds the maximum, the maximum backoff, the
    /// error ttl, the mandatory wait or the expiry margin exceeds
    /// [`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT) (a day) or the load timeout
    /// is zero.
    /// Needs no runtime and does no I/O.
    pub fn build(self) -> Result<CachingTokenSource<S>, Error> {
        self.policy.validate().map_err(Error::Config)?;
        Ok(CachingTokenSource::from_parts(
            self.source,
            self.policy,
            self.observer,
        ))
    }
}

impl<S> fmt::Debug for CachingTokenSourceBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingTokenSourceBuilder")
            .field("source", &std::any::type_name::<S>())
            .field("policy", &self.policy)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}
