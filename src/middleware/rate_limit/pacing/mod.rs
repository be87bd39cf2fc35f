//! Pacing: when little of a rate-limit window is left, the rest of its
//! requests are spread evenly until its reset, before Okta answers `429`.
//!
//! - **What is known.** Per endpoint family (the first three path segments,
//!   and whether more follow: `/api/v1/users`, `/api/v1/users/*`; Okta's
//!   limits are per endpoint), the latest window an answer reported: its
//!   limit, its reset, and the budget not yet claimed. The reset becomes an
//!   instant on this machine by the crate's one rule, `X-Rate-Limit-Reset −
//!   Date + 1 s` after the answer arrived: the server's clock, with a second
//!   for skew. Okta's windows are short (a minute for most endpoints), so a
//!   reset more than [`MAX_RESET_AHEAD`] away by that rule is not believed
//!   (a gateway writing milliseconds, a broken clock): the answer is ignored
//!   for pacing. Otherwise one such answer would name the window for good,
//!   every later (correct) answer being "an earlier window", and every
//!   request would wait the maximum.
//! - **Claims.** Every request claims one unit of the budget before it is
//!   sent, and is outstanding until its answer arrives (or it fails, or is
//!   dropped). An answer sets the budget to its `X-Rate-Limit-Remaining`
//!   less the requests still outstanding, which the server may not have
//!   counted yet; within one window the budget only goes down, so a late
//!   answer cannot raise it. An answer from an earlier window is ignored.
//! - **After a `429`.** The retry of a request answered `429` has already
//!   waited for the window the `429` left the family in (the server's wait,
//!   capped by the maximum wait): it claims its unit but gets no slot in
//!   that window, so it is not made to wait twice (and keeps its jitter).
//!   A newer window, reported meanwhile, paces it as any request.
//! - **Slots.** While the budget is at least the share of the limit, a
//!   request goes at once. Below it, requests get slots one interval apart,
//!   the interval being the time left until the reset over the budget left:
//!   the first at once (or at the previous slot's end), so concurrent
//!   requests never share a slot. With no budget left, the slot is the
//!   reset. A slot is never after the reset; the wait is also capped by the
//!   middleware's maximum wait.
//! - **Bounds.** Once the reset has passed, nothing is paced until an answer
//!   reports the new window. A limit of 0 (Okta's concurrent-limit breach,
//!   whose reset is only a hint) is not paced. At most [`MAX_FAMILIES`]
//!   families are tracked; a new family beyond that first evicts those with
//!   nothing outstanding and a past reset, and is not paced if none can go.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::HeaderMap;

use crate::clock::{self, Instant};
use crate::rate_limit::{RateLimit, endpoint_family, reset_wait};

/// The most endpoint families one pacing state tracks at once.
pub(super) const MAX_FAMILIES: usize = 256;

/// The furthest reset pacing believes, by the crate's rule
/// (`X-Rate-Limit-Reset − Date + 1 s`): 5 minutes. Okta's rate-limit
/// windows are a minute long for most endpoints; an answer whose reset is
/// further away is ignored for pacing. Public as
/// `OktaRateLimit::MAX_PACED_RESET`.
pub(super) const MAX_RESET_AHEAD: Duration = Duration::from_secs(5 * 60);

/// The pacing state shared by an `OktaRateLimit` and its clones.
pub(super) struct Pacer {
    /// Pace below this share of the limit.
    below: f64,
    families: Mutex<HashMap<String, Family>>,
}

/// One endpoint family.
#[derive(Debug, Default)]
struct Family {
    /// Requests claimed and not yet answered.
    outstanding: u64,
    window: Option<Window>,
}

/// The latest window an answer reported.
#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u64,
    /// `X-Rate-Limit-Reset`, which names the window.
    reset_epoch: u64,
    /// The reset on this machine's clock (with the rule's second of skew).
    reset_at: Instant,
    /// The budget not yet claimed.
    unclaimed: u64,
    /// The next free slot.
    next: Instant,
}

impl Family {
    /// Claims one request's unit at `now`: when to send it, if later than
    /// `now`. A request that already waited for the window named by
    /// `waited` (a `429` retry) gets no slot in it.
    fn claim(&mut self, below: f64, now: Instant, waited: Option<u64>) -> Option<Instant> {
        self.outstanding = self.outstanding.saturating_add(1);
        let w = self.window.as_mut()?;
        if now >= w.reset_at {
            return None;
        }
        // Precision: a budget or limit past 2^53 is no real Okta window.
        let pace = waited != Some(w.reset_epoch) && (w.unclaimed as f64) < below * (w.limit as f64);
        let slot = if !pace {
            None
        } else if w.unclaimed == 0 {
            Some(w.reset_at)
        } else {
            let base = w.next.max(now);
            let left = w.reset_at.saturating_duration_since(base);
            let interval = left / u32::try_from(w.unclaimed).unwrap_or(u32::MAX);
            w.next = base + interval;
            Some(base.min(w.reset_at))
        };
        w.unclaimed = w.unclaimed.saturating_sub(1);
        slot.filter(|slot| *slot > now)
    }

