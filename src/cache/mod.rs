//! [`CachingTokenSource`]: a token cache that never makes fresh reads wait,
//! runs one fetch at a time, refreshes ahead of expiry and survives failures.
//!
//! # How it works
//!
//! - **Hit path.** The cache state is one immutable snapshot behind an
//!   [`arc_swap::ArcSwap`]. A read loads it (no lock: arc-swap borrows it
//!   through a per-thread debt slot), compares one precomputed instant — the
//!   *fresh deadline* — with the clock, and clones the token (one
//!   reference-count increment). Tokens without an expiry (`SSWS`) skip even
//!   the clock read, and so does every token on a multi-threaded tokio
//!   runtime: there a timer task clears an `armed` flag at the deadline (or
//!   when it is aborted or its runtime shuts down), and while the flag is
//!   set a hit is just the load and the clone. The flag is set only while
//!   the deadline lies at least [`DEFAULT_EXPIRY_MARGIN`] (the expiry
//!   margin, never less than 1 s) before the token's expiry, so that a timer
//!   delayed by busy or blocked workers cannot let an expired token out;
//!   otherwise (tokens of a few seconds, a token kept through failed
//!   refreshes near its end) hits read the clock. On a current-thread
//!   runtime, which runs timers only inside `block_on`, hits read the
//!   clock. `ArcSwap` was chosen over an `RwLock` because its readers never
//!   write a shared counter, so they do not contend with each other, and a
//!   writer never blocks them.
//! - **Allocation on a hit.** None through the concrete type:
//!   [`CachingTokenSource::token`] (the inherent method, which
//!   `cache.token()` calls on a `CachingTokenSource<S>`),
//!   [`cached_token`](CachingTokenSource::cached_token) and
//!   [`with_cached_token`](CachingTokenSource::with_cached_token). A call
//!   through the [`TokenSource`] trait — an `Arc<dyn TokenSource>` such as
//!   [`OktaConfig::token_source`](crate::OktaConfig::token_source) returns,
//!   or a generic `S: TokenSource` — goes through `async_trait`, which boxes
//!   the returned future: one small heap allocation per call, hit or miss.
//!   Where that matters, keep the concrete type.
//! - **Advisory point** (default 75 % ± 5 % of the lifetime,
//!   [`DEFAULT_REFRESH_AHEAD`], [`DEFAULT_REFRESH_JITTER`]): the first
//!   caller past it spawns a refresh; every caller, that one included, gets
//!   the current token at once. It always comes well before the mandatory
//!   point: for a token so short (under about half a minute; Okta's
//!   lifetimes start at 5 minutes) that 75 % of its lifetime would leave
//!   the background refresh less than a tenth of the time before the
//!   mandatory point, it is 75 % of the time before the mandatory point.
//! - **Mandatory point** (`expires_at - min(60 s, 10 % of the lifetime)`,
//!   at least 5 s, at most half the lifetime, [`DEFAULT_MANDATORY_BUFFER`]):
//!   callers wait for the shared fetch — but while the cached token is
//!   valid for more than [`DEFAULT_EXPIRY_MARGIN`] (5 s), only until
//!   [`DEFAULT_MANDATORY_WAIT`] (1 s) after the fetch started; then they get
//!   the cached token, so a slow or hanging token endpoint costs each
//!   refresh at most a second, not the load timeout. Only a caller with no
//!   usable token waits for the whole fetch.
//! - **Single flight.** One fetch at a time, whatever the number of callers;
//!   every waiter gets its outcome, the error included ([`Error`] is
//!   `Clone`). The fetch is spawned on the current tokio runtime, so a caller
//!   that gives up does not cancel it for the others.
//! - **Failures.** While a still-valid token is cached, any failed refresh
//!   leaves it in service and backs off (jittered, doubling from
//!   [`DEFAULT_INITIAL_BACKOFF`] to [`DEFAULT_MAX_BACKOFF`]), but never
//!   past the token's next checkpoint: its mandatory point, its last usable
//!   instant (expiry − [`DEFAULT_EXPIRY_MARGIN`]) and its expiry each get a
//!   refresh attempt, so the error of a refresh made while the token was
//!   served is not handed out after it expired. With no valid
//!   token, the error goes to the waiters and is handed out again until the
//!   backoff ends: [`DEFAULT_ERROR_TTL`] for a permanent error, the
//!   transient backoff otherwise; then the source is asked again, so the
//!   cache recovers as soon as the source does. A token that arrives
//!   already expired counts as a (permanent) failure, and so does a source
//!   that panics (an [`Error::Config`] for every waiter of that fetch): it
//!   is not called again before the backoff ends.
//! - **Rate limits.** After a `429` ([`Error::RateLimited`]) the source is
//!   not asked again before the window resets: the wait is
//!   `max(backoff, `[`Error::retry_after`]`)`, the latter capped at
//!   [`MAX_RETRY_AFTER`] so that a wrong reset time cannot stall the cache.
//!   A still-valid token is served meanwhile (the window is waited out even
//!   past the token's checkpoints); with none, callers get the
//!   `RateLimited` error (whose `retry_after` counts down) until then.
//! - **Invalidation** drops the cached token only if it is the very token
//!   that was rejected ([`AccessToken::same_token`], a pointer compare), and
//!   keeps any backoff. It is passed on to the wrapped source.
//! - **Forced refreshes back off.** Each drop by invalidation starts a
//!   backoff (jittered, doubling from [`DEFAULT_INITIAL_BACKOFF`] to
//!   [`DEFAULT_MAX_BACKOFF`] with each consecutive drop); until it ends, an
//!   invalidation of the cached token (the replacement) is ignored and the
//!   token stays in service. However often an API answers `401`, the
//!   source is thus asked at most once per backoff period;
//!   `OktaAuth` (the middleware), which retries only with a token
//!   different from the rejected one, then returns the `401` without a
//!   retry. The count starts again from zero when a token lives to its
//!   natural refresh.
//!
//! [`Error`]: crate::Error
//! [`Error::Config`]: crate::Error::Config
//! [`Error::RateLimited`]: crate::Error::RateLimited
//! [`Error::retry_after`]: crate::Error::retry_after

