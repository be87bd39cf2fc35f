//! [`ReplayStore`]: where the `jti`s of accepted DPoP proofs are kept, and
//! [`MemoryReplayStore`], the in-process default.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::clock::{self, Instant};
use crate::error::Error;

/// How many proofs a [`MemoryReplayStore`] holds by default. Each entry
/// costs about 100 bytes (10 MB at this capacity), and lives until its
/// proof could no longer be accepted, even by a verifier whose clock is
/// behind by up to the leeway: the proof max age plus the leeway after its
/// `iat` (about 3 minutes with the defaults). Size it for your peak rate
/// of DPoP requests times that window: this default holds about 550
/// requests per second.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Remembers which DPoP proofs were used, so that each is accepted once
/// (RFC 9449 §11.1).
///
/// The verifier calls [`first_use`](Self::first_use) once per proof, last,
/// after every other check passed. `id` is the proof's identity: the
/// base64url SHA-256 of the proof key's thumbprint and its `jti` (43
/// characters, so the proof's own bytes never reach the store). `ttl` is
/// how long the proof could still be accepted (by any replica whose clock
/// is within the leeway): keep `id` at least that long.
///
/// The in-memory default ([`MemoryReplayStore`]) protects one process. A
/// fleet of replicas behind a load balancer must share one store, or a
/// proof replayed to another replica passes: implement this trait on a
/// shared store. With Redis, one `SET {prefix}{id} 1 NX PX {ttl in ms}`
/// per call is the whole implementation (`OK`: first use; nil: replay).
///
/// Fail closed: return an error when you cannot tell (store full,
/// unreachable). The verifier then refuses the request
/// ([`RejectReason::DpopStoreUnavailable`](super::RejectReason::DpopStoreUnavailable),
/// `503`); it never accepts a proof it could not record.
#[async_trait]
pub trait ReplayStore: Send + Sync + fmt::Debug {
    /// Records `id` as used for `ttl`, atomically: `Ok(true)` if it was not
    /// recorded (first use: accept the proof), `Ok(false)` if it was (a
    /// replay: refuse). An error ([`Error::DpopStore`]) when the store
    /// cannot answer.
    async fn first_use(&self, id: &str, ttl: Duration) -> Result<bool, Error>;
}

/// A bounded, expiring [`ReplayStore`] in this process's memory: the
/// default.
///
/// Entries expire when their `ttl` has passed. When the store holds
/// `capacity` live entries it **refuses** new proofs (with
/// [`Error::DpopStore`], so the request gets a `503`) rather than forget
/// one early, which would let that proof be replayed. Concurrent calls are
/// serialized by a mutex held for a hash-map and heap operation (no
/// `.await` inside), so the same proof presented twice at once passes
/// exactly once.
pub struct MemoryReplayStore {
    capacity: usize,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// The first 16 bytes of SHA-256(id) → when the entry expires.
    seen: HashMap<[u8; 16], Instant>,
    /// The same entries, soonest expiry first.
    expiries: BinaryHeap<Reverse<(Instant, [u8; 16])>>,
}

impl MemoryReplayStore {
    /// A store holding at most `capacity` proofs (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// How many proofs it holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many unexpired proofs it holds now.
    pub fn len(&self) -> usize {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.purge(clock::now());
        entries.seen.len()
    }

    /// Whether it holds no unexpired proof.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn record(&self, id: &str, ttl: Duration) -> Result<bool, Error> {
        let digest = Sha256::digest(id.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        let now = clock::now();
        let until = now.checked_add(ttl).unwrap_or(now);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.purge(now);
        if entries.seen.contains_key(&key) {
            return Ok(false);
        }
        if entries.seen.len() >= self.capacity {
            return Err(Error::DpopStore {
                reason: format!(
                    "the in-memory replay store is full ({} proofs): raise its capacity",
                    self.capacity
                ),
                source: None,
            });
        }
        entries.seen.insert(key, until);
        entries.expiries.push(Reverse((until, key)));
        Ok(true)
    }
}

impl Entries {
    /// Drops every entry that has expired at `now`.
    fn purge(&mut self, now: Instant) {
        while let Some(Reverse((until, key))) = self.expiries.peek().copied() {
            if until > now {
                break;
            }
            self.expiries.pop();
            self.seen.remove(&key);
        }
    }
}

impl Default for MemoryReplayStore {
    /// A store of [`DEFAULT_REPLAY_CAPACITY`] proofs.
    fn default() -> Self {
        Self::new(DEFAULT_REPLAY_CAPACITY)
    }
}

#[async_trait]
impl ReplayStore for MemoryReplayStore {
    async fn first_use(&self, id: &str, ttl: Duration) -> Result<bool, Error> {
        self.record(id, ttl)
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_and_a_full_store_refuses() {
        let store = MemoryReplayStore::new(2);
        let ttl = Duration::from_secs(60);
        assert!(store.first_use("a", ttl).await.unwrap());
        assert!(!store.first_use("a", ttl).await.unwrap());
        assert!(
            store
                .first_use("b", Duration::from_secs(120))
                .await
                .unwrap()
        );
        let full = store.first_use("c", ttl).await.unwrap_err();
        assert!(matches!(full, Error::DpopStore { .. }) && full.is_transient());
        // Still refused as a replay, never forgotten to make room.
        assert!(!store.first_use("a", ttl).await.unwrap());
        tokio::time::advance(ttl).await;
        assert_eq!(store.len(), 1);
        assert!(
            store.first_use("a", ttl).await.unwrap(),
            "expired: free again"
        );
        assert!(store.first_use("c", ttl).await.is_err(), "full again");
    }
}
