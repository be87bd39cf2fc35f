//! What the cache holds: an immutable snapshot, swapped whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::clock::Instant;
use crate::error::Error;
use crate::token::AccessToken;

use super::RefreshReason;

/// One immutable state of the cache. Readers load it through `ArcSwap`
/// without a lock; writers (serialized by the flight mutex) build a new one.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// The token to serve, if any.
    pub(crate) token: Option<AccessToken>,
    /// The hit path: `token` is served with no other check before this
    /// instant; `None` with a token means forever (no expiry).
    pub(crate) fresh_until: Option<Instant>,
    /// When the token expires (`None`: never on a schedule).
    pub(crate) expires_at: Option<Instant>,
    /// After this, callers wait for a refresh.
    pub(crate) mandatory_at: Option<Instant>,
    /// Backoff: the source is not asked again before this.
    pub(crate) retry_at: Option<Instant>,
    /// The last failure, handed out while backing off with no usable token.
    pub(crate) last_error: Option<Error>,
    /// Consecutive failures (for the backoff).
    pub(crate) failures: u32,
    /// Consecutive forced refreshes (tokens dropped by `invalidate`) since
    /// a token last reached its natural refresh (for their backoff).
    pub(crate) forced: u32,
    /// Forced-refresh backoff: before this, `invalidate` keeps the token.
    pub(crate) hold_until: Option<Instant>,
    /// Set while a live timer task guarantees to clear it at `fresh_until`:
    /// then the hit path needs no clock read at all. Cleared when the timer
    /// fires, is aborted, or its runtime shuts down (a drop guard).
    pub(crate) armed: AtomicBool,
}

/// What a caller does with the snapshot it loaded.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Serve this token; nothing else to do.
    Serve(AccessToken),
    /// Serve this token and make sure a background refresh is running.
    ServeAndRefresh(AccessToken),
    /// Return this (cached) error.
    Fail(Error),
    /// Past the mandatory point with a token that is still usable: wait
    /// for the refresh, but only briefly, then serve this token.
    WaitBriefly(AccessToken),
    /// Wait for a refresh.
    Wait(RefreshReason),
}

impl Snapshot {
    /// A snapshot serving `token`, whose points are already computed, with
    /// the forced-refresh backoff `forced` and `hold_until`.
    pub(crate) fn with_token(
        token: AccessToken,
        advisory: Option<Instant>,
        mandatory_at: Option<Instant>,
        (forced, hold_until): (u32, Option<Instant>),
    ) -> Self {
        Self {
            expires_at: token.expires_at(),
            token: Some(token),
            fresh_until: advisory,
            mandatory_at,
            retry_at: None,
            last_error: None,
            failures: 0,
            forced,
            hold_until,
            armed: AtomicBool::new(false),
        }
    }

    /// The token if `now` is before the fresh deadline: the hit path.
    #[inline]
    pub(crate) fn token_if_fresh(&self, now: impl FnOnce() -> Instant) -> Option<&AccessToken> {
        let token = self.token.as_ref()?;
        match self.fresh_until {
            None => Some(token),
            // Relaxed: the flag guards no other data, and a reader that sees
            // the clear a moment late serves a token that is still valid
            // (the flag is set only while the fresh deadline lies at least
            // the clock-free headroom before expiry; see `publish`).
            Some(_) if self.armed.load(Ordering::Relaxed) => Some(token),
            Some(until) if now() < until => Some(token),
            Some(_) => None,
        }
    }

    /// Whether the token is still usable (present, not expired) at `now`.
    pub(crate) fn valid_token(&self, now: Instant) -> Option<&AccessToken> {
        let token = self.token.as_ref()?;
        match self.expires_at {
            Some(at) if now >= at => None,
            _ => Some(token),
        }
    }

    /// Whether the token is valid for at least `margin` more at `now`.
    pub(crate) fn usable(&self, now: Instant, margin: Duration) -> bool {
        self.token.is_some()
            && self
                .expires_at
                .is_none_or(|at| at.checked_sub(margin).is_some_and(|last| now < last))
    }

    /// The full decision at `now`; a token with less than `margin` left is
    /// not served instead of waiting.
    pub(crate) fn decide(&self, now: Instant, margin: Duration) -> Decision {
        let backing_off = self.retry_at.is_some_and(|r| now < r);
        if let Some(token) = self.valid_token(now) {
            if backing_off || self.fresh_until.is_none_or(|f| now < f) {
                return Decision::Serve(token.clone());
            }
            if self.mandatory_at.is_none_or(|m| now < m) {
                return Decision::ServeAndRefresh(token.clone());
            }
            if self.usable(now, margin) {
                return Decision::WaitBriefly(token.clone());
            }
            return Decision::Wait(RefreshReason::Mandatory);
        }
        if backing_off && let Some(e) = &self.last_error {
            return Decision::Fail(e.clone());
        }
        if self.token.is_some() {
            Decision::Wait(RefreshReason::Expired)
        } else {
            Decision::Wait(RefreshReason::Empty)
        }
    }
}
