//! [`RedisNonceStore`]: the server's DPoP nonces in Redis, shared by a
//! fleet of replicas.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::nonce::fresh_nonce;
use super::redis::{connect, px, query};
use super::{
    DEFAULT_NONCE_GRACE, DEFAULT_NONCE_ROTATION, DEFAULT_REDIS_COMMAND_TIMEOUT, NonceCheck,
    NonceStore,
};
use crate::error::Error;

/// The prefix of the keys a [`RedisNonceStore`] writes by default:
/// `{prefix}current` names the nonce to send, and each nonce issued is the
/// key `{prefix}n:{nonce}`.
pub const DEFAULT_REDIS_NONCE_PREFIX: &str = "okta-auth:dpop-nonce:";

/// A [`NonceStore`] in Redis: a nonce issued by one replica passes at the
/// others.
///
/// The current nonce is the key `{prefix}current`, which expires after the
/// rotation interval; the first replica to find it gone makes the next one
/// (`SET NX`, so replicas racing agree on one). Every nonce issued is also
/// the key `{prefix}n:{nonce}`, which lives for the rotation interval plus
/// the grace period: a proof with a nonce that is not the current one but
/// still has its key is accepted as the previous one
/// ([`NonceCheck::Previous`]), as [`MemoryNonceStore`](super::MemoryNonceStore)
/// does in one process. Like [`RedisReplayStore`](super::RedisReplayStore)
/// it fails closed: an error, or no answer to the whole check within the
/// command timeout, is an [`Error::DpopStore`], and the verifier refuses
/// the request.
#[derive(Clone)]
pub struct RedisNonceStore {
    connection: ConnectionManager,
    prefix: String,
    rotation: Duration,
    grace: Duration,
    timeout: Duration,
}

impl RedisNonceStore {
    /// Connects to the Redis at `url` as
    /// [`RedisReplayStore::connect`](super::RedisReplayStore::connect) does.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Ok(Self::new(connect(url).await?))
    }

    /// A store on a connection you configured.
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_REDIS_NONCE_PREFIX.to_owned(),
            rotation: DEFAULT_NONCE_ROTATION,
            grace: DEFAULT_NONCE_GRACE,
            timeout: DEFAULT_REDIS_COMMAND_TIMEOUT,
        }
    }

    /// Nonces made anew every `rotation` (at least a second), the previous
    /// one accepted for `grace` after. Defaults to
    /// [`DEFAULT_NONCE_ROTATION`] and [`DEFAULT_NONCE_GRACE`]; every
    /// replica sharing the keys should use the same values.
    pub fn with_rotation(mut self, rotation: Duration, grace: Duration) -> Self {
        self.rotation = rotation.max(Duration::from_secs(1));
        self.grace = grace;
        self
    }

    /// The prefix of its keys. Defaults to [`DEFAULT_REDIS_NONCE_PREFIX`].
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for Redis's answers to one nonce check (however
    /// many commands it takes) before refusing the request (at least
    /// 1 ms). Defaults to [`DEFAULT_REDIS_COMMAND_TIMEOUT`].
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    fn current_key(&self) -> String {
        format!("{}current", self.prefix)
    }

    fn issued_key(&self, nonce: &str) -> String {
        format!("{}n:{nonce}", self.prefix)
    }

    /// The current nonce, made (and agreed on with the other replicas)
    /// when there is none.
    async fn current(&self) -> Result<String, Error> {
        let get = redis::cmd("GET").arg(self.current_key()).clone();
        if let Some(current) =
            query::<Option<String>>(&self.connection, self.timeout, &get, "nonce read").await?
        {
            return Ok(current);
        }
        // Recorded as issued before it can be sent, so no replica ever
        // hands out a nonce the others would refuse.
        let fresh = fresh_nonce();
        let lives = self.rotation.saturating_add(self.grace);
        let mut issue = redis::cmd("SET");
        issue
            .arg(self.issued_key(&fresh))
            .arg(1)
            .arg("PX")
            .arg(px(lives));
        query::<()>(&self.connection, self.timeout, &issue, "nonce rotation").await?;
        let mut claim = redis::cmd("SET");
        claim
            .arg(self.current_key())
            .arg(&fresh)
            .arg("NX")
            .arg("PX")
            .arg(px(self.rotation));
        query::<Option<String>>(&self.connection, self.timeout, &claim, "nonce rotation").await?;
        // Another replica may have won the race: use what Redis holds.
        let now =
            query::<Option<String>>(&self.connection, self.timeout, &get, "nonce read").await?;
        Ok(now.unwrap_or(fresh))
    }
}

#[async_trait]
impl NonceStore for RedisNonceStore {
    /// Up to five Redis commands (a rotation takes four), all within the
    /// one command timeout: a slow or hanging Redis fails closed within it.
    async fn check(&self, nonce: Option<&str>) -> Result<NonceCheck, Error> {
        match tokio::time::timeout(self.timeout, self.check_unbounded(nonce)).await {
            Ok(verdict) => verdict,
            Err(_elapsed) => Err(Error::DpopStore {
                reason: format!(
                    "redis did not answer the nonce check within {} ms",
                    self.timeout.as_millis()
                ),
                source: None,
            }),
        }
    }
}

impl RedisNonceStore {
    /// [`NonceStore::check`], unbounded.
    async fn check_unbounded(&self, nonce: Option<&str>) -> Result<NonceCheck, Error> {
        let current = self.current().await?;
        let Some(nonce) = nonce else {
            return Ok(NonceCheck::Refused { current });
        };
        if nonce == current {
            return Ok(NonceCheck::Current);
        }
        // Only the nonce syntax goes into a key name.
        if !crate::dpop::is_valid_nonce(nonce) {
            return Ok(NonceCheck::Refused { current });
        }
        let exists = redis::cmd("EXISTS").arg(self.issued_key(nonce)).clone();
        let known: u32 = query(&self.connection, self.timeout, &exists, "nonce check").await?;
        Ok(if known > 0 {
            NonceCheck::Previous { current }
        } else {
            NonceCheck::Refused { current }
        })
    }
}

impl fmt::Debug for RedisNonceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisNonceStore")
            .field("prefix", &self.prefix)
            .field("rotation", &self.rotation)
            .field("grace", &self.grace)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