mod builder;
mod flight;
mod policy;
pub(crate) mod single_flight;
mod state;
mod update;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock;
use crate::error::Error;
use crate::token::{AccessToken, TokenSource};

pub use builder::CachingTokenSourceBuilder;
pub use policy::{
    DEFAULT_ERROR_TTL, DEFAULT_EXPIRY_MARGIN, DEFAULT_INITIAL_BACKOFF, DEFAULT_LOAD_TIMEOUT,
    DEFAULT_MANDATORY_BUFFER, DEFAULT_MANDATORY_FRACTION, DEFAULT_MANDATORY_WAIT,
    DEFAULT_MAX_BACKOFF, DEFAULT_MIN_MANDATORY_BUFFER, DEFAULT_REFRESH_AHEAD,
    DEFAULT_REFRESH_JITTER, MAX_ERROR_WAIT, MAX_RETRY_AFTER,
};

use flight::Shared;
use policy::Policy;

/// The observer callback type.
pub(crate) type Observer = Arc<dyn Fn(&RefreshEvent) + Send + Sync>;

/// A [`TokenSource`] that caches another one.
///
/// Cloning is cheap and clones share the cache. Build it with
/// [`TokenSourceExt::cached`] or [`CachingTokenSource::builder`]; neither
/// needs a runtime nor does I/O. Background work (a refresh ahead of expiry)
/// runs on the tokio runtime of the caller that triggered it and is aborted
/// when the last clone is dropped. See the [module docs](self) for the
/// policy.
///
/// Fetches are spawned on the caller's tokio runtime, which needs its time
/// driver (`enable_all()`, as for reqwest) for the load timeout. Outside any
/// tokio runtime the cache still works: the first waiting caller runs the
/// fetch itself (without a load timeout), and refresh ahead is skipped.
///
/// ```
/// use okta_auth::{ApiTokenSource, TokenSource, TokenSourceExt};
///
/// # async fn run() -> Result<(), okta_auth::Error> {
/// let source = ApiTokenSource::new("00example-token")?.cached();
/// let token = source.token().await?;
/// # Ok(()) }
/// ```
pub struct CachingTokenSource<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for CachingTokenSource<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: TokenSource + 'static> CachingTokenSource<S> {
    /// A cache over `source` with the default policy.
    pub fn new(source: S) -> Self {
        Self::from_parts(source, Policy::default(), None)
    }

    /// A builder to tune the policy, the load timeout and the observer.
    pub fn builder(source: S) -> CachingTokenSourceBuilder<S> {
        CachingTokenSourceBuilder::new(source)
    }

    pub(crate) fn from_parts(source: S, policy: Policy, observer: Option<Observer>) -> Self {
        Self {
            shared: Arc::new(Shared::new(source, policy, observer)),
        }
    }

    /// A token to use now: the cached one if it is fresh, otherwise the
    /// outcome of the one shared fetch (see the [module docs](self)).
    ///
    /// This inherent method is what `cache.token()` calls on the concrete
    /// type; unlike the boxed [`TokenSource::token`] future it does not
    /// allocate on a hit.
    #[inline]
    pub async fn token(&self) -> Result<AccessToken, Error> {
        match self.cached_token() {
            Some(token) => Ok(token),
            // Boxed so that this future stays a few words large: inlining the
            // slow path's state machine made every hit pay for moving it.
            None => Box::pin(self.shared.slow()).await,
        }
    }

    /// The cached token if it is fresh (before its advisory point), without
    /// waiting, fetching or starting a refresh.
    #[inline]
    pub fn cached_token(&self) -> Option<AccessToken> {
        self.shared.state.load().token_if_fresh(clock::now).cloned()
    }

    /// Runs `f` on the cached token if it is fresh, without cloning it:
    /// unlike [`cached_token`](Self::cached_token) this writes to no memory
    /// shared with other threads (the token's reference count stays
    /// untouched), so it does not contend at all. `None` if no fresh token is
    /// cached; nothing is fetched or started. Keep `f` short: it holds a
    /// per-thread reference that a concurrent refresh has to settle.
    ///
    /// ```
    /// # use okta_auth::{ApiTokenSource, TokenSourceExt};
    /// # use okta_auth::http::Method;
    /// # async fn run() -> Result<(), okta_auth::Error> {
    /// let cache = ApiTokenSource::new("00example-token")?.cached();
    /// cache.token().await?;
    /// let url = "https://example.okta.com/api/v1/users".parse().unwrap();
    /// let headers = cache.with_cached_token(|t| t.authorize(&Method::GET, &url));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn with_cached_token<R>(&self, f: impl FnOnce(&AccessToken) -> R) -> Option<R> {
        self.shared.state.load().token_if_fresh(clock::now).map(f)
    }

    /// Drops the cached token if it is `rejected` itself (a clone of it),
    /// not merely an equal string, then tells the wrapped source. A late
    /// rejection of an older token is a no-op. Any backoff stays in force,
    /// and forced refreshes back off too: within the backoff that the last
    /// drop started, the cached token is kept (see the
    /// [module docs](self)).
    pub fn invalidate(&self, rejected: &AccessToken) {
        self.shared.invalidate(rejected);
        self.shared.source.invalidate(rejected);
    }

    /// The wrapped source.
    pub fn inner(&self) -> &S {
        &self.shared.source
    }
}

