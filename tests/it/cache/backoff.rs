//! Failures: transient errors back off while the token keeps serving,
//! permanent ones are cached briefly, rate limits are waited out (and
//! capped), a panicking source counts as a failure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::cache::DEFAULT_ERROR_TTL;
use okta_auth::{AccessToken, CachingTokenSource, Error, TokenSource, TokenSourceExt};
use tokio::time::advance;

use super::{DAY, Fake, Step, cache, permanent, secs, settle, transient};

#[tokio::test(start_paused = true)]
async fn transient_failure_keeps_serving_backs_off_and_recovers() {
    let fake = Fake::new([Step::Ok(secs(100))], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();
    fake.push(Step::Err(transient()));
    fake.push(Step::Err(transient()));

    advance(secs(76)).await;
    assert!(cache.token().await.unwrap().same_token(&first));
    settle().await;
    assert_eq!(fake.calls(), 2, "one background refresh, which failed");

    // Backing off (at least 5 s): served, and the source is left alone.
    for _ in 0..4 {
        advance(secs(1)).await;
        assert!(cache.token().await.unwrap().same_token(&first));
        settle().await;
    }
    assert_eq!(fake.calls(), 2);

    // After the backoff (at most 10 s) one more attempt, which fails too.
    advance(secs(7)).await;
    assert!(cache.token().await.unwrap().same_token(&first));
    settle().await;
    assert_eq!(fake.calls(), 3);

    // The fault clears: the next attempt after the backoff succeeds.
    advance(secs(11)).await; // 76 + 4 + 7 + 11 = 98 s: past mandatory, not expired
    let recovered = cache.token().await.unwrap();
    assert!(!recovered.same_token(&first));
    assert_eq!(fake.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn permanent_failure_is_cached_briefly_then_retried() {
    let fake = Fake::new(
        [Step::Err(permanent())],
        Step::Ok(secs(100)),
        Duration::ZERO,
    );
    let cache = cache(&fake);
    for _ in 0..50 {
        let err = cache.token().await.unwrap_err();
        assert!(!err.is_transient());
    }
    advance(Duration::from_millis(1900)).await;
    assert!(cache.token().await.is_err());
    assert_eq!(fake.calls(), 1, "no hammering within the error ttl");
    advance(Duration::from_millis(200)).await;
    assert!(cache.token().await.is_ok());
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_empty_cache_recovers_after_repeated_transient_errors() {
    let fake = Fake::new(
        [
            Step::Err(transient()),
            Step::Err(transient()),
            Step::Err(transient()),
        ],
        Step::Ok(secs(100)),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .backoff(secs(1), secs(4))
        .build()
        .unwrap();
    let mut errors = 0;
    let token = loop {
        match cache.token().await {
            Ok(t) => break t,
            Err(e) => {
                assert!(e.is_transient());
                errors += 1;
                assert!(errors < 1000, "never recovered");
                advance(Duration::from_millis(100)).await;
            }
        }
    };
    assert!(!token.is_expired());
    assert_eq!(fake.calls(), 4, "one call per backoff, not per caller");
}

#[tokio::test(start_paused = true)]
async fn day_long_waits_are_accepted_and_do_not_overflow() {
    // A permanent error with no token: cached for the (day-long) error ttl.
    let fake = Fake::new([Step::Err(permanent())], Step::Forever, Duration::ZERO);
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .error_ttl(DAY)
        .build()
        .unwrap();
    assert!(cache.token().await.is_err());
    advance(DAY - secs(1)).await;
    assert!(cache.token().await.is_err());
    assert_eq!(fake.calls(), 1);
    advance(secs(2)).await;
    assert!(cache.token().await.is_ok());

    // A transient error while serving: backs off up to a day, but not past
    // the token's expiry; then the no-token backoff, up to a day too.
    let fake = Fake::new(
        [Step::Ok(secs(100))],
        Step::Err(transient()),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .backoff(DAY, DAY)
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    advance(secs(76)).await;
    assert!(cache.token().await.unwrap().same_token(&first));
    settle().await;
    assert_eq!(fake.calls(), 2);
    advance(secs(30)).await; // expired: one more attempt, which fails
    assert!(cache.token().await.unwrap_err().is_transient());
    assert_eq!(fake.calls(), 3);
    advance(DAY / 2 - secs(1)).await; // within the (jittered) day: the error
    assert!(cache.token().await.unwrap_err().is_transient());
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_on_a_cold_cache_is_waited_out() {
    // Default policy: the first transient backoff would be 0.5..1 s.
    let fake = Fake::new(
        [Step::RateLimited(secs(20))],
        Step::Ok(secs(100)),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::new(Arc::clone(&fake));
    let err = cache.token().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(err.retry_after().unwrap() > secs(19));
    for _ in 0..19 {
        advance(secs(1)).await;
        // Callers get the 429 until the window resets; its wait counts down.
        let err = cache.token().await.unwrap_err();
        assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
        assert!(err.retry_after().unwrap() <= secs(20));
        settle().await;
    }
    assert_eq!(fake.calls(), 1, "not asked again inside the window");
    advance(secs(2)).await;
    assert!(cache.token().await.is_ok());
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_while_serving_keeps_the_token_until_the_reset() {
    let fake = Fake::new(
        [Step::Ok(secs(100)), Step::RateLimited(secs(20))],
        Step::Ok(secs(100)),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    advance(secs(76)).await;
    assert!(cache.token().await.unwrap().same_token(&first));
    settle().await;
    assert_eq!(fake.calls(), 2, "one background refresh, rate limited");
    // 77 s .. 95 s: past the mandatory point (90 s) too, the old token is
    // served and the source left alone until the window resets at ~96 s.
    for _ in 0..19 {
        advance(secs(1)).await;
        assert!(cache.token().await.unwrap().same_token(&first));
        settle().await;
    }
    assert_eq!(fake.calls(), 2);
    advance(secs(2)).await; // 97 s: valid, past mandatory, window over
    let fresh = cache.token().await.unwrap();
    assert!(!fresh.same_token(&first));
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_hostile_rate_limit_reset_is_capped() {
    let fake = Fake::new(
        [Step::RateLimited(secs(365 * 24 * 3600))],
        Step::Ok(secs(100)),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::new(Arc::clone(&fake));
    assert!(cache.token().await.is_err());
    advance(okta_auth::cache::MAX_RETRY_AFTER - secs(1)).await;
    assert!(cache.token().await.is_err());
    assert_eq!(fake.calls(), 1);
    advance(secs(2)).await;
    assert!(cache.token().await.is_ok());
    assert_eq!(fake.calls(), 2);
}

struct Panics(AtomicUsize);

#[async_trait]
impl TokenSource for Panics {
    async fn token(&self) -> Result<AccessToken, Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a broken token source");
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_source_is_backed_off_like_a_failure() {
    let cache = Panics(AtomicUsize::new(0)).cached();
    let calls = || cache.inner().0.load(Ordering::SeqCst);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(!err.is_transient());
    }
    for _ in 0..50 {
        assert!(matches!(cache.token().await, Err(Error::Config(_))));
        advance(Duration::from_millis(30)).await;
    }
    assert_eq!(
        calls(),
        1,
        "one source call per backoff, however many callers"
    );
    advance(DEFAULT_ERROR_TTL).await;
    assert!(cache.token().await.is_err());
    assert_eq!(calls(), 2, "asked again after the backoff");
}

/// During an outage the refresh backoff (up to 30 s) is computed while a
/// token is still served; it must not outlive that token: once the token
/// has expired, a permanent error is handed out no longer than the error
/// ttl, so after the admin fixes the key the service recovers at once.
#[tokio::test(start_paused = true)]
async fn error_after_expiry_is_not_cached_past_error_ttl() {
    let fake = Fake::new(
        [Step::Ok(secs(3600))],
        Step::Err(permanent()),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    // From the advisory point (45 min) to 100 s before expiry, callers come
    // every second; refreshes fail and the backoff reaches its 30 s cap.
    advance(secs(2700)).await;
    for _ in 0..800 {
        assert!(cache.token().await.unwrap().same_token(&first));
        settle().await;
        advance(secs(1)).await;
    }
    // Quiet until 1 s before expiry, then one more caller: a last refresh
    // fails (the token, 1 s left, is still handed out).
    advance(secs(99)).await;
    let calls = fake.calls();
    let last = cache.token().await.unwrap();
    assert!(last.same_token(&first));
    assert_eq!(fake.calls(), calls + 1, "a refresh ran 1 s before expiry");
    // The admin fixes the key; the token expires.
    fake.push(Step::Ok(secs(3600)));
    advance(secs(1) + DEFAULT_ERROR_TTL + Duration::from_millis(500)).await;
    let after = cache.token().await;
    assert!(
        after.is_ok(),
        "{:?} handed out 2.5 s after expiry with no token cached (error ttl is 2 s)",
        after.err()
    );
}

/// However long the backoff, a token kept through failed refreshes gets an
/// attempt at its mandatory point, at its last usable instant (expiry −
/// expiry margin) and at its expiry, where the no-token rules take over.
#[tokio::test(start_paused = true)]
async fn a_failed_refresh_is_retried_at_the_mandatory_point_and_before_expiry() {
    let fake = Fake::new(
        [Step::Ok(secs(100))],
        Step::Err(transient()),
        Duration::ZERO,
    );
    // Every backoff is 15–30 s: without the checkpoints, no attempt between
    // the failure at the advisory point (75 s) and ~91 s, then none until
    // after expiry.
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .backoff(secs(30), secs(30))
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    advance(secs(75)).await;
    let mut attempts = Vec::new();
    for t in 75..=100 {
        let calls = fake.calls();
        let result = cache.token().await;
        settle().await;
        if fake.calls() > calls {
            attempts.push(t);
        }
        if t < 100 {
            assert!(result.unwrap().same_token(&first), "{t} s");
        } else {
            assert!(result.unwrap_err().is_transient(), "expired: the error");
        }
        advance(secs(1)).await;
    }
    // Advisory point, mandatory point (90 s), last usable instant (95 s),
    // expiry (100 s).
    assert_eq!(attempts, [75, 90, 95, 100]);
}
