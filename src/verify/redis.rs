//! [`RedisReplayStore`]: a [`ReplayStore`] in Redis, shared by a fleet of
//! replicas.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::ReplayStore;
use crate::error::Error;

/// The prefix of the keys a [`RedisReplayStore`] writes by default: each
/// proof is the key `{prefix}{id}`.
pub const DEFAULT_REDIS_KEY_PREFIX: &str = "okta-auth:dpop-jti:";

/// How long a [`RedisReplayStore`] waits for Redis's answer by default
/// before it refuses the proof (fails closed, [`Error::DpopStore`]). A
/// Redis that hangs costs each request at most this.
pub const DEFAULT_REDIS_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How long [`RedisReplayStore::connect`] waits for each connection
/// attempt to Redis.
pub const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How many times [`RedisReplayStore::connect`]'s connection retries a
/// failed connection attempt (first connection and reconnections alike)
/// before it reports the error.
pub const REDIS_CONNECT_RETRIES: usize = 2;

/// The longest pause between two connection attempts of
/// [`RedisReplayStore::connect`]'s connection.
pub const REDIS_RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);

/// A [`ReplayStore`] in Redis: replicas that share one Redis refuse a
/// proof replayed from one to another.
///
/// Each call is one `SET {prefix}{id} 1 NX PX {ttl in ms}`: `OK` is a
/// first use, nil a replay; the key expires with the proof. It **fails
/// closed**: an error from Redis, or no answer within the command timeout
/// ([`DEFAULT_REDIS_COMMAND_TIMEOUT`]), is an [`Error::DpopStore`], and
/// the verifier refuses the request with a `503`
/// ([`RejectReason::DpopStoreUnavailable`](super::RejectReason::DpopStoreUnavailable)),
/// never accepts it. The connection is a [`ConnectionManager`], which
/// reconnects by itself when Redis comes back.
///
/// ```no_run
/// use std::sync::Arc;
/// use okta_auth::verify::{AccessTokenVerifier, RedisReplayStore};
///
/// # async fn run() -> Result<(), okta_auth::Error> {
/// let store = RedisReplayStore::connect("redis://10.0.0.5:6379/").await?;
/// let verifier = AccessTokenVerifier::builder("https://example.okta.com/oauth2/default")
///     .audience("api://default")
///     .replay_store(Arc::new(store))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisReplayStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RedisReplayStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`, plain TCP;
    /// `redis+unix:///path` for a Unix socket) with a connection manager
    /// that times out each attempt after [`REDIS_CONNECT_TIMEOUT`], retries
    /// [`REDIS_CONNECT_RETRIES`] times at most [`REDIS_RECONNECT_MAX_DELAY`]
    /// apart, and times out each command after
    /// [`DEFAULT_REDIS_COMMAND_TIMEOUT`]. Fails with
    /// [`Error::DpopStore`] if the URL is invalid or Redis is unreachable.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Ok(Self::new(connect(url).await?))
    }

    /// A store on a connection you configured.
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_REDIS_KEY_PREFIX.to_owned(),
            timeout: DEFAULT_REDIS_COMMAND_TIMEOUT,
        }
    }

    /// The prefix of its keys, to keep apart several verifiers (or
    /// applications) sharing one Redis. Defaults to
    /// [`DEFAULT_REDIS_KEY_PREFIX`].
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for Redis's answer before refusing the proof
    /// (at least 1 ms). Defaults to [`DEFAULT_REDIS_COMMAND_TIMEOUT`].
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }
}

/// A connection manager to `url`, configured as
/// [`RedisReplayStore::connect`] documents; shared by both Redis stores.
pub(super) async fn connect(url: &str) -> Result<ConnectionManager, Error> {
    let client = redis::Client::open(url).map_err(|e| store_error("invalid redis url", e))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_CONNECT_TIMEOUT))
        .set_number_of_retries(REDIS_CONNECT_RETRIES)
        .set_max_delay(REDIS_RECONNECT_MAX_DELAY)
        .set_response_timeout(Some(DEFAULT_REDIS_COMMAND_TIMEOUT));
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| store_error("cannot connect to redis", e))
}

/// Runs `command` with a `timeout`: an error or no answer in time is an
/// [`Error::DpopStore`] saying `what` failed (fail closed).
pub(super) async fn query<T: redis::FromRedisValue>(
    connection: &ConnectionManager,
    timeout: Duration,
    command: &redis::Cmd,
    what: &str,
) -> Result<T, Error> {
    let mut connection = connection.clone();
    match tokio::time::timeout(timeout, command.query_async::<T>(&mut connection)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(store_error(&format!("redis refused the {what}"), e)),
        Err(_elapsed) => Err(Error::DpopStore {
            reason: format!(
                "redis did not answer the {what} within {} ms",
                timeout.as_millis()
            ),
            source: None,
        }),
    }
}

/// `d` in whole milliseconds for `PX`, rounded up, at least 1.
pub(super) fn px(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000))
        .unwrap_or(u64::MAX)
        .max(1)
}

fn store_error(reason: &str, e: redis::RedisError) -> Error {
    Error::DpopStore {
        reason: reason.to_owned(),
        source: Some(Arc::new(e)),
    }
}

#[async_trait]
impl ReplayStore for RedisReplayStore {
    async fn first_use(&self, id: &str, ttl: Duration) -> Result<bool, Error> {
        // Rounded up so the key lives at least `ttl`.
        let mut command = redis::cmd("SET");
        command
            .arg(format!("{}{id}", self.prefix))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(px(ttl));
        let answer: Option<String> =
            query(&self.connection, self.timeout, &command, "replay check").await?;
        Ok(answer.is_some())
    }
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