#[async_trait]
impl<S: TokenSource + 'static> TokenSource for CachingTokenSource<S> {
    async fn token(&self) -> Result<AccessToken, Error> {
        CachingTokenSource::token(self).await
    }

    fn invalidate(&self, rejected: &AccessToken) {
        CachingTokenSource::invalidate(self, rejected)
    }

    /// `true`: a cache is not cached again (see [`TokenSource::is_cached`]).
    fn is_cached(&self) -> bool {
        true
    }
}

impl<S> fmt::Debug for CachingTokenSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.load();
        f.debug_struct("CachingTokenSource")
            .field("source", &std::any::type_name::<S>())
            // AccessToken's Debug is redacted.
            .field("token", &state.token)
            .field("failures", &state.failures)
            .field("forced_refreshes", &state.forced)
            .field(
                "clock_free_hits",
                &state.armed.load(std::sync::atomic::Ordering::Relaxed),
            )
            .field("last_error", &state.last_error)
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

/// Why the cache asked its source for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefreshReason {
    /// Nothing was cached (first use, or the token was invalidated).
    Empty,
    /// The token passed its advisory point: refreshed in the background
    /// while still being served.
    Ahead,
    /// The token passed its mandatory point: callers waited (briefly, if
    /// it was still usable).
    Mandatory,
    /// The cached token had expired (an earlier refresh failed).
    Expired,
}

impl RefreshReason {
    /// A short lower-case name, as used in `tracing` events.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshReason::Empty => "empty",
            RefreshReason::Ahead => "ahead",
            RefreshReason::Mandatory => "mandatory",
            RefreshReason::Expired => "expired",
        }
    }
}

/// What the cache tells an observer (see
/// [`CachingTokenSourceBuilder::observer`]). Never holds a token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RefreshEvent {
    /// A fetch from the wrapped source started.
    Started {
        /// Why.
        reason: RefreshReason,
    },
    /// A fetch returned a usable token, now cached.
    Refreshed {
        /// Why the fetch ran.
        reason: RefreshReason,
        /// How long the source took.
        latency: Duration,
        /// The new token's remaining lifetime (`None`: no expiry).
        expires_in: Option<Duration>,
    },
    /// A fetch failed (or returned an expired token).
    Failed {
        /// Why the fetch ran.
        reason: RefreshReason,
        /// How long the source took.
        latency: Duration,
        /// The error.
        error: Error,
        /// Whether a still-valid token stays in service.
        serving_cached: bool,
        /// How long until the source is asked again.
        retry_in: Duration,
    },
}

/// Adds [`cached`](TokenSourceExt::cached) to every [`TokenSource`].
pub trait TokenSourceExt: TokenSource + Sized + 'static {
    /// Wraps the source in a [`CachingTokenSource`] with the default policy.
    fn cached(self) -> CachingTokenSource<Self> {
        CachingTokenSource::new(self)
    }
}

impl<T: TokenSource + Sized + 'static> TokenSourceExt for T {}
