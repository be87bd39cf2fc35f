//! The shared state behind every handle and the one fetch in flight.
//!
//! Cancellation: the fetch is *spawned* on the current tokio runtime, so a
//! caller that stops waiting (its future dropped, a `select!` timeout) cannot
//! strand the others: the fetch runs to completion and publishes its result
//! for everyone. The task holds only the wrapped source and a `Weak` to the
//! cache; dropping the last handle aborts it. Outside a tokio runtime (no
//! spawn possible) the first waiter drives the fetch itself; if it is
//! dropped, a guard clears the flight and the other waiters start a new one.
//!
//! Panics: a source that panics is caught inside the fetch and counted as a
//! failure (an [`Error::Config`]), backed off like any other, so that a
//! broken source is not called again by every caller.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Poll;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::clock::{self, Instant};
use crate::error::Error;
use crate::token::{AccessToken, TokenSource};

use super::policy::Policy;
use super::state::{Decision, Snapshot};
use super::{Observer, RefreshEvent, RefreshReason};

/// What every waiter of a flight receives.
pub(crate) type Outcome = Result<AccessToken, Error>;
type Slot = Option<Outcome>;

/// The state every handle shares.
pub(crate) struct Shared<S> {
    pub(crate) source: Arc<S>,
    pub(crate) state: ArcSwap<Snapshot>,
    /// Serializes writers of `state` and owns the flight; never held across
    /// an `.await`.
    flight: Mutex<Option<Flight>>,
    /// Set while a flight runs, so callers in the advisory window do not
    /// take the mutex just to learn that a refresh is already running.
    refreshing: AtomicBool,
    /// The timer that disarms the current snapshot's clock-free hit path.
    timer: Mutex<Option<tokio::task::AbortHandle>>,
    next_id: AtomicU64,
    pub(crate) policy: Policy,
    pub(crate) observer: Option<Observer>,
}

struct Flight {
    id: u64,
    rx: watch::Receiver<Slot>,
    abort: Option<tokio::task::AbortHandle>,
    /// When the fetch started: the bounded wait in the mandatory window is
    /// counted from here.
    started: Instant,
}

/// How a caller takes part in a flight.
enum Joined<S> {
    /// Wait for someone else's (or a spawned) fetch, started at this instant.
    Wait(watch::Receiver<Slot>, Instant),
    /// No runtime to spawn on: drive the fetch here, then wait like the rest.
    Drive(watch::Receiver<Slot>, FlightTask<S>),
    /// The state changed while we took the lock; decide again.
    Retry,
}

