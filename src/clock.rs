//! The crate's one clock. Nothing else reads the time (clippy.toml enforces
//! it), so tests can pause and advance tokio's clock.

use std::time::SystemTime;

pub(crate) use tokio::time::Instant;

/// Monotonic now, from tokio's clock (pausable in tests).
#[allow(clippy::disallowed_methods)] // the one place that reads the clock
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// Wall-clock now, for JWT `iat`/`exp` and HTTP dates. It follows the
/// monotonic clock so that pausing tokio's time in tests also pauses it.
pub(crate) fn system_now() -> SystemTime {
    #[allow(clippy::disallowed_methods)] // the one place that reads the clock
    static ANCHOR: std::sync::OnceLock<(SystemTime, std::time::Instant)> =
        std::sync::OnceLock::new();
    #[allow(clippy::disallowed_methods)]
    let (wall, mono) = *ANCHOR.get_or_init(|| (SystemTime::now(), std::time::Instant::now()));
    // A paused test runtime's clock can stand before the anchor (another
    // test set it later): count backwards then, so wall time never stalls.
    let now = now().into_std();
    match now.checked_duration_since(mono) {
        Some(elapsed) => wall + elapsed,
        None => wall.checked_sub(mono.duration_since(now)).unwrap_or(wall),
    }
}

/// Seconds since the Unix epoch, for JWT claims.
pub(crate) fn unix_now() -> u64 {
    system_now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
