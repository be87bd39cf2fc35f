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
mod tests {
    use super::*;
    use http::HeaderValue;

    const SEC: Duration = Duration::from_secs(1);

    fn rate(limit: u64, remaining: u64, reset: u64) -> RateLimit {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", HeaderValue::from(limit));
        h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
        h.insert("x-rate-limit-reset", HeaderValue::from(reset));
        RateLimit::from_headers(&h).unwrap()
    }

    /// A family that learned of a window of `limit` with `remaining` left,
    /// resetting 10 s after `t0`.
    fn family(limit: u64, remaining: u64, t0: Instant) -> Family {
        let mut f = Family::default();
        f.report(&rate(limit, remaining, 1_000), 10 * SEC, t0);
        f
    }

    #[test]
    fn above_the_share_requests_go_at_once_and_claim_their_unit() {
        let t0 = clock::now();
        let mut f = family(100, 60, t0);
        for _ in 0..10 {
            assert_eq!(f.claim(0.5, t0, None), None);
        }
        assert_eq!(f.window.unwrap().unclaimed, 50);
        assert_eq!(f.outstanding, 10);
        // The eleventh finds half left, not under it.
        assert_eq!(f.claim(0.5, t0, None), None);
        assert_eq!(f.window.unwrap().next, t0);
        // The twelfth finds 49: its slot is now, the next one 10 s / 49 on.
        assert_eq!(f.claim(0.5, t0, None), None);
        assert_eq!(f.window.unwrap().next, t0 + 10 * SEC / 49);
        assert!(f.claim(0.5, t0, None).is_some());
    }

    #[test]
    fn below_the_share_concurrent_requests_get_evenly_spaced_slots() {
        let t0 = clock::now();
        let mut f = family(100, 10, t0);
        // 10 left over 10 s: one a second, the first at once.
        let slots: Vec<Option<Instant>> = (0..12).map(|_| f.claim(0.2, t0, None)).collect();
        assert_eq!(slots[0], None);
        for (k, slot) in slots.iter().enumerate().take(10).skip(1) {
            assert_eq!(*slot, Some(t0 + SEC * k as u32), "slot {k}");
        }
        // The budget is gone: the rest wait for the reset, never later.
        assert_eq!(slots[10], Some(t0 + 10 * SEC));
        assert_eq!(slots[11], Some(t0 + 10 * SEC));
        // Once the reset has passed nothing is paced.
        assert_eq!(f.claim(0.2, t0 + 10 * SEC, None), None);
        assert_eq!(f.claim(0.2, t0 + 11 * SEC, None), None);
    }

    #[test]
    fn sequential_requests_keep_the_interval_as_answers_count_down() {
        let t0 = clock::now();
        let mut f = family(100, 10, t0);
        let mut now = t0;
        let mut sent = Vec::new();
        for remaining in (0..10).rev() {
            if let Some(slot) = f.claim(0.5, now, None) {
                now = slot;
            }
            sent.push(now - t0);
            f.release();
            f.report(&rate(100, remaining, 1_000), t0 + 10 * SEC - now, now);
        }
        let expected: Vec<Duration> = (0..10).map(|k| SEC * k).collect();
        assert_eq!(sent, expected);
        assert_eq!(
            f.claim(0.5, now, None),
            Some(t0 + 10 * SEC),
            "then the reset"
        );
    }

    #[test]
    fn answers_subtract_what_is_outstanding_and_never_raise_a_window() {
        let t0 = clock::now();
        let mut f = family(100, 40, t0);
        for _ in 0..5 {
            f.claim(0.1, t0, None);
        }
        assert_eq!(f.window.unwrap().unclaimed, 35);
        // One answer: 39 left, 4 others still out.
        f.release();
        f.report(&rate(100, 39, 1_000), 10 * SEC, t0);
        assert_eq!(f.window.unwrap().unclaimed, 35);
        // A late answer claiming more is not believed within its window.
        f.release();
        f.report(&rate(100, 80, 1_000), 10 * SEC, t0);
        assert_eq!(f.window.unwrap().unclaimed, 35);
        // An answer from an earlier window is ignored.
        f.release();
        f.report(&rate(100, 0, 999), SEC, t0);
        assert_eq!(f.window.unwrap().reset_epoch, 1_000);
        // A new window replaces the old one.
        f.release();
        f.report(&rate(100, 99, 1_060), 70 * SEC, t0 + 10 * SEC);
        let w = f.window.unwrap();
        assert_eq!((w.unclaimed, w.reset_epoch), (98, 1_060));
        assert_eq!(w.reset_at, t0 + 80 * SEC);
    }

