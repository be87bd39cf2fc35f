//! `RedisReplayStore` and `RedisNonceStore` against a real `redis-server`
//! on loopback, started here (and killed on drop): a proof replayed from
//! one verifier to another sharing the Redis is refused, a Redis that goes
//! away, hangs or is slow fails closed, keys expire with their TTL.
//!
//! Skipped, with a message, where `redis-server` is not installed;
//! `.ci/run` installs it and sets `OKTA_AUTH_REQUIRE_REDIS`, under which a
//! missing server fails instead.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use okta_auth::http::StatusCode;
use okta_auth::verify::{
    AccessTokenVerifier, DEFAULT_REDIS_COMMAND_TIMEOUT, RedisNonceStore, RedisReplayStore,
    RejectReason, ReplayStore,
};
use okta_auth::{DpopKey, Error};

use super::support::*;

/// Every test here ends within this, whatever Redis does.
const BOUND: Duration = Duration::from_secs(20);

/// A `redis-server` on a free loopback port, no persistence; killed on
/// drop.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// `None` (after saying so) when `redis-server` is not on `PATH`.
    fn start() -> Option<Self> {
        let Some(binary) = find_on_path("redis-server") else {
            // CI installs it and sets this, so there a missing server fails.
            if std::env::var_os("OKTA_AUTH_REQUIRE_REDIS").is_some() {
                panic!("OKTA_AUTH_REQUIRE_REDIS is set but redis-server is not on PATH");
            }
            eprintln!("skipped: redis-server not installed (.ci/run installs it)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .args(["--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, port };
        for _ in 0..200 {
            if server.pings() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server on port {port} did not answer PING within 5 s");
    }

    fn pings(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let timeout = Some(Duration::from_millis(500));
        stream.set_read_timeout(timeout).unwrap();
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn store(&self) -> RedisReplayStore {
        RedisReplayStore::connect(&self.url()).await.unwrap()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// A bound token, and a request with a fresh proof for it.
fn dpop_request(issuer: &Issuer, key: &DpopKey) -> okta_auth::http::HeaderMap {
    let token = issuer.bound_token(key.thumbprint());
    let proof = key.proof(&GET, &api_url(), None, Some(&token)).unwrap();
    headers("DPoP", &token, &[&proof])
}

async fn verifier(issuer: &Issuer, redis: &RedisServer) -> AccessTokenVerifier {
    issuer
        .builder()
        .replay_store(Arc::new(redis.store().await))
        .build()
        .unwrap()
}

#[tokio::test]
async fn verifiers_sharing_a_redis_refuse_a_proof_replayed_from_one_to_the_other() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let issuer = Issuer::okta().await;
        // Two replicas: two verifiers, each with its own connection.
        let one = verifier(&issuer, &redis).await;
        let two = verifier(&issuer, &redis).await;
        let key = DpopKey::generate();
        let url = api_url();
        let h = dpop_request(&issuer, &key);
        one.verify_request(&GET, &url, &h).await.unwrap();
        let replay = two.verify_request(&GET, &url, &h).await.unwrap_err();
        assert_eq!(replay.reason(), RejectReason::ProofReplayed);
        let replay = one.verify_request(&GET, &url, &h).await.unwrap_err();
        assert_eq!(replay.reason(), RejectReason::ProofReplayed);
        // A fresh proof passes at either.
        two.verify_request(&GET, &url, &dpop_request(&issuer, &key))
            .await
            .unwrap();
    })
    .await
    .unwrap();
}

fn assert_fails_closed(refusal: okta_auth::verify::Rejection) {
    assert_eq!(refusal.reason(), RejectReason::DpopStoreUnavailable);
    assert_eq!(refusal.status(), StatusCode::SERVICE_UNAVAILABLE);
    let cause = refusal.error().unwrap();
    assert!(
        matches!(cause, Error::DpopStore { .. }) && cause.is_transient(),
        "{cause:?}"
    );
}

#[tokio::test]
async fn a_redis_that_goes_away_fails_closed() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let issuer = Issuer::okta().await;
        let verifier = verifier(&issuer, &redis).await;
        let key = DpopKey::generate();
        let url = api_url();
        verifier
            .verify_request(&GET, &url, &dpop_request(&issuer, &key))
            .await
            .unwrap();
        redis.kill();
        for _ in 0..3 {
            let refusal = verifier
                .verify_request(&GET, &url, &dpop_request(&issuer, &key))
                .await
                .unwrap_err();
            assert_fails_closed(refusal);
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_redis_that_hangs_fails_closed_within_the_command_timeout() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let issuer = Issuer::okta().await;
        let store = redis
            .store()
            .await
            .command_timeout(Duration::from_millis(200));
        let verifier = issuer
            .builder()
            .replay_store(Arc::new(store))
            .build()
            .unwrap();
        let key = DpopKey::generate();
        let url = api_url();
        let h = dpop_request(&issuer, &key);
        redis.signal("-STOP");
        // Refused within the 200 ms command timeout (well before 500 ms).
        let verdict = tokio::time::timeout(
            DEFAULT_REDIS_COMMAND_TIMEOUT,
            verifier.verify_request(&GET, &url, &h),
        )
        .await;
        redis.signal("-CONT");
        assert_fails_closed(
            verdict
                .expect("bounded by the command timeout")
                .unwrap_err(),
        );
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn first_use_records_for_the_ttl_then_forgets() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let store = redis.store().await;
        let ttl = Duration::from_millis(150);
        assert!(store.first_use("jti-a", ttl).await.unwrap(), "first use");
        assert!(!store.first_use("jti-a", ttl).await.unwrap(), "replay");
        assert!(store.first_use("jti-b", ttl).await.unwrap(), "another id");
        // Another prefix is another namespace.
        let other = redis.store().await.prefix("other-app:");
        assert!(other.first_use("jti-a", ttl).await.unwrap());
        // Real time: Redis expires the key on its own clock.
        tokio::time::sleep(ttl * 3).await;
        assert!(store.first_use("jti-a", ttl).await.unwrap(), "expired");
        assert!(!store.first_use("jti-a", ttl).await.unwrap());
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn connecting_to_no_redis_is_a_store_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = tokio::time::timeout(
        BOUND,
        RedisReplayStore::connect(&format!("redis://127.0.0.1:{port}/")),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(error, Error::DpopStore { .. }), "{error:?}");
    let error = RedisReplayStore::connect("not a url").await.unwrap_err();
    assert!(matches!(error, Error::DpopStore { .. }), "{error:?}");
}

#[tokio::test]
async fn verifiers_sharing_a_redis_accept_each_others_nonces() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let issuer = Issuer::okta().await;
        let url = redis.url();
        let replica = || async {
            issuer
                .builder()
                .dpop_nonces(Arc::new(RedisNonceStore::connect(&url).await.unwrap()))
                .build()
                .unwrap()
        };
        let (one, two) = (replica().await, replica().await);
        let key = DpopKey::generate();
        let token = issuer.bound_token(key.thumbprint());
        let api = api_url();
        let request = |nonce: Option<&str>| {
            let proof = key.proof(&GET, &api, nonce, Some(&token)).unwrap();
            headers("DPoP", &token, &[&proof])
        };
        // No nonce at the first replica: use_dpop_nonce with the fleet's nonce.
        let refusal = one
            .verify_request(&GET, &api, &request(None))
            .await
            .unwrap_err();
        assert_eq!(refusal.reason(), RejectReason::UseDpopNonce);
        let nonce = refusal.dpop_nonce().unwrap().to_owned();
        // The second replica accepts it, and refuses a made-up one with the
        // same current nonce.
        two.verify_request(&GET, &api, &request(Some(&nonce)))
            .await
            .unwrap();
        let made_up = two
            .verify_request(&GET, &api, &request(Some("made-up-nonce")))
            .await
            .unwrap_err();
        assert_eq!(made_up.reason(), RejectReason::UseDpopNonce);
        assert_eq!(made_up.dpop_nonce(), Some(nonce.as_str()));
        // Redis gone: fail closed, never accept.
        redis.kill();
        assert_fails_closed(
            one.verify_request(&GET, &api, &request(Some(&nonce)))
                .await
                .unwrap_err(),
        );
    })
    .await
    .unwrap();
}