impl<S: TokenSource + 'static> Shared<S> {
    pub(crate) fn new(source: S, policy: Policy, observer: Option<Observer>) -> Self {
        Self {
            source: Arc::new(source),
            state: ArcSwap::from_pointee(Snapshot::default()),
            flight: Mutex::new(None),
            refreshing: AtomicBool::new(false),
            timer: Mutex::new(None),
            next_id: AtomicU64::new(0),
            policy,
            observer,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Flight>> {
        // A panic while holding this lock leaves consistent data (the
        // snapshot is swapped whole), so poisoning is ignored.
        self.flight.lock().unwrap_or_else(PoisonError::into_inner)
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
            let mut rx = match self.join(reason) {
                Joined::Retry => continue,
                Joined::Wait(mut rx, started) => {
                    if let Some(token) = usable
                        && let Some(outcome) = self.wait_briefly(&mut rx, started, token).await
                    {
                        return outcome;
                    }
                    rx
                }
                Joined::Drive(rx, task) => {
                    task.run().await;
                    rx
                }
            };
            if let Ok(slot) = rx.wait_for(Option::is_some).await
                && let Some(outcome) = slot.as_ref()
            {
                return outcome.clone();
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
    /// usable waits for the flight that started at `started` only until
    /// the mandatory wait after that start, then gets `token` if it is
    /// still cached and usable. `None`: wait for the flight's outcome after
    /// all (the token was dropped or is about to expire, or there is no
    /// runtime to time the wait).
    async fn wait_briefly(
        &self,
        rx: &mut watch::Receiver<Slot>,
        started: Instant,
        token: AccessToken,
    ) -> Option<Outcome> {
        // No timer outside a runtime: wait for the outcome.
        tokio::runtime::Handle::try_current().ok()?;
        let deadline = later(started, self.policy.mandatory_wait);
        match tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await {
            Ok(Ok(slot)) => return slot.as_ref().cloned(),
            // Abandoned: the caller starts a new flight.
            Ok(Err(_)) => return None,
            Err(_elapsed) => {}
        }
        let state = self.state.load();
        let still_cached = state.token.as_ref().is_some_and(|t| t.same_token(&token));
        (still_cached && state.usable(clock::now(), self.policy.expiry_margin)).then_some(Ok(token))
    }

    /// Starts a background refresh unless one is running; never waits.
    fn refresh_in_background(self: &Arc<Self>) {
        if self.refreshing.load(Ordering::Relaxed) {
            return;
        }
        // Without a runtime there is nobody to run it: keep serving until
        // the mandatory point, where a caller drives the fetch.
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut flight = self.lock();
        if flight.is_some() {
            return;
        }
        // Re-check under the lock: a flight may have just published.
        if !matches!(
            self.state
                .load()
                .decide(clock::now(), self.policy.expiry_margin),
            Decision::ServeAndRefresh(_)
        ) {
            return;
        }
        let (task, rx) = self.new_flight(RefreshReason::Ahead, self.policy.load_timeout);
        let id = task.id;
        let abort = handle.spawn(task.run()).abort_handle();
        *flight = Some(Flight {
            id,
            rx,
            abort: Some(abort),
            started: clock::now(),
        });
    }

    /// Joins the running flight or starts one.
    fn join(self: &Arc<Self>, reason: RefreshReason) -> Joined<S> {
        let mut flight = self.lock();
        if let Some(f) = flight.as_ref() {
            return Joined::Wait(f.rx.clone(), f.started);
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
        let started = clock::now();
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let (task, rx) = self.new_flight(reason, self.policy.load_timeout);
                let id = task.id;
                let abort = handle.spawn(task.run()).abort_handle();
                *flight = Some(Flight {
                    id,
                    rx: rx.clone(),
                    abort: Some(abort),
                    started,
                });
                Joined::Wait(rx, started)
            }
            Err(_) => {
                // No timer without a runtime either, so no load timeout.
                let (task, rx) = self.new_flight(reason, None);
                *flight = Some(Flight {
                    id: task.id,
                    rx: rx.clone(),
                    abort: None,
                    started,
                });
                Joined::Drive(rx, task)
            }
        }
    }

    fn new_flight(
        self: &Arc<Self>,
        reason: RefreshReason,
        timeout: Option<Duration>,
    ) -> (FlightTask<S>, watch::Receiver<Slot>) {
        let (tx, rx) = watch::channel(None);
        self.refreshing.store(true, Ordering::Relaxed);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let task = FlightTask {
            id,
            shared: Arc::downgrade(self),
            source: Arc::clone(&self.source),
            tx,
            reason,
            timeout,
        };
        (task, rx)
    }

    fn emit(&self, event: RefreshEvent) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }

    /// Applies a fetch's result to the cache and says what its waiters get.
    fn complete(
        &self,
        id: u64,
        result: Outcome,
        reason: RefreshReason,
        started: Instant,
    ) -> Outcome {
        let mut flight = self.lock();
        if flight.as_ref().is_some_and(|f| f.id == id) {
            *flight = None;
        }
        self.refreshing.store(false, Ordering::Relaxed);
        let now = clock::now();
        let latency = now.saturating_duration_since(started);
        let old = self.state.load_full();
        let result = match result {
            Ok(t) if t.expires_at().is_some_and(|at| at <= now) => Err(Error::MalformedResponse {
                status: None,
                reason: "the token source returned a token that has already expired".into(),
            }),
            other => other,
        };
        match result {
            Ok(token) => {
                let (advisory, mandatory) = match token.expires_at() {
                    Some(at) => {
                        let p = self.policy.points(now, at, rand::random());
                        (Some(p.advisory), Some(p.mandatory))
                    }
                    None => (None, None),
                };
                // A token that was still cached has reached its natural
                // refresh: forced refreshes count from zero again. One
                // that replaces an invalidated token keeps their backoff.
                let forced = match old.token {
                    Some(_) => (0, None),
                    None => (old.forced, old.hold_until),
                };
                self.publish(Snapshot::with_token(
                    token.clone(),
                    advisory,
                    mandatory,
                    forced,
                ));
                let expires_in = token.expires_in();
                drop(flight);
                tracing::debug!(
                    reason = reason.as_str(),
                    latency_ms = latency.as_millis() as u64,
                    expires_in_s = expires_in.map(|d| d.as_secs()),
                    "okta token refreshed"
                );
                self.emit(RefreshEvent::Refreshed {
                    reason,
                    latency,
                    expires_in,
                });
                Ok(token)
            }
            Err(error) => {
                let failures = old.failures.saturating_add(1);
                let transient = error.is_transient();
                let keep = old.valid_token(now).cloned();
                let serving_cached = keep.is_some();
                let retry_in =
                    self.policy
                        .retry_in(failures, &error, serving_cached, rand::random());
                let retry_at = later(now, retry_in);
                let fresh_until = match (&keep, old.expires_at) {
                    (Some(_), Some(exp)) => {
                        let backoff_end = retry_at.min(exp);
                        Some(old.fresh_until.map_or(backoff_end, |f| f.max(backoff_end)))
                    }
                    _ => None,
                };
                self.publish(Snapshot {
                    token: keep.clone(),
                    fresh_until,
                    expires_at: if serving_cached { old.expires_at } else { None },
                    mandatory_at: if serving_cached {
                        old.mandatory_at
                    } else {
                        None
                    },
                    retry_at: Some(retry_at),
                    last_error: Some(error.clone()),
                    failures,
                    forced: old.forced,
                    hold_until: old.hold_until,
                    armed: AtomicBool::new(false),
                });
                drop(flight);
                tracing::warn!(
                    reason = reason.as_str(),
                    latency_ms = latency.as_millis() as u64,
                    transient,
                    serving_cached,
                    retry_in_ms = retry_in.as_millis() as u64,
                    error = %error,
                    "okta token refresh failed"
                );
                self.emit(RefreshEvent::Failed {
                    reason,
                    latency,
                    error: error.clone(),
                    serving_cached,
                    retry_in,
                });
                keep.ok_or(error)
            }
        }
    }

    /// Swaps in a new snapshot (callers hold the flight lock) and, on a
    /// multi-threaded runtime, arms its clock-free hit path with a timer.
    ///
    /// Only multi-threaded runtimes: their workers drive timers on their
    /// own, whereas a current-thread runtime runs timers only inside
    /// `block_on`, so a program calling `rt.block_on(cache.token())` would
    /// never let the timer fire. Elsewhere hits compare the deadline with
    /// the clock.
    fn publish(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        self.state.store(Arc::clone(&snapshot));
        let mut timer = self.timer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(previous) = timer.take() {
            previous.abort();
        }
        let Some(until) = snapshot.fresh_until else {
            return;
        };
        if snapshot.token.is_none() {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if handle.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return;
        }
        snapshot.armed.store(true, Ordering::Relaxed);
        let guard = Disarm(snapshot);
        let task = handle.spawn(async move {
            let _disarm_when_done = guard;
            tokio::time::sleep_until(until).await;
        });
        *timer = Some(task.abort_handle());
    }

    /// Drops the cached token if it is `rejected`, keeping any backoff,
    /// unless the forced-refresh backoff that the last drop started is
    /// still running: then the token stays.
    pub(crate) fn invalidate(&self, rejected: &AccessToken) {
        let flight = self.lock();
        let old = self.state.load_full();
        if !old.token.as_ref().is_some_and(|t| t.same_token(rejected)) {
            return;
        }
        let now = clock::now();
        if old.hold_until.is_some_and(|hold| now < hold) {
            drop(flight);
            tracing::debug!(
                "okta token rejected again within the forced-refresh backoff; kept in service"
            );
            return;
        }
        let forced = old.forced.saturating_add(1);
        let hold = self.policy.backoff(forced, true, rand::random());
        self.publish(Snapshot {
            token: None,
            fresh_until: None,
            expires_at: None,
            mandatory_at: None,
            retry_at: old.retry_at,
            last_error: old.last_error.clone(),
            failures: old.failures,
            forced,
            hold_until: Some(later(now, hold)),
            armed: AtomicBool::new(false),
        });
        drop(flight);
        tracing::debug!(
            forced,
            hold_ms = hold.as_millis() as u64,
            "cached okta token invalidated"
        );
    }
}

/// `now + wait` without the panic on overflow. The builder bounds every
/// wait by a day ([`MAX_ERROR_WAIT`](super::MAX_ERROR_WAIT)), so the
/// fallbacks are never reached in practice; if they were, retrying early is
/// the safe side.
fn later(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait)
        .or_else(|| now.checked_add(super::MAX_ERROR_WAIT))
        .unwrap_or(now)
}

