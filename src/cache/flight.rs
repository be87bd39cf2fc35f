//! The shared state behind every handle, and how callers take part in the
//! one fetch in flight ([`SingleFlight`]; its docs say how cancellation and
//! runs without a runtime are handled). The writers are in `update.rs`.
//!
//! Panics: a source that panics is caught inside the fetch and counted as a
//! failure (an [`Error::Config`]), backed off like any other, so that a
//! broken source is not called again by every caller.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::clock;
use crate::error::Error;
use crate::token::{AccessToken, TokenSource};

use super::policy::Policy;
use super::single_flight::{FlightOwner, SingleFlight, Started, Ticket, Waiter, caught};
use super::state::{Decision, Snapshot};
use super::update::later;
use super::{Observer, RefreshEvent, RefreshReason};

/// What every waiter of a flight receives.
pub(crate) type Outcome = Result<AccessToken, Error>;

/// The state every handle shares.
pub(crate) struct Shared<S> {
    pub(crate) source: Arc<S>,
    pub(crate) state: ArcSwap<Snapshot>,
    /// The one fetch in flight; its lock serializes the writers of `state`.
    pub(crate) flights: SingleFlight<Outcome>,
    /// The timer that disarms the current snapshot's clock-free hit path.
    pub(crate) timer: Mutex<Option<tokio::task::AbortHandle>>,
    pub(crate) policy: Policy,
    pub(crate) observer: Option<Observer>,
}

impl<S: TokenSource + 'static> FlightOwner for Shared<S> {
    type Outcome = Outcome;

    fn flights(&self) -> &SingleFlight<Outcome> {
        &self.flights
    }
}

/// How a caller takes part in a flight.
enum Joined<F> {
    /// Wait for someone else's (or a spawned) fetch.
    Wait(Waiter<Outcome>),
    /// No runtime to spawn on: drive the fetch here, then wait like the rest.
    Drive(Waiter<Outcome>, F),
    /// The state changed while we took the lock; decide again.
    Retry,
}

