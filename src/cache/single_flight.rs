//! One fetch in flight at a time, its outcome handed to every waiter: the
//! machinery under [`CachingTokenSource`](super::CachingTokenSource) and
//! the verifier's JWKS cache, generic over what a fetch yields.
//!
//! An *owner* (the shared state that fetches update) holds a
//! [`SingleFlight`]. Its lock is the owner's writer lock too: the owner
//! decides under it whether to join the running flight or start one, and a
//! flight publishes its result and ends itself under it, so a caller that
//! re-checks the owner's state under the lock never starts a second fetch
//! right after one finished.
//!
//! Cancellation: a flight is *spawned* on the current tokio runtime, so a
//! caller that stops waiting (its future dropped, a `select!` timeout)
//! cannot strand the others: the fetch runs to completion and publishes its
//! result for everyone. The task holds a [`Ticket`] with only a `Weak` to
//! the owner; the owner aborts a running flight when it is dropped. Outside
//! a tokio runtime (no spawn possible) the first waiter drives the fetch
//! itself; if it is dropped, the ticket's drop clears the flight and the
//! other waiters start a new one.
//!
//! Panics: [`caught`] turns a panic inside a fetch into an outcome, so that
//! a broken fetch is counted as a failure instead of silently ending the
//! flight.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Poll;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::clock::{self, Instant};

/// The shared state that owns a [`SingleFlight`] and that its flights
/// update.
pub(crate) trait FlightOwner: Send + Sync + 'static {
    /// What every waiter of a flight receives.
    type Outcome: Clone + Send + Sync + 'static;

    /// The owner's flights.
    fn flights(&self) -> &SingleFlight<Self::Outcome>;
}

/// At most one flight at a time, and the lock that serializes the owner's
/// writers.
pub(crate) struct SingleFlight<T> {
    current: Mutex<Option<Flight<T>>>,
    /// Set while a flight runs, so callers that only want a background
    /// refresh need not take the lock to learn that one is running.
    running: AtomicBool,
    next_id: AtomicU64,
}

struct Flight<T> {
    id: u64,
    rx: watch::Receiver<Option<T>>,
    abort: Option<AbortHandle>,
    started: Instant,
}

/// The flight lock, held while deciding and while publishing; never held
/// across an `.await`.
pub(crate) struct FlightLock<'a, T> {
    guard: MutexGuard<'a, Option<Flight<T>>>,
    flights: &'a SingleFlight<T>,
}

/// A caller's place in a flight: waits for its outcome.
pub(crate) struct Waiter<T> {
    rx: watch::Receiver<Option<T>>,
    started: Instant,
}

/// A flight just started.
pub(crate) enum Started<T, F> {
    /// Spawned on the runtime: wait for it.
    Spawned(Waiter<T>),
    /// No runtime to spawn on: drive this future here, then wait like the
    /// rest.
    Drive(Waiter<T>, F),
}

/// What a running fetch holds: its id, a `Weak` to the owner and the
/// channel to its waiters. Dropped without [`send`](Ticket::send)
/// (cancelled, aborted, panicked past [`caught`]), it clears its flight so
/// that the next caller starts a new one.
pub(crate) struct Ticket<O: FlightOwner> {
    id: u64,
    owner: Weak<O>,
    tx: watch::Sender<Option<O::Outcome>>,
    armed: bool,
}

impl<T> SingleFlight<T> {
    /// No flight yet.
    pub(crate) fn new() -> Self {
        Self {
            current: Mutex::new(None),
            running: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
        }
    }

    /// Takes the flight lock.
    pub(crate) fn lock(&self) -> FlightLock<'_, T> {
        // A panic while holding this lock leaves consistent data (owners
        // swap their state whole), so poisoning is ignored.
        FlightLock {
            guard: self.current.lock().unwrap_or_else(PoisonError::into_inner),
            flights: self,
        }
    }

    /// Whether a flight is running (a relaxed read, without the lock).
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    /// For a background refresh, which never waits: the flight lock and
    /// the runtime to spawn on, or `None` if a flight is running (read
    /// without the lock, then again under it) or there is no runtime to
    /// run one.
    pub(crate) fn lock_idle_on_runtime(&self) -> Option<(FlightLock<'_, T>, Handle)> {
        if self.is_running() {
            return None;
        }
        let handle = Handle::try_current().ok()?;
        let flight = self.lock();
        (!flight.is_running()).then_some((flight, handle))
    }

    /// Aborts the running flight, if it was spawned: for the owner's drop.
    pub(crate) fn abort(&mut self) {
        let current = self
            .current
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(abort) = current.take().and_then(|f| f.abort) {
            abort.abort();
        }
    }
}