/// Clears a snapshot's `armed` flag however its timer task ends: fired,
/// aborted, panicked or dropped with its runtime.
struct Disarm(Arc<Snapshot>);

impl Drop for Disarm {
    fn drop(&mut self) {
        self.0.armed.store(false, Ordering::Relaxed);
    }
}

impl<S> Drop for Shared<S> {
    fn drop(&mut self) {
        let timer = self.timer.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(timer) = timer.take() {
            timer.abort();
        }
        let flight = self
            .flight
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(abort) = flight.take().and_then(|f| f.abort) {
            abort.abort();
        }
    }
}

/// One fetch: calls the source, publishes the outcome.
pub(crate) struct FlightTask<S> {
    id: u64,
    shared: Weak<Shared<S>>,
    source: Arc<S>,
    tx: watch::Sender<Slot>,
    reason: RefreshReason,
    timeout: Option<Duration>,
}

/// Clears a flight that ends without publishing (cancelled, aborted,
/// panicked), so the next caller starts a new one.
struct ClearOnDrop<S> {
    id: u64,
    shared: Weak<Shared<S>>,
    armed: bool,
}

impl<S> Drop for ClearOnDrop<S> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(shared) = self.shared.upgrade() {
            let mut flight = shared.flight.lock().unwrap_or_else(PoisonError::into_inner);
            if flight.as_ref().is_some_and(|f| f.id == self.id) {
                *flight = None;
                shared.refreshing.store(false, Ordering::Relaxed);
            }
        }
    }
}

