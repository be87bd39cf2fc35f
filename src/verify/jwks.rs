//! The JWKS cache: the issuer's keys, parsed once, behind an
//! [`ArcSwap`] snapshot, fetched by one [`SingleFlight`] (the machinery of
//! [`CachingTokenSource`](crate::CachingTokenSource)).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::fetch::{CachedKey, Fetched, KeyMap, KeySource};
use super::{JWKS_INITIAL_BACKOFF, JWKS_MAX_BACKOFF, MIN_JWKS_REFETCH_INTERVAL};
use crate::cache::single_flight::{
    FlightLock, FlightOwner, SingleFlight, Started, Ticket, Waiter, caught,
};
use crate::clock::{self, Instant};
use crate::error::Error;

/// What a fetch tells its waiters (the keys themselves are in the
/// snapshot).
type Outcome = Result<(), Error>;

/// The key cache; clones share it.
#[derive(Clone, Debug)]
pub(crate) struct Jwks {
    shared: Arc<Shared>,
}

/// Why no key was found.
pub(crate) enum KeyLookup {
    /// The key set does not have this `kid` (and was fetched again at most
    /// once per interval).
    Unknown,
    /// No key set was ever loaded, and fetching one failed.
    Unavailable(Error),
}

struct Shared {
    state: ArcSwap<Snapshot>,
    flights: SingleFlight<Outcome>,
    source: Arc<KeySource>,
}

/// One immutable state of the cache, swapped whole.
#[derive(Debug, Default)]
struct Snapshot {
    keys: Arc<KeyMap>,
    /// Whether a key set was ever loaded.
    loaded: bool,
    /// After this the keys are refreshed in the background (still served).
    stale_at: Option<Instant>,
    /// When the last fetch started: an unknown `kid` fetches again only
    /// [`MIN_JWKS_REFETCH_INTERVAL`] after it.
    last_fetch: Option<Instant>,
    /// After a failure: no fetch before this.
    retry_at: Option<Instant>,
    failures: u32,
    last_error: Option<Error>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.load();
        f.debug_struct("Jwks")
            .field("kids", &state.keys.keys().collect::<Vec<_>>())
            .field("failures", &state.failures)
            .field("last_error", &state.last_error)
            .finish_non_exhaustive()
    }
}

impl FlightOwner for Shared {
    type Outcome = Outcome;

    fn flights(&self) -> &SingleFlight<Outcome> {
        &self.flights
    }
}

impl Jwks {
    pub(crate) fn new(source: KeySource) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: ArcSwap::from_pointee(Snapshot::default()),
                flights: SingleFlight::new(),
                source: Arc::new(source),
            }),
        }
    }

    /// The key named `kid`. A hit is one snapshot load, one hash lookup and
    /// one clock read (a stale set is refreshed in the background); a miss
    /// waits for the fetch in flight, or starts one if the rate limit and
    /// the failure backoff allow.
    #[inline]
    pub(crate) async fn key(&self, kid: &str) -> Result<Arc<CachedKey>, KeyLookup> {
        let hit = {
            let snapshot = self.shared.state.load();
            snapshot.keys.get(kid).map(|key| {
                let stale = snapshot.stale_at.is_some_and(|at| clock::now() >= at);
                (Arc::clone(key), stale)
            })
        };
        match hit {
            Some((key, stale)) => {
                if stale {
                    self.shared.refresh_in_background();
                }
                Ok(key)
            }
            None => Box::pin(self.shared.find(kid)).await,
        }
    }

    /// Fetches the key set now (or waits for the fetch in flight).
    pub(crate) async fn load(&self) -> Result<(), Error> {
        for _ in 0..4 {
            let (mut waiter, fetch) = {
                let mut flight = self.shared.flights.lock();
                match flight.current() {
                    Some(waiter) => (waiter, None),
                    None => self.shared.start(&mut flight).into_parts(),
                }
            };
            if let Some(fetch) = fetch {
                fetch.await;
            }
            if let Some(outcome) = waiter.outcome().await {
                return outcome;
            }
        }
        Err(aborted())
    }
}

impl Shared {
    /// A `kid` not in the snapshot.
    async fn find(self: &Arc<Self>, kid: &str) -> Result<Arc<CachedKey>, KeyLookup> {
        for _ in 0..4 {
            let (mut waiter, fetch) = {
                let mut flight = self.flights.lock();
                let snapshot = self.state.load();
                if let Some(key) = snapshot.keys.get(kid) {
                    return Ok(Arc::clone(key));
                }
                match flight.current() {
                    // A fetch is running: its keys may have this one.
                    Some(waiter) => (waiter, None),
                    None => {
                        let now = clock::now();
                        if snapshot.retry_at.is_some_and(|at| now < at) {
                            return Err(miss(&snapshot));
                        }
                        let recent = snapshot.last_fetch.is_some_and(|at| {
                            at.checked_add(MIN_JWKS_REFETCH_INTERVAL)
                                .is_some_and(|next| now < next)
                        });
                        if snapshot.loaded && recent {
                            return Err(KeyLookup::Unknown);
                        }
                        self.start(&mut flight).into_parts()
                    }
                }
            };
            if let Some(fetch) = fetch {
                fetch.await;
            }
            if waiter.outcome().await.is_some() {
                let snapshot = self.state.load();
                return match snapshot.keys.get(kid) {
                    Some(key) => Ok(Arc::clone(key)),
                    None => Err(miss(&snapshot)),
                };
            }
        }
        Err(KeyLookup::Unavailable(aborted()))
    }