    /// One claimed request is answered, or gave up.
    fn release(&mut self) {
        self.outstanding = self.outstanding.saturating_sub(1);
    }

    /// Learns from an answer that arrived at `now` (its own claim released)
    /// whose window resets `reset_in` later.
    fn report(&mut self, rate: &RateLimit, reset_in: Duration, now: Instant) {
        let (Some(limit), Some(remaining), Some(reset_epoch)) =
            (rate.limit(), rate.remaining(), rate.reset_epoch_secs())
        else {
            return;
        };
        // A reset beyond any of Okta's windows (or too far to be an
        // instant) is no window to pace by.
        if reset_in > MAX_RESET_AHEAD {
            return;
        }
        let Some(reset_at) = now.checked_add(reset_in) else {
            return;
        };
        if limit == 0 {
            return;
        }
        let unclaimed = remaining.saturating_sub(self.outstanding);
        match &mut self.window {
            Some(w) if reset_epoch < w.reset_epoch => {}
            Some(w) if reset_epoch == w.reset_epoch => {
                w.limit = limit;
                w.unclaimed = w.unclaimed.min(unclaimed);
            }
            window => {
                let next = window.map_or(now, |w| w.next);
                *window = Some(Window {
                    limit,
                    reset_epoch,
                    reset_at,
                    unclaimed,
                    next,
                });
            }
        }
    }

    /// Nothing outstanding and nothing to pace by any more.
    fn idle(&self, now: Instant) -> bool {
        self.outstanding == 0 && self.window.is_none_or(|w| w.reset_at <= now)
    }
}

impl Pacer {
    /// Paces below `below` (a share of the limit, in `(0, 1]`).
    pub(super) fn new(below: f64) -> Arc<Self> {
        Arc::new(Self {
            below,
            families: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Family>> {
        self.families.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims a unit for a request to `path`: the ticket to report its
    /// answer with, and when to send it, if later than now. `waited` names
    /// the window (by its reset) that a `429` retry has already waited for:
    /// no slot in it.
    pub(super) fn claim(
        self: &Arc<Self>,
        path: &str,
        waited: Option<u64>,
    ) -> (Ticket, Option<Instant>) {
        let key = endpoint_family(path);
        let now = clock::now();
        let mut families = self.lock();
        if !families.contains_key(&key) && families.len() >= MAX_FAMILIES {
            families.retain(|_, family| !family.idle(now));
            if families.len() >= MAX_FAMILIES {
                return (Ticket::untracked(self), None);
            }
        }
        let slot = families
            .entry(key.clone())
            .or_default()
            .claim(self.below, now, waited);
        drop(families);
        let ticket = Ticket {
            pacer: Arc::clone(self),
            family: Some(key),
        };
        (ticket, slot)
    }
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("below", &self.below)
            .field("families", &self.lock().len())
            .finish()
    }
}

/// One request's claim: reported with its answer, or released when
/// dropped (an error, a cancelled request).
pub(super) struct Ticket {
    pacer: Arc<Pacer>,
    /// `None` once reported, or when the family is not tracked.
    family: Option<String>,
}

impl Ticket {
    fn untracked(pacer: &Arc<Pacer>) -> Self {
        Self {
            pacer: Arc::clone(pacer),
            family: None,
        }
    }

    /// The request was answered (by the org) with `headers`. Returns the
    /// window the family is in now, by its reset: what a retry of a `429`
    /// waits for.
    pub(super) fn report(mut self, headers: &HeaderMap) -> Option<u64> {
        let key = self.family.take()?;
        let rate = RateLimit::from_headers(headers);
        let reset_in = reset_wait(headers);
        let now = clock::now();
        let mut families = self.pacer.lock();
        let family = families.get_mut(&key)?;
        family.release();
        if let (Some(rate), Some(reset_in)) = (rate, reset_in) {
            family.report(&rate, reset_in, now);
        }
        family.window.map(|w| w.reset_epoch)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(key) = self.family.take()
            && let Some(family) = self.pacer.lock().get_mut(&key)
        {
            family.release();
        }
    }
}

#[cfg(test)]
mod tests;