impl<S: TokenSource + 'static> FlightTask<S> {
    async fn run(self) {
        let FlightTask {
            id,
            shared,
            source,
            tx,
            reason,
            timeout,
        } = self;
        let mut guard = ClearOnDrop {
            id,
            shared: shared.clone(),
            armed: true,
        };
        let started = clock::now();
        // Hold the cache only for the event, never across the fetch.
        match shared.upgrade() {
            Some(s) => s.emit(RefreshEvent::Started { reason }),
            None => return,
        }
        tracing::debug!(reason = reason.as_str(), "okta token refresh started");
        let result = caught(async {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, source.token())
                    .await
                    .unwrap_or(Err(Error::Timeout)),
                None => source.token().await,
            }
        })
        .await;
        drop(source);
        // The last handle is gone: nobody to tell.
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let outcome = shared.complete(id, result, reason, started);
        guard.armed = false;
        tx.send_replace(Some(outcome));
    }
}

/// Runs `fetch`, turning a panic inside it into an error outcome (which the
/// cache then backs off like any failure). The future is not polled again
/// after it panicked.
async fn caught(fetch: impl Future<Output = Outcome>) -> Outcome {
    let mut fetch = std::pin::pin!(fetch);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fetch.as_mut().poll(cx))) {
            Ok(poll) => poll,
            // The payload may hold anything the source had (a token): it
            // is not looked at; the panic hook has already reported it.
            Err(_payload) => Poll::Ready(Err(Error::Config(
                "the token source panicked (a bug in the source, or a tokio runtime without \
                 its time driver)"
                    .into(),
            ))),
        }
    })
    .await
}
