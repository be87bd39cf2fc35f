//! The writers of the token cache's state: a fetch's result, the timer
//! that arms the clock-free hit path, and invalidation. Each runs under the
//! flight lock, which serializes every writer.

use std::sync::Arc;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::clock::{self, Instant};
use crate::error::Error;
use crate::token::{AccessToken, TokenSource};

use super::flight::{Outcome, Shared};
use super::state::Snapshot;
use super::{RefreshEvent, RefreshReason};

impl<S: TokenSource + 'static> Shared<S> {
    /// Applies a fetch's result to the cache and says what its waiters get.
    pub(super) fn complete(
        &self,
        id: u64,
        result: Outcome,
        reason: RefreshReason,
        started: Instant,
    ) -> Outcome {
        let mut flight = self.flights.lock();
        flight.end(id);
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
                // While the token is kept, its mandatory point, last usable
                // instant and expiry each get an attempt (see `retry_at`).
                let kept = match (&keep, old.expires_at) {
                    (Some(_), Some(exp)) => Some((old.mandatory_at, exp)),
                    _ => None,
                };
                let retry_at = self
                    .policy
                    .retry_at(now, failures, &error, kept, rand::random());
                let retry_in = retry_at.saturating_duration_since(now);
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
    /// never let the timer fire. And only while the fresh deadline lies at
    /// least the clock-free headroom before expiry: a timer runs late when
    /// its workers are busy or blocked, and then the hit path must still
    /// not serve an expired token (after a failed refresh the deadline can
    /// be the expiry itself). Elsewhere hits compare the deadline with the
    /// clock.
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
        let headroom = self.policy.clock_free_headroom();
        if snapshot
            .expires_at
            .is_some_and(|exp| exp.checked_sub(headroom).is_none_or(|last| until > last))
        {
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
        let flight = self.flights.lock();
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
pub(super) fn later(now: Instant, wait: Duration) -> Instant {
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