/// A TCP proxy to `port` on loopback that holds each read from the client
/// for `delay` before passing it on: a slow Redis, answering every command
/// late but within a longer command timeout. Its tasks end with the test's
/// runtime.
async fn slow_proxy(port: u16, delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(upstream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                    return;
                };
                let (mut from_redis, mut to_redis) = upstream.into_split();
                let (mut from_client, mut to_client) = client.into_split();
                let forward = async {
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = from_client.read(&mut buf).await {
                        tokio::time::sleep(delay).await;
                        if to_redis.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                };
                let back = tokio::io::copy(&mut from_redis, &mut to_client);
                let _ = tokio::join!(forward, back);
            });
        }
    });
    url
}

/// A nonce check takes up to five commands (four to rotate); each answered
/// within the command timeout, they must still not add up past it: the
/// whole check is bounded by the one timeout, and fails closed.
#[tokio::test]
async fn a_slow_redis_fails_a_nonce_check_closed_within_the_command_timeout() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    tokio::time::timeout(BOUND, async {
        let issuer = Issuer::okta().await;
        let timeout = Duration::from_millis(300);
        // Each command takes 120 ms: a rotation's four take 480 ms.
        let url = slow_proxy(redis.port, Duration::from_millis(120)).await;
        let nonces = RedisNonceStore::connect(&url)
            .await
            .unwrap()
            .command_timeout(timeout);
        let verifier = issuer
            .builder()
            .dpop_nonces(Arc::new(nonces))
            .build()
            .unwrap();
        verifier.load_keys().await.unwrap();
        let key = DpopKey::generate();
        // No nonce yet in Redis, none in the proof: a rotation, refused
        // (not answered use_dpop_nonce after 480 ms).
        let h = dpop_request(&issuer, &key);
        let verdict =
            tokio::time::timeout(timeout * 2, verifier.verify_request(&GET, &api_url(), &h)).await;
        assert_fails_closed(
            verdict
                .expect("bounded by the command timeout")
                .unwrap_err(),
        );
    })
    .await
    .unwrap();
}
