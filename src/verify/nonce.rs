//! [`NonceStore`]: the server's DPoP nonces (RFC 9449 §9), and
//! [`MemoryNonceStore`], the in-process implementation.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{self, Instant};
use crate::error::Error;
use crate::jose::b64;

/// How often a [`MemoryNonceStore`] makes a new nonce by default.
pub const DEFAULT_NONCE_ROTATION: Duration = Duration::from_secs(5 * 60);

/// How long a [`MemoryNonceStore`] still accepts the previous nonce after
/// a rotation by default, so that requests in flight and clients that have
/// not seen the new one yet are not refused at once.
pub const DEFAULT_NONCE_GRACE: Duration = Duration::from_secs(60);

/// What a [`NonceStore`] says about a proof's `nonce`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceCheck {
    /// The current nonce: accept.
    Current,
    /// The previous nonce, within its grace period: accept, and send
    /// `current` back (`DPoP-Nonce`, via
    /// [`Claims::next_dpop_nonce`](super::Claims::next_dpop_nonce)) so the
    /// client moves on.
    Previous {
        /// The nonce to use from now on.
        current: String,
    },
    /// Missing, unknown or expired: refuse with `use_dpop_nonce` and
    /// `current` in `DPoP-Nonce`.
    Refused {
        /// The nonce the client must use.
        current: String,
    },
}

/// The server's DPoP nonces: issues them, rotates them, and judges the
/// `nonce` of a proof. Set one with
/// [`AccessTokenVerifierBuilder::dpop_nonces`](super::AccessTokenVerifierBuilder::dpop_nonces)
/// to make clients prove freshness with a nonce of yours (RFC 9449 §9).
///
/// A fleet of replicas must share the nonce state (a nonce issued by one
/// replica must pass at the others): implement this trait on a shared
/// store, for instance Redis keys holding the current and the previous
/// nonce with their expiries, the rotation made by whichever replica finds
/// the current one due (`SET NX`). The in-memory [`MemoryNonceStore`]
/// serves one process.
///
/// Nonces must be 1 to 1024 characters of the RFC 9449 `nonce` syntax
/// (printable ASCII without space, `"` or `\`); a nonce outside it is
/// never sent and the verifier answers `503`. An error
/// ([`Error::DpopStore`]) makes the verifier refuse the request (`503`,
/// fail closed).
#[async_trait]
pub trait NonceStore: Send + Sync + fmt::Debug {
    /// Judges a proof's `nonce` (`None`: the proof has none), rotating the
    /// current nonce first when it is due.
    async fn check(&self, nonce: Option<&str>) -> Result<NonceCheck, Error>;
}

/// Server nonces in this process's memory: a random 256-bit nonce, made
/// anew every `rotation`, the previous one accepted for `grace` after.
pub struct MemoryNonceStore {
    rotation: Duration,
    grace: Duration,
    state: Mutex<State>,
}

struct State {
    current: String,
    /// When `current` was made.
    since: Instant,
    /// The previous nonce and until when it is accepted.
    previous: Option<(String, Instant)>,
}

impl MemoryNonceStore {
    /// Nonces rotated every [`DEFAULT_NONCE_ROTATION`], the previous one
    /// accepted for [`DEFAULT_NONCE_GRACE`].
    pub fn new() -> Self {
        Self::with_rotation(DEFAULT_NONCE_ROTATION, DEFAULT_NONCE_GRACE)
    }

    /// Nonces rotated every `rotation` (at least a second), the previous
    /// one accepted for `grace` after each rotation.
    pub fn with_rotation(rotation: Duration, grace: Duration) -> Self {
        Self {
            rotation: rotation.max(Duration::from_secs(1)),
            grace,
            state: Mutex::new(State {
                current: fresh_nonce(),
                since: clock::now(),
                previous: None,
            }),
        }
    }

    fn judge(&self, nonce: Option<&str>) -> NonceCheck {
        let now = clock::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = state.since.checked_add(self.rotation).unwrap_or(now);
        if now >= due {
            let old = std::mem::replace(&mut state.current, fresh_nonce());
            // Counted from when the rotation was due, so a nonce that was
            // due long ago is not revived.
            let until = due.checked_add(self.grace).unwrap_or(due);
            state.previous = Some((old, until));
            state.since = now;
        }
        let current = || state.current.clone();
        match nonce {
            Some(n) if n == state.current => NonceCheck::Current,
            Some(n)
                if state
                    .previous
                    .as_ref()
                    .is_some_and(|(prev, until)| n == prev && now < *until) =>
            {
                NonceCheck::Previous { current: current() }
            }
            _ => NonceCheck::Refused { current: current() },
        }
    }
}

/// 32 random bytes, base64url: 43 characters of the nonce syntax.
pub(super) fn fresh_nonce() -> String {
    b64::encode(rand::random::<[u8; 32]>())
}

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl NonceStore for MemoryNonceStore {
    async fn check(&self, nonce: Option<&str>) -> Result<NonceCheck, Error> {
        Ok(self.judge(nonce))
    }
}

impl fmt::Debug for MemoryNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryNonceStore")
            .field("rotation", &self.rotation)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn nonces_rotate_and_the_previous_one_has_a_grace_period() {
        let store = MemoryNonceStore::new();
        let NonceCheck::Refused { current: first } = store.check(None).await.unwrap() else {
            panic!("no nonce must be refused");
        };
        assert!(crate::dpop::is_valid_nonce(&first));
        assert_eq!(
            store.check(Some(&first)).await.unwrap(),
            NonceCheck::Current
        );
        assert!(matches!(
            store.check(Some("made-up")).await.unwrap(),
            NonceCheck::Refused { .. }
        ));
        tokio::time::advance(DEFAULT_NONCE_ROTATION).await;
        let NonceCheck::Previous { current: second } = store.check(Some(&first)).await.unwrap()
        else {
            panic!("the previous nonce is accepted during its grace");
        };
        assert_ne!(first, second);
        tokio::time::advance(DEFAULT_NONCE_GRACE).await;
        assert_eq!(
            store.check(Some(&first)).await.unwrap(),
            NonceCheck::Refused {
                current: second.clone()
            }
        );
        assert_eq!(
            store.check(Some(&second)).await.unwrap(),
            NonceCheck::Current
        );
    }
}