    #[test]
    fn a_reset_beyond_the_bound_is_not_believed() {
        let t0 = clock::now();
        let mut f = Family::default();
        // A reset in milliseconds: ignored, nothing to pace by.
        f.report(&rate(100, 0, 1_000_000), MAX_RESET_AHEAD + SEC, t0);
        assert!(f.window.is_none());
        assert_eq!(f.claim(1.0, t0, None), None);
        // So the next correct answer names the window, and a later far one
        // neither replaces it nor lowers its budget.
        f.release();
        f.report(&rate(100, 99, 1_000), 10 * SEC, t0);
        f.report(&rate(100, 0, 1_000_000), MAX_RESET_AHEAD + SEC, t0);
        let w = f.window.unwrap();
        assert_eq!((w.reset_epoch, w.unclaimed), (1_000, 99));
        // The bound itself is believed.
        let mut f = Family::default();
        f.report(&rate(100, 0, 1_300), MAX_RESET_AHEAD, t0);
        assert_eq!(f.window.unwrap().reset_epoch, 1_300);
    }

    #[test]
    fn a_429_retry_gets_no_slot_in_the_window_it_waited_for() {
        let t0 = clock::now();
        let mut f = family(100, 0, t0);
        // Another request waits for the reset; the retry goes at once but
        // still claims its unit.
        assert_eq!(f.claim(0.5, t0, None), Some(t0 + 10 * SEC));
        assert_eq!(f.claim(0.5, t0, Some(1_000)), None);
        assert_eq!(f.outstanding, 2);
        // A newer window than the one waited for paces it as any request.
        let mut f = family(100, 0, t0);
        f.report(&rate(100, 0, 1_005), 15 * SEC, t0);
        assert_eq!(f.claim(0.5, t0, Some(1_000)), Some(t0 + 15 * SEC));
    }

    #[test]
    fn no_pacing_without_a_usable_window() {
        let t0 = clock::now();
        let mut f = Family::default();
        assert_eq!(f.claim(1.0, t0, None), None, "nothing known yet");
        f.release();
        f.report(&rate(0, 0, 1_000), 10 * SEC, t0);
        assert!(f.window.is_none(), "a concurrent-limit breach");
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-remaining", HeaderValue::from(0));
        f.report(&RateLimit::from_headers(&h).unwrap(), 10 * SEC, t0);
        assert!(f.window.is_none(), "no limit, no reset");
        f.report(&rate(10, 0, u64::MAX), Duration::MAX, t0);
        assert!(f.window.is_none(), "a reset beyond any instant");
        assert_eq!(f.claim(1.0, t0, None), None);
        assert!(!f.idle(t0), "one claim outstanding");
        f.release();
        assert!(f.idle(t0));
    }

    #[test]
    fn tickets_release_their_claim_once() {
        let pacer = Pacer::new(0.5);
        let (a, _) = pacer.claim("/api/v1/users", None);
        let (b, _) = pacer.claim("/api/v1/users/", None);
        let (c, _) = pacer.claim("/api/v1/users/me", None);
        let outstanding = |key: &str| pacer.lock()[key].outstanding;
        assert_eq!(outstanding("/api/v1/users"), 2);
        assert_eq!(outstanding("/api/v1/users/*"), 1);
        drop(a);
        assert_eq!(outstanding("/api/v1/users"), 1);
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", HeaderValue::from(100));
        h.insert("x-rate-limit-remaining", HeaderValue::from(1));
        h.insert(
            "x-rate-limit-reset",
            HeaderValue::from(clock::unix_now() + 30),
        );
        b.report(&h);
        assert_eq!(outstanding("/api/v1/users"), 0);
        assert_eq!(pacer.lock()["/api/v1/users"].window.unwrap().unclaimed, 1);
        drop(c);
        assert_eq!(outstanding("/api/v1/users/*"), 0);
    }

    #[test]
    fn families_are_bounded() {
        let pacer = Pacer::new(0.5);
        let mut held = Vec::new();
        for k in 0..MAX_FAMILIES {
            held.push(pacer.claim(&format!("/api/v1/r{k}"), None).0);
        }
        let (extra, slot) = pacer.claim("/api/v1/one-too-many", None);
        assert_eq!(slot, None);
        assert!(extra.family.is_none(), "not tracked while all are busy");
        assert_eq!(pacer.lock().len(), MAX_FAMILIES);
        held.clear();
        let (tracked, _) = pacer.claim("/api/v1/one-too-many", None);
        assert!(tracked.family.is_some());
        assert_eq!(pacer.lock().len(), 1, "idle families were evicted");
    }
}
