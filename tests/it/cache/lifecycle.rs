//! Construction, runtimes and handles: no runtime or I/O needed to build,
//! background work ends with the last handle, the clock-free hit path on
//! multi-thread and dropped runtimes, settings refused, `Debug` redacted.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use okta_auth::{CachingTokenSource, Error, TokenSourceExt};
use tokio::time::{advance, sleep};

use super::{DAY, Fake, Step, cache, now_or_never, secs, settle, transient};

#[tokio::test(start_paused = true)]
async fn dropping_the_last_handle_stops_background_work() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(5));
    let cache = cache(&fake);
    let clone = cache.clone();
    cache.token().await.unwrap();
    assert_eq!(Arc::strong_count(&fake), 2, "the test and the cache");

    advance(secs(76)).await;
    cache.token().await.unwrap(); // starts a background refresh
    settle().await;
    assert_eq!(fake.calls(), 2);
    drop(cache);
    settle().await;
    assert!(
        Arc::strong_count(&fake) >= 2,
        "a clone is alive: refresh goes on"
    );
    drop(clone);
    settle().await;
    assert_eq!(
        Arc::strong_count(&fake),
        1,
        "the refresh task let go of the source"
    );
    advance(secs(10)).await;
    settle().await;
    assert_eq!(
        fake.completed.load(Ordering::SeqCst),
        1,
        "the refresh was aborted"
    );
}

#[tokio::test(start_paused = true)]
async fn construction_needs_no_runtime_and_does_no_io() {
    // Built outside any runtime (in a plain thread).
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let f = Arc::clone(&fake);
    let cache = std::thread::spawn(move || f.cached()).join().unwrap();
    assert_eq!(fake.calls(), 0);
    assert!(cache.token().await.is_ok());
    assert_eq!(fake.calls(), 1);
}

#[test]
fn works_without_a_tokio_runtime() {
    // No runtime: the waiting caller drives the fetch itself.
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let t = now_or_never(cache.token()).unwrap().unwrap();
    assert!(now_or_never(cache.token()).unwrap().unwrap().same_token(&t));
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn debug_does_not_leak_the_token() {
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let token = cache.token().await.unwrap();
    let debug = format!("{cache:?}");
    assert!(!debug.contains("secret-token"), "{debug}");
    assert!(debug.contains("[redacted]"));
    assert!(!format!("{token:?}").contains("secret-token"));
    let builder = format!("{:?}", CachingTokenSource::builder(Arc::clone(&fake)));
    assert!(!builder.contains("secret-token"));
}

#[test]
fn bad_settings_are_refused() {
    let fake = Fake::new([], Step::Forever, Duration::ZERO);
    for b in [
        CachingTokenSource::builder(Arc::clone(&fake)).refresh_ahead(1.5),
        CachingTokenSource::builder(Arc::clone(&fake)).refresh_jitter(-0.1),
        CachingTokenSource::builder(Arc::clone(&fake)).refresh_ahead(f64::NAN),
        CachingTokenSource::builder(Arc::clone(&fake)).backoff(secs(10), secs(1)),
        CachingTokenSource::builder(Arc::clone(&fake)).load_timeout(Duration::ZERO),
        CachingTokenSource::builder(Arc::clone(&fake)).mandatory_buffer(secs(60), 2.0, secs(5)),
        CachingTokenSource::builder(Arc::clone(&fake)).error_ttl(Duration::MAX),
        CachingTokenSource::builder(Arc::clone(&fake)).error_ttl(DAY + Duration::from_nanos(1)),
        CachingTokenSource::builder(Arc::clone(&fake)).backoff(secs(1), Duration::MAX),
        CachingTokenSource::builder(Arc::clone(&fake)).backoff(secs(1), DAY + secs(1)),
    ] {
        assert!(matches!(b.build(), Err(Error::Config(_))));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_thread_runtime_the_hit_timer_still_ends_freshness() {
    // Advisory point at the very start: the timer that armed the clock-free
    // hit path fires at once, so callers must notice and refresh.
    let fake = Fake::new([], Step::Ok(secs(3600)), Duration::ZERO);
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_ahead(0.0)
        .refresh_jitter(0.0)
        .build()
        .unwrap();
    cache.token().await.unwrap();
    tokio::time::timeout(secs(60), async {
        while fake.calls() < 2 {
            cache.token().await.unwrap();
            sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the timer never cleared the fresh flag");

    // A long-lived token stays armed: hits read no clock.
    let fake = Fake::new([], Step::Ok(secs(3600)), Duration::ZERO);
    let long = self::cache(&fake);
    long.token().await.unwrap();
    assert!(format!("{long:?}").contains("clock_free_hits: true"));
}

#[test]
fn a_cache_filled_on_a_dropped_runtime_reads_the_clock_again() {
    let fake = Fake::new([], Step::Ok(secs(3600)), Duration::ZERO);
    let cache = cache(&fake);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(cache.token()).unwrap();
    assert!(
        format!("{cache:?}").contains("clock_free_hits: true"),
        "{cache:?}"
    );
    // Its timer dies with the runtime, and takes the flag with it.
    drop(rt);
    assert!(format!("{cache:?}").contains("clock_free_hits: false"));
    assert!(cache.cached_token().is_some());

    // Current-thread runtimes never arm it.
    let fake = Fake::new([], Step::Ok(secs(3600)), Duration::ZERO);
    let current = self::cache(&fake);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(current.token()).unwrap();
    assert!(format!("{current:?}").contains("clock_free_hits: false"));
}

/// On a multi-threaded runtime the hit path trusts a flag that only a timer
/// task clears. After a failed refresh the fresh deadline is the end of the
/// backoff, possibly the token's expiry itself: with its only worker busy
/// past the expiry the timer cannot run, and the hit path must still not
/// hand out the expired token.
#[test]
fn hit_path_never_serves_an_expired_token_after_a_failed_refresh() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let fake = Fake::new(
        [Step::Ok(Duration::from_millis(1200))],
        Step::Err(transient()),
        Duration::ZERO,
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .backoff(secs(10), secs(10))
        .build()
        .unwrap();
    let served = rt.block_on(async {
        let first = cache.token().await.unwrap();
        // Past the advisory point (~0.45 s), before the mandatory one (0.6 s):
        // a background refresh starts and fails; the token stays in service.
        sleep(Duration::from_millis(520)).await;
        let again = cache.token().await.unwrap();
        assert!(again.same_token(&first));
        sleep(Duration::from_millis(30)).await;
        assert_eq!(fake.calls(), 2, "the background refresh ran and failed");
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