impl<S: TokenSource + 'static> Shared<S> {
    pub(crate) fn new(source: S, policy: Policy, observer: Option<Observer>) -> Self {
        Self {
            source: Arc::new(source),
            state: ArcSwap::from_pointee(Snapshot::default()),
            flights: SingleFlight::new(),
            timer: Mutex::new(None),
            policy,
            observer,
        }
    }

    /// Everything but a fresh hit.
    pub(crate) async fn slow(self: &Arc<Self>) -> Outcome {
        let margin = self.policy.expiry_margin;
        // A flight whose task was aborted (its runtime shut down, or the
        // caller driving it without a runtime was dropped) closes its
        // channel without an outcome; the waiters then start a new one.
        // Bounded, so that a runtime shutting down turns into an error
        // instead of a loop. (A panicking source is not abandoned: its
        // panic is an outcome.)
        let mut abandoned = 0;
        loop {
            let decision = self.state.load().decide(clock::now(), margin);
            let (reason, usable) = match decision {
                Decision::Serve(t) => return Ok(t),
                Decision::Fail(e) => return Err(e),
                Decision::ServeAndRefresh(t) => {
                    self.refresh_in_background();
                    return Ok(t);
                }
                Decision::WaitBriefly(t) => (RefreshReason::Mandatory, Some(t)),
                Decision::Wait(reason) => (reason, None),
            };
            let mut waiter = match self.join(reason) {
                Joined::Retry => continue,
                Joined::Wait(mut waiter) => {
                    if let Some(token) = usable
                        && let Some(outcome) = self.wait_briefly(&mut waiter, token).await
                    {
                        return outcome;
                    }
                    waiter
                }
                Joined::Drive(waiter, fetch) => {
                    fetch.await;
                    waiter
                }
            };
            if let Some(outcome) = waiter.outcome().await {
                return outcome;
            }
            abandoned += 1;
            if abandoned == 4 {
                break;
            }
        }
        // No variant fits well: the runtime is going away, not a
        // configuration problem. Not cached: the next call tries again.
        Err(Error::Config(
            "the token fetch was aborted 4 times in a row (its tokio runtime is shutting down)"
                .into(),
        ))
    }

    /// A caller past the mandatory point whose cached `token` is still
    /// usable waits for the flight only until the mandatory wait after the
    /// flight started, then gets `token` if it is still cached and usable.
    /// `None`: wait for the flight's outcome after all (the token was
    /// dropped or is about to expire, or there is no runtime to time the
    /// wait).
    async fn wait_briefly(
        &self,
        waiter: &mut Waiter<Outcome>,
        token: AccessToken,
    ) -> Option<Outcome> {
        // No timer outside a runtime: wait for the outcome.
        tokio::runtime::Handle::try_current().ok()?;
        let deadline = later(waiter.started(), self.policy.mandatory_wait);
        match tokio::time::timeout_at(deadline, waiter.outcome()).await {
            Ok(Some(outcome)) => return Some(outcome),
            // Abandoned: the caller starts a new flight.
            Ok(None) => return None,
            Err(_elapsed) => {}
        }
        let state = self.state.load();
        let still_cached = state.token.as_ref().is_some_and(|t| t.same_token(&token));
        (still_cached && state.usable(clock::now(), self.policy.expiry_margin)).then_some(Ok(token))
    }

    /// Starts a background refresh unless one is running; never waits.
    fn refresh_in_background(self: &Arc<Self>) {
        // Without a runtime there is nobody to run it: keep serving until
        // the mandatory point, where a caller drives the fetch.
        let Some((mut flight, handle)) = self.flights.lock_idle_on_runtime() else {
            return;
        };
        // Re-check under the lock: a flight may have just published.
        if !matches!(
            self.state
                .load()
                .decide(clock::now(), self.policy.expiry_margin),
            Decision::ServeAndRefresh(_)
        ) {
            return;
        }
        let source = Arc::clone(&self.source);
        let timeout = self.policy.load_timeout;
        // Spawned: nothing to drive or wait for.
        let _started = flight.start(self, Some(&handle), |ticket| {
            fetch(ticket, source, RefreshReason::Ahead, timeout)
        });
    }

    /// Joins the running flight or starts one.
    fn join(
        self: &Arc<Self>,
        reason: RefreshReason,
    ) -> Joined<impl Future<Output = ()> + Send + 'static> {
        let mut flight = self.flights.lock();
        if let Some(waiter) = flight.current() {
            return Joined::Wait(waiter);
        }
        // Re-check under the lock: a flight may have published between our
        // load and the lock, and must not be followed by a second fetch.
        if !matches!(
            self.state
                .load()
                .decide(clock::now(), self.policy.expiry_margin),
            Decision::Wait(_) | Decision::WaitBriefly(_)
        ) {
            return Joined::Retry;
        }
        let handle = tokio::runtime::Handle::try_current().ok();
        // No timer without a runtime either, so no load timeout.
        let timeout = handle.as_ref().and(self.policy.load_timeout);
        let source = Arc::clone(&self.source);
        match flight.start(self, handle.as_ref(), |ticket| {
            fetch(ticket, source, reason, timeout)
        }) {
            Started::Spawned(waiter) => Joined::Wait(waiter),
            Started::Drive(waiter, fetch) => Joined::Drive(waiter, fetch),
        }
    }

    pub(crate) fn emit(&self, event: RefreshEvent) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }
}

impl<S> Drop for Shared<S> {
    fn drop(&mut self) {
        let timer = self.timer.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(timer) = timer.take() {
            timer.abort();
        }
        self.flights.abort();
    }
}

/// One fetch: calls the source, publishes the outcome. It holds only the
/// source and the ticket (a `Weak` to the cache), never the cache itself
/// across the fetch.
async fn fetch<S: TokenSource + 'static>(
    ticket: Ticket<Shared<S>>,
    source: Arc<S>,
    reason: RefreshReason,
    timeout: Option<Duration>,
) {
    let started = clock::now();
    match ticket.owner() {
        Some(shared) => shared.emit(RefreshEvent::Started { reason }),
        None => return,
    }
    tracing::debug!(reason = reason.as_str(), "okta token refresh started");
    let result = caught(
        async {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, source.token())
                    .await
                    .unwrap_or(Err(Error::Timeout)),
                None => source.token().await,
            }
        },
        || {
            Err(Error::Config(
                "the token source panicked (a bug in the source, or a tokio runtime without \
                 its time driver)"
                    .into(),
            ))
        },
    )
    .await;
    drop(source);
    // The last handle is gone: nobody to tell.
    let Some(shared) = ticket.owner() else {
        return;
    };
    let outcome = shared.complete(ticket.id(), result, reason, started);
    ticket.send(outcome);
}