    /// Starts a fetch: spawned on the current runtime, or to drive here.
    fn start(
        self: &Arc<Self>,
        flight: &mut FlightLock<'_, Outcome>,
    ) -> Started<Outcome, impl Future<Output = ()> + Send + 'static> {
        let handle = tokio::runtime::Handle::try_current().ok();
        let source = Arc::clone(&self.source);
        flight.start(self, handle.as_ref(), |ticket| fetch(ticket, source))
    }

    /// Starts a background refresh of a stale key set unless one is
    /// running or a failure is being backed off; never waits.
    fn refresh_in_background(self: &Arc<Self>) {
        let Some((mut flight, handle)) = self.flights.lock_idle_on_runtime() else {
            return;
        };
        let now = clock::now();
        let due = {
            let snapshot = self.state.load();
            snapshot.stale_at.is_some_and(|at| now >= at)
                && snapshot.retry_at.is_none_or(|at| now >= at)
        };
        if due {
            let source = Arc::clone(&self.source);
            // Spawned: nothing to drive or wait for.
            let _spawned = flight.start(self, Some(&handle), |ticket| fetch(ticket, source));
        }
    }

    /// Publishes a fetch's result and says what its waiters get. A failure
    /// keeps the keys in service and backs off.
    fn complete(&self, id: u64, result: Result<Fetched, Error>, started: Instant) -> Outcome {
        let mut flight = self.flights.lock();
        flight.end(id);
        let now = clock::now();
        let old = self.state.load_full();
        match result {
            Ok(fetched) => {
                let count = fetched.keys.len();
                self.state.store(Arc::new(Snapshot {
                    keys: Arc::new(fetched.keys),
                    loaded: true,
                    stale_at: Some(later(now, fetched.max_age)),
                    last_fetch: Some(started),
                    retry_at: None,
                    failures: 0,
                    last_error: None,
                }));
                drop(flight);
                tracing::debug!(
                    keys = count,
                    max_age_s = fetched.max_age.as_secs(),
                    "okta key set fetched"
                );
                Ok(())
            }
            Err(error) => {
                let failures = old.failures.saturating_add(1);
                let retry_at = later(now, backoff(failures, rand::random()));
                self.state.store(Arc::new(Snapshot {
                    keys: Arc::clone(&old.keys),
                    loaded: old.loaded,
                    // Hits do not try again before the backoff ends.
                    stale_at: old.stale_at.map(|_| retry_at),
                    last_fetch: Some(started),
                    retry_at: Some(retry_at),
                    failures,
                    last_error: Some(error.clone()),
                }));
                drop(flight);
                tracing::warn!(
                    failures,
                    serving_keys = old.keys.len(),
                    error = %error,
                    "okta key set fetch failed"
                );
                Err(error)
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.flights.abort();
    }
}

impl<F> Started<Outcome, F> {
    fn into_parts(self) -> (Waiter<Outcome>, Option<F>) {
        match self {
            Started::Spawned(waiter) => (waiter, None),
            Started::Drive(waiter, fetch) => (waiter, Some(fetch)),
        }
    }
}

/// One fetch: holds the source and the ticket, never the cache.
async fn fetch(ticket: Ticket<Shared>, source: Arc<KeySource>) {
    let started = clock::now();
    let result = caught(source.fetch(), || {
        Err(Error::Config(
            "the key set fetch panicked (a tokio runtime without its time or io driver?)".into(),
        ))
    })
    .await;
    drop(source);
    let Some(shared) = ticket.owner() else {
        return;
    };
    let outcome = shared.complete(ticket.id(), result, started);
    ticket.send(outcome);
}

/// Why a miss missed: an unknown `kid` once keys were loaded, else the
/// last fetch's error.
fn miss(snapshot: &Snapshot) -> KeyLookup {
    match (&snapshot.last_error, snapshot.loaded) {
        (Some(error), false) => KeyLookup::Unavailable(error.clone()),
        _ => KeyLookup::Unknown,
    }
}

fn aborted() -> Error {
    Error::Config(
        "the key set fetch was aborted 4 times in a row (its tokio runtime is shutting down)"
            .into(),
    )
}

/// The wait after `failures` failures in a row: doubling from
/// [`JWKS_INITIAL_BACKOFF`] up to [`JWKS_MAX_BACKOFF`], times `jitter`
/// mapped into `[0.5, 1]`.
fn backoff(failures: u32, jitter: f64) -> Duration {
    let doubled = JWKS_INITIAL_BACKOFF.saturating_mul(1 << failures.clamp(1, 16).saturating_sub(1));
    doubled
        .min(JWKS_MAX_BACKOFF)
        .mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// `now + wait`, saturating at `now` plus a day.
fn later(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1, 1.0), JWKS_INITIAL_BACKOFF);
        assert_eq!(backoff(2, 1.0), JWKS_INITIAL_BACKOFF * 2);
        assert_eq!(backoff(40, 1.0), JWKS_MAX_BACKOFF);
        assert_eq!(backoff(1, 0.0), JWKS_INITIAL_BACKOFF / 2);
    }
}
