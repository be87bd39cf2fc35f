//! Unit tests of the pacer: windows, slots, resets and 429 retries.

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
