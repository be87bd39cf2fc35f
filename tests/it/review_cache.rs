//! Adversarial review of the token cache: defects proved through the public
//! API. Each test fails on the code it was written against.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::http::StatusCode;
use okta_auth::{AccessToken, CachingTokenSource, Error, OAuthError, TokenSource, TokenType};

/// The first call yields a token living `lifetime`; later calls fail with
/// `error` while `healthy` is false, and yield `lifetime` tokens after.
struct Flaky {
    calls: AtomicUsize,
    healthy: AtomicBool,
    lifetime: Duration,
    error: Error,
}

impl Flaky {
    fn new(lifetime: Duration, error: Error) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            healthy: AtomicBool::new(false),
            lifetime,
            error,
        })
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenSource for Flaky {
    async fn token(&self) -> Result<AccessToken, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n > 1 && !self.healthy.load(Ordering::SeqCst) {
            return Err(self.error.clone());
        }
        Ok(AccessToken::new(TokenType::Bearer, format!("tok-{n}"))?.with_lifetime(self.lifetime))
    }
}

fn transient() -> Error {
    Error::OAuth(OAuthError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    ))
}

fn permanent() -> Error {
    Error::OAuth(OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client"))
}

/// On a multi-threaded runtime the hit path trusts the `armed` flag, which
/// only a timer *task* clears. After a failed refresh the fresh deadline is
/// the token's expiry itself (not the advisory point the code's comment
/// relies on), so whenever that task runs late (a busy or blocked worker,
/// timer granularity) the hit path hands out a token that has expired.
#[test]
fn hit_path_never_serves_an_expired_token_after_a_failed_refresh() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let source = Flaky::new(Duration::from_millis(1200), transient());
    let cache = CachingTokenSource::builder(Arc::clone(&source))
        .refresh_jitter(0.0)
        .backoff(Duration::from_secs(10), Duration::from_secs(10))
        .build()
        .unwrap();
    let served = rt.block_on(async {
        let first = cache.token().await.unwrap();
        // Past the advisory point (~0.45 s), before the mandatory one (0.6 s):
        // a background refresh starts and fails; the token stays in service.
        tokio::time::sleep(Duration::from_millis(520)).await;
        let again = cache.token().await.unwrap();
        assert!(again.same_token(&first));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(source.calls(), 2, "the background refresh ran and failed");
        let c = cache.clone();
        tokio::spawn(async move {
            // The only worker is busy past the token's expiry (a CPU-heavy
            // request, a blocking call): the disarming timer cannot run.
            std::thread::sleep(Duration::from_millis(900));
            c.cached_token()
        })
        .await
        .unwrap()
    });
    if let Some(token) = served {
        assert!(
            !token.is_expired(),
            "cached_token() served a token {:?} past its expiry",
            token.expires_in()
        );
    }
}

/// During an outage the refresh backoff (up to 30 s) is computed while a
/// token is still served, and it outlives that token: once the token has
/// expired, callers get the stale `invalid_client` for up to 30 s more
/// although README promises "with no token, a permanent error is cached
/// for 2 s" — so after the admin fixes the key the service stays down long
/// after Okta would answer.
#[tokio::test(start_paused = true)]
async fn error_after_expiry_is_not_cached_past_error_ttl() {
    let source = Flaky::new(Duration::from_secs(3600), permanent());
    let cache = CachingTokenSource::builder(Arc::clone(&source))
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    // From the advisory point (45 min) to 100 s before expiry, callers come
    // every second; refreshes fail and the backoff reaches its 30 s cap.
    tokio::time::advance(Duration::from_secs(2700)).await;
    for _ in 0..800 {
        assert!(cache.token().await.unwrap().same_token(&first));
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // Quiet until 1 s before expiry, then one more caller: a last refresh
    // fails (the token, 1 s left, is still handed out).
    tokio::time::advance(Duration::from_secs(99)).await;
    let calls = source.calls();
    let last = cache.token().await.unwrap();
    assert!(last.same_token(&first));
    assert_eq!(source.calls(), calls + 1, "a refresh ran 1 s before expiry");
    // The admin fixes the key; the token expires.
    source.healthy.store(true, Ordering::SeqCst);
    tokio::time::advance(
        Duration::from_secs(1) + okta_auth::cache::DEFAULT_ERROR_TTL + Duration::from_millis(500),
    )
    .await;
    let after = cache.token().await;
    assert!(
        after.is_ok(),
        "{:?} handed out 2.5 s after expiry with no token cached (error ttl is 2 s)",
        after.err()
    );
}