impl<T> FlightLock<'_, T> {
    /// The running flight, to wait for.
    pub(crate) fn current(&self) -> Option<Waiter<T>> {
        self.guard.as_ref().map(|f| Waiter {
            rx: f.rx.clone(),
            started: f.started,
        })
    }

    /// Whether a flight is running.
    pub(crate) fn is_running(&self) -> bool {
        self.guard.is_some()
    }

    /// Ends flight `id` if it is still the running one (its result is
    /// being published under this lock).
    pub(crate) fn end(&mut self, id: u64) {
        if self.guard.as_ref().is_some_and(|f| f.id == id) {
            *self.guard = None;
            self.flights.running.store(false, Ordering::Relaxed);
        }
    }

    /// Starts a flight: `flight` builds the fetch from its [`Ticket`],
    /// which is spawned on `runtime`, or handed back to drive without one.
    /// The caller has checked that none is running.
    pub(crate) fn start<O, F, Fut>(
        &mut self,
        owner: &Arc<O>,
        runtime: Option<&Handle>,
        flight: F,
    ) -> Started<T, Fut>
    where
        O: FlightOwner<Outcome = T>,
        F: FnOnce(Ticket<O>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = watch::channel(None);
        let id = self.flights.next_id.fetch_add(1, Ordering::Relaxed);
        self.flights.running.store(true, Ordering::Relaxed);
        let fetch = flight(Ticket {
            id,
            owner: Arc::downgrade(owner),
            tx,
            armed: true,
        });
        let started = clock::now();
        let waiter = Waiter {
            rx: rx.clone(),
            started,
        };
        let (abort, started_flight) = match runtime {
            Some(handle) => (Some(handle.spawn(fetch).abort_handle()), None),
            None => (None, Some(fetch)),
        };
        *self.guard = Some(Flight {
            id,
            rx,
            abort,
            started,
        });
        match started_flight {
            None => Started::Spawned(waiter),
            Some(fetch) => Started::Drive(waiter, fetch),
        }
    }
}

impl<T: Clone> Waiter<T> {
    /// When the flight started.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The flight's outcome; `None` if it ended without one (aborted with
    /// its runtime, or its driver dropped).
    pub(crate) async fn outcome(&mut self) -> Option<T> {
        match self.rx.wait_for(Option::is_some).await {
            Ok(slot) => slot.as_ref().cloned(),
            Err(_) => None,
        }
    }
}

impl<O: FlightOwner> Ticket<O> {
    /// The flight's id, for [`FlightLock::end`].
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The owner, unless every handle to it is gone.
    pub(crate) fn owner(&self) -> Option<Arc<O>> {
        self.owner.upgrade()
    }

    /// Hands `outcome` to every waiter. The owner has ended the flight
    /// ([`FlightLock::end`]) while publishing.
    pub(crate) fn send(mut self, outcome: O::Outcome) {
        self.armed = false;
        self.tx.send_replace(Some(outcome));
    }
}

impl<O: FlightOwner> Drop for Ticket<O> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(owner) = self.owner.upgrade() {
            owner.flights().lock().end(self.id);
        }
    }
}

/// Runs `fetch`, turning a panic inside it into `on_panic()`'s outcome
/// (which the owner then treats like any failure). The future is not
/// polled again after it panicked.
pub(crate) async fn caught<T>(fetch: impl Future<Output = T>, on_panic: impl FnOnce() -> T) -> T {
    let mut fetch = std::pin::pin!(fetch);
    let mut on_panic = Some(on_panic);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fetch.as_mut().poll(cx))) {
            Ok(poll) => poll,
            // The payload may hold anything the fetch had (a token): it is
            // not looked at; the panic hook has already reported it.
            Err(_payload) => match on_panic.take() {
                Some(outcome) => Poll::Ready(outcome()),
                // Not reached: poll_fn is not polled after Ready.
                None => Poll::Pending,
            },
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Owner {
        flights: SingleFlight<u32>,
    }

    impl FlightOwner for Owner {
        type Outcome = u32;
        fn flights(&self) -> &SingleFlight<u32> {
            &self.flights
        }
    }

    fn owner() -> Arc<Owner> {
        Arc::new(Owner {
            flights: SingleFlight::new(),
        })
    }

    #[tokio::test]
    async fn every_waiter_gets_the_one_outcome() {
        let owner = owner();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = Handle::current();
        let started = owner
            .flights
            .lock()
            .start(&owner, Some(&handle), |t| async move {
                let _ = rx.await;
                let o = t.owner().unwrap();
                o.flights.lock().end(t.id());
                t.send(7);
            });
        let mut first = match started {
            Started::Spawned(w) => w,
            Started::Drive(..) => panic!("a runtime is there"),
        };
        let mut second = owner.flights.lock().current().unwrap();
        assert!(owner.flights.is_running());
        tx.send(()).unwrap();
        assert_eq!(first.outcome().await, Some(7));
        assert_eq!(second.outcome().await, Some(7));
        assert!(!owner.flights.is_running());
        assert!(owner.flights.lock().current().is_none());
    }

    #[tokio::test]
    async fn a_flight_dropped_unfinished_is_cleared() {
        let owner = owner();
        // The lock is a temporary of this statement: released before the
        // fetch runs (the ticket's drop takes it).
        let started = owner.flights.lock().start(&owner, None, |t| async move {
            drop(t);
        });
        let mut waiter = match started {
            Started::Drive(w, fetch) => {
                fetch.await;
                w
            }
            Started::Spawned(_) => panic!("no runtime was given"),
        };
        assert_eq!(waiter.outcome().await, None);
        assert!(!owner.flights.is_running());
    }

    fn out_of_luck() -> bool {
        true
    }

    #[tokio::test]
    async fn a_panic_becomes_an_outcome() {
        let out = caught(
            async {
                if out_of_luck() {
                    panic!("boom");
                }
                1u8
            },
            || 3,
        )
        .await;
        assert_eq!(out, 3);
        assert_eq!(caught(async { 1u8 }, || 3).await, 1);
    }
}
