//! `CachingTokenSource` through the public API: a scripted counting source
//! under paused time, and a real loopback token endpoint (wiremock).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::cache::{DEFAULT_ERROR_TTL, DEFAULT_MANDATORY_WAIT};
use okta_auth::http::StatusCode;
use okta_auth::{
    AccessToken, ApiTokenSource, CachingTokenSource, Error, OAuthError, RefreshEvent,
    RefreshReason, TokenSource, TokenSourceExt, TokenType,
};
use tokio::time::{Instant, advance, sleep};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// What the fake source does on one call.
#[derive(Clone)]
enum Step {
    /// A bearer token with this lifetime.
    Ok(Duration),
    /// A token without expiry.
    Forever,
    /// A token that has already expired.
    Expired,
    /// This error.
    Err(Error),
    /// A `429` whose rate-limit window resets this long after the call.
    RateLimited(Duration),
    /// The source panics.
    Panic,
    /// The source never answers (the load timeout ends the fetch).
    Hang,
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

/// Okta's `429` with a window that resets `reset_in` after its `Date`: the
/// one place that builds `Error::RateLimited`.
fn rate_limited(reset_in: Duration) -> Error {
    const DATE: u64 = 1_900_000_000;
    let mut headers = okta_auth::http::HeaderMap::new();
    let date = std::time::UNIX_EPOCH + Duration::from_secs(DATE);
    headers.insert("date", httpdate::fmt_http_date(date).parse().unwrap());
    // Okta's rule adds 1 s for skew: announce a reset 1 s earlier.
    let reset = DATE + reset_in.as_secs().saturating_sub(1);
    headers.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
    let error = Error::rate_limited(&headers);
    assert_eq!(
        error.retry_after(),
        Some(reset_in.max(Duration::from_secs(1)))
    );
    error
}

/// A counting source that follows a script (then repeats `fallback`), each
/// call taking `delay` of (paused) time.
struct Fake {
    calls: AtomicUsize,
    completed: AtomicUsize,
    invalidated: AtomicUsize,
    script: Mutex<VecDeque<Step>>,
    fallback: Step,
    delay: Duration,
}

impl Fake {
    fn new(script: impl IntoIterator<Item = Step>, fallback: Step, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
            invalidated: AtomicUsize::new(0),
            script: Mutex::new(script.into_iter().collect()),
            fallback,
            delay,
        })
    }

    fn push(&self, step: Step) {
        self.script.lock().unwrap().push_back(step);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenSource for Fake {
    async fn token(&self) -> Result<AccessToken, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let step = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone());
        if !self.delay.is_zero() {
            sleep(self.delay).await;
        }
        match step {
            Step::Panic => panic!("a broken token source"),
            Step::Hang => std::future::pending::<()>().await,
            _ => {}
        }
        self.completed.fetch_add(1, Ordering::SeqCst);
        let token = AccessToken::new(TokenType::Bearer, format!("secret-token-{n}"))?;
        match step {
            Step::Ok(lifetime) => Ok(token.with_lifetime(lifetime)),
            Step::Forever => Ok(token),
            Step::Expired => Ok(token.with_lifetime(Duration::ZERO)),
            Step::Err(e) => Err(e),
            Step::RateLimited(reset_in) => Err(rate_limited(reset_in)),
            Step::Panic | Step::Hang => unreachable!("handled above"),
        }
    }

    fn invalidate(&self, _rejected: &AccessToken) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }
}

/// A 100 s token: advisory at 75 s exactly (no jitter), mandatory at 90 s;
/// transient backoff 10 s (jittered into 5..=10 s), permanent errors 2 s.
fn cache(fake: &Arc<Fake>) -> CachingTokenSource<Arc<Fake>> {
    CachingTokenSource::builder(Arc::clone(fake))
        .refresh_jitter(0.0)
        .backoff(secs(10), secs(10))
        .build()
        .unwrap()
}

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> Instant {
    Instant::now()
}

/// Polls once: `Some` if the future completes without waiting.
fn now_or_never<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Lets spawned tasks that are ready run to completion (no time passes).
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_callers_on_a_cold_cache_share_one_fetch() {
    let fake = Fake::new([], Step::Ok(secs(3600)), Duration::from_millis(200));
    let cache = cache(&fake);
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    let mut tokens = Vec::with_capacity(tasks.len());
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert_eq!(fake.calls(), 1);
    assert!(tokens.iter().all(|t| t.same_token(&tokens[0])));
}

#[tokio::test(start_paused = true)]
async fn errors_are_shared_by_all_waiters_of_a_flight() {
    let fake = Fake::new([], Step::Err(permanent()), Duration::from_millis(200));
    let cache = cache(&fake);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().unwrap_err();
        assert_eq!(err.oauth_error().unwrap().error(), "invalid_client");
    }
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn advisory_window_serves_without_waiting_and_refreshes_once() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(5));
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();
    advance(secs(76)).await;

    // Every caller gets the current token at once; one refresh starts.
    for _ in 0..1000 {
        let t = now_or_never(cache.token())
            .expect("a caller waited")
            .unwrap();
        assert!(t.same_token(&first));
    }
    settle().await;
    assert_eq!(fake.calls(), 2);
    // Still refreshing (5 s): still served the old one, no second refresh.
    advance(secs(2)).await;
    assert!(
        now_or_never(cache.token())
            .unwrap()
            .unwrap()
            .same_token(&first)
    );
    advance(secs(4)).await;
    settle().await;
    let second = now_or_never(cache.token()).unwrap().unwrap();
    assert!(!second.same_token(&first));
    assert_eq!(fake.calls(), 2);
    // The new token is fresh: no more fetches.
    assert!(cache.cached_token().unwrap().same_token(&second));
}

#[tokio::test(start_paused = true)]
async fn mandatory_window_callers_wait_for_one_shared_fetch() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(1));
    let cache = cache(&fake);
    cache.token().await.unwrap();
    // Past the mandatory point and within the expiry margin (4 s left).
    advance(secs(96)).await;

    assert!(
        now_or_never(cache.token()).is_none(),
        "past the mandatory point, callers wait"
    );
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert_eq!(fake.calls(), 2);
    assert!(tokens.iter().all(|t| t.same_token(&tokens[0])));
    assert!(tokens[0].expires_in().unwrap() > secs(90));
}

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
async fn a_token_expired_on_arrival_is_not_served() {
    let fake = Fake::new([Step::Expired], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let err = cache.token().await.unwrap_err();
    assert!(matches!(err, Error::MalformedResponse { .. }), "{err:?}");
    assert!(cache.cached_token().is_none());
    advance(secs(3)).await;
    let t = cache.token().await.unwrap();
    assert!(!t.is_expired());
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalidate_drops_only_the_same_token() {
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();

    // Equal string, different token: a no-op for the cache.
    let lookalike = AccessToken::new(TokenType::Bearer, "secret-token-1").unwrap();
    cache.invalidate(&lookalike);
    assert!(cache.token().await.unwrap().same_token(&first));
    assert_eq!(fake.calls(), 1);

    // The current token: the next call fetches.
    TokenSource::invalidate(&cache, &first);
    let second = cache.token().await.unwrap();
    assert!(!second.same_token(&first));
    assert_eq!(fake.calls(), 2);

    // A late 401 for the old token does not throw away the new one.
    cache.invalidate(&first);
    assert!(cache.token().await.unwrap().same_token(&second));
    assert_eq!(fake.calls(), 2);
    assert_eq!(
        fake.invalidated.load(Ordering::SeqCst),
        3,
        "passed on to the source"
    );
}

#[tokio::test(start_paused = true)]
async fn invalidate_keeps_the_backoff() {
    let fake = Fake::new([Step::Ok(secs(100))], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();
    fake.push(Step::Err(transient()));
    advance(secs(76)).await;
    cache.token().await.unwrap();
    settle().await;
    assert_eq!(fake.calls(), 2);

    cache.invalidate(&first);
    let err = cache.token().await.unwrap_err();
    assert!(err.is_transient(), "the last error, while backing off");
    assert_eq!(fake.calls(), 2);
    advance(secs(10)).await;
    assert!(cache.token().await.is_ok());
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn tokens_without_expiry_are_never_refreshed() {
    let fake = Fake::new([], Step::Forever, Duration::ZERO);
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();
    for _ in 0..10 {
        advance(secs(365 * 24 * 3600)).await;
        assert!(cache.token().await.unwrap().same_token(&first));
    }
    assert_eq!(fake.calls(), 1);

    let ssws = ApiTokenSource::new("00ssws-secret").unwrap().cached();
    let a = ssws.token().await.unwrap();
    advance(secs(10 * 365 * 24 * 3600)).await;
    assert!(ssws.token().await.unwrap().same_token(&a));
    assert_eq!(a.token_type(), TokenType::Ssws);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_caller_does_not_strand_the_flight() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(5));
    let cache = cache(&fake);
    // The first caller gives up after 1 s…
    let gave_up = tokio::time::timeout(secs(1), cache.token()).await;
    assert!(gave_up.is_err());
    // …but its fetch goes on, and the next caller gets its result.
    let token = cache.token().await.unwrap();
    assert!(!token.is_expired());
    assert_eq!(fake.calls(), 1);
    assert_eq!(fake.completed.load(Ordering::SeqCst), 1);

    // An aborted task, same story.
    cache.invalidate(&token);
    let c = cache.clone();
    let task = tokio::spawn(async move { c.token().await });
    settle().await;
    task.abort();
    let next = cache.token().await.unwrap();
    assert!(!next.same_token(&token));
    assert_eq!(fake.calls(), 2);
}

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
async fn the_observer_hears_every_refresh() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let fake = Fake::new(
        [Step::Ok(secs(100)), Step::Err(transient())],
        Step::Ok(secs(100)),
        Duration::from_millis(300),
    );
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .observer(move |e: &RefreshEvent| sink.lock().unwrap().push(e.clone()))
        .build()
        .unwrap();
    cache.token().await.unwrap();
    advance(secs(76)).await;
    cache.token().await.unwrap();
    sleep(secs(1)).await;

    let events = events.lock().unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(matches!(
        events[0],
        RefreshEvent::Started {
            reason: RefreshReason::Empty
        }
    ));
    match &events[1] {
        RefreshEvent::Refreshed {
            reason,
            latency,
            expires_in,
        } => {
            assert_eq!(*reason, RefreshReason::Empty);
            assert_eq!(*latency, Duration::from_millis(300));
            assert_eq!(*expires_in, Some(secs(100)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        events[2],
        RefreshEvent::Started {
            reason: RefreshReason::Ahead
        }
    ));
    match &events[3] {
        RefreshEvent::Failed {
            reason,
            error,
            serving_cached,
            retry_in,
            ..
        } => {
            assert_eq!(*reason, RefreshReason::Ahead);
            assert!(error.is_transient());
            assert!(*serving_cached);
            assert!(*retry_in >= Duration::from_millis(500) && *retry_in <= secs(1));
        }
        other => panic!("{other:?}"),
    }
    for e in events.iter() {
        assert!(!format!("{e:?}").contains("secret-token"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_load_timeout_fails_the_flight_transiently() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(60));
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .load_timeout(secs(2))
        .build()
        .unwrap();
    let err = cache.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout));
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

const DAY: Duration = okta_auth::cache::MAX_ERROR_WAIT;

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

    // A transient error while serving: backs off up to a day.
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
    advance(secs(30)).await; // expired, still backing off: the error
    assert!(cache.token().await.unwrap_err().is_transient());
    assert_eq!(fake.calls(), 2);
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

/// A scenario: name, time of the first call (s), the source's next answer,
/// what each call does, what the first and second calls get, total fetches.
type Row = (&'static str, u64, Option<Step>, Act, Want, Want, usize);

/// What each call of a table row does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    /// Asks for a token.
    Call,
    /// Reports the token in hand (the old one, then what the first call
    /// got) as rejected, as `OktaAuth` does on a `401`, then asks.
    Reject,
}

/// What a table row expects from a call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// The token cached before the scenario.
    Old,
    /// A newly fetched token.
    New,
    /// An error.
    Fails,
}

/// The spirit of AWS's cross-SDK credential-refresh scenarios: a 100 s
/// token (advisory at 75 s, mandatory at 90 s, expiry margin from 95 s),
/// the source's next answer, the time of the first call, what two calls
/// (the second after the background work settled) get, and how many
/// fetches happened in total. A call that gets the old token never waits
/// longer than the mandatory wait.
#[tokio::test(start_paused = true)]
async fn refresh_scenarios() {
    use Act::*;
    use Want::*;
    let rows: &[Row] = &[
        ("fresh: served, no fetch", 10, None, Call, Old, Old, 1),
        (
            "advisory, refresh ok: old now, new next",
            80,
            None,
            Call,
            Old,
            New,
            2,
        ),
        (
            "advisory, transient failure: keep serving",
            80,
            Some(Step::Err(transient())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "advisory, permanent failure: keep serving",
            80,
            Some(Step::Err(permanent())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "advisory, the source panics: keep serving, backing off",
            80,
            Some(Step::Panic),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, refresh ok: wait for the new",
            95,
            None,
            Call,
            New,
            New,
            2,
        ),
        (
            "mandatory, transient failure: still valid, served",
            95,
            Some(Step::Err(transient())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, permanent failure: still valid, served",
            95,
            Some(Step::Err(permanent())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, the source panics: still valid, served",
            95,
            Some(Step::Panic),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, the source hangs: the usable token after a short wait",
            91,
            Some(Step::Hang),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "expired, refresh ok: wait for the new",
            105,
            None,
            Call,
            New,
            New,
            2,
        ),
        (
            "expired, transient failure: error, backing off",
            105,
            Some(Step::Err(transient())),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "expired, permanent failure: error, cached",
            105,
            Some(Step::Err(permanent())),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "expired, the source panics: error, backing off",
            105,
            Some(Step::Panic),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "rejected: a new token, which its own rejection does not drop",
            10,
            None,
            Reject,
            New,
            New,
            2,
        ),
        (
            "rejected, the refetch fails: error, backing off",
            10,
            Some(Step::Err(transient())),
            Reject,
            Fails,
            Fails,
            2,
        ),
    ];
    for (name, at, next, act, first, second, fetches) in rows.iter().cloned() {
        let fake = Fake::new([Step::Ok(secs(100))], Step::Ok(secs(100)), Duration::ZERO);
        let cache = cache(&fake);
        let old = cache.token().await.unwrap();
        if let Some(step) = next {
            fake.push(step);
        }
        advance(secs(at)).await;
        let check =
            |got: &Result<AccessToken, Error>, want: Want, waited: Duration| match (got, want) {
                (Ok(t), Old) => {
                    assert!(t.same_token(&old), "{name}: wanted the old token");
                    assert!(
                        waited <= DEFAULT_MANDATORY_WAIT,
                        "{name}: waited {waited:?}"
                    );
                }
                (Ok(t), New) => assert!(!t.same_token(&old), "{name}: wanted a new token"),
                (Err(_), Fails) => {}
                (got, want) => panic!("{name}: got {got:?}, wanted {want:?}"),
            };
        let call = |in_hand: &AccessToken| {
            if act == Reject {
                cache.invalidate(in_hand);
            }
            let start = now();
            let cache = &cache;
            async move { (cache.token().await, now() - start) }
        };
        let (got, waited) = call(&old).await;
        check(&got, first, waited);
        settle().await;
        let in_hand = got.as_ref().unwrap_or(&old).clone();
        let (got, waited) = call(&in_hand).await;
        check(&got, second, waited);
        settle().await;
        assert_eq!(fake.calls(), fetches, "{name}");
    }
}

/// A minimal client-credentials source against a loopback token endpoint.
struct HttpSource {
    client: reqwest::Client,
    url: String,
}

#[async_trait]
impl TokenSource for HttpSource {
    async fn token(&self) -> Result<AccessToken, Error> {
        let response = self
            .client
            .post(&self.url)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| Error::Config(format!("transport: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::OAuth(OAuthError::new(status, "server_error")));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| Error::Config(format!("body: {e}")))?;
        let secret = body["access_token"].as_str().unwrap_or_default();
        let lifetime = secs(body["expires_in"].as_u64().unwrap_or_default());
        Ok(AccessToken::new(TokenType::Bearer, secret)?.with_lifetime(lifetime))
    }
}

async fn hundred_callers(server: &wiremock::MockServer) -> Vec<Result<AccessToken, Error>> {
    let cache = HttpSource {
        client: reqwest::Client::new(),
        url: format!("{}/oauth2/v1/token", server.uri()),
    }
    .cached();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_make_one_request_to_a_real_server() {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({
                    "token_type": "Bearer",
                    "access_token": "wire-secret-token",
                    "expires_in": 3600,
                    "scope": "okta.users.read",
                }))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let results = hundred_callers(&server).await;
    let first = results[0].as_ref().unwrap().clone();
    for r in &results {
        assert!(r.as_ref().unwrap().same_token(&first));
    }
    assert!(first.expires_in().unwrap() > secs(3500));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_share_one_server_error() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;

    for r in hundred_callers(&server).await {
        let err = r.unwrap_err();
        assert!(err.is_transient());
        assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    }
    server.verify().await;
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

#[tokio::test(start_paused = true)]
async fn forced_refreshes_back_off_doubling_and_reset_at_a_natural_refresh() {
    // An API that refuses every token: each token is rejected as soon as it
    // is used, every 100 ms for a minute. Default policy: the backoff
    // starts at 0.5..1 s and doubles up to 15..30 s.
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let cache = CachingTokenSource::new(Arc::clone(&fake));
    let start = now();
    let mut fetched_at = Vec::new();
    for _ in 0..600 {
        let before = fake.calls();
        let token = cache.token().await.unwrap();
        if fake.calls() > before {
            fetched_at.push(now() - start);
        }
        cache.invalidate(&token);
        advance(Duration::from_millis(100)).await;
    }
    // The first token, then one forced refresh 100 ms after each drop.
    assert!(
        (7..=9).contains(&fetched_at.len()),
        "{} fetches: {fetched_at:?}",
        fetched_at.len()
    );
    for (k, pair) in fetched_at[1..].windows(2).enumerate() {
        let ceiling = secs(1 << k).min(secs(30));
        let gap = pair[1] - pair[0];
        assert!(
            gap >= ceiling / 2 && gap <= ceiling + Duration::from_millis(100),
            "forced refresh {}: {gap:?} after the last, ceiling {ceiling:?}: {fetched_at:?}",
            k + 2
        );
    }

    // The rejections stop; the last token lives to its natural refresh
    // (75 % ± 5 % of 100 s) in the background.
    advance(secs(100)).await;
    cache.token().await.unwrap();
    settle().await;
    let natural = cache.token().await.unwrap();
    let fetches = fake.calls();
    assert_eq!(fetches, fetched_at.len() + 1, "one natural refresh");
    // The count starts afresh: a rejection drops the token at once, and
    // the next backoff is the first one (at most 1 s), not 15..30 s.
    cache.invalidate(&natural);
    let second = cache.token().await.unwrap();
    assert!(!second.same_token(&natural));
    cache.invalidate(&second);
    assert!(cache.token().await.unwrap().same_token(&second), "held");
    advance(Duration::from_millis(1001)).await;
    cache.invalidate(&second);
    assert!(!cache.token().await.unwrap().same_token(&second));
    assert_eq!(fake.calls(), fetches + 2);
}

#[tokio::test(start_paused = true)]
async fn past_the_mandatory_point_a_usable_token_costs_at_most_a_short_wait() {
    // A 100 s token (mandatory at 90 s), a source that takes 8 s.
    let fake = Fake::new([], Step::Ok(secs(100)), secs(8));
    let cache = cache(&fake);
    let first = cache.token().await.unwrap();
    advance(secs(91)).await;

    // 9 s left: the first caller waits a second for the refresh, then gets
    // the cached token; the refresh goes on.
    let start = now();
    assert!(cache.token().await.unwrap().same_token(&first));
    assert_eq!(now() - start, DEFAULT_MANDATORY_WAIT);
    // Later callers of the same refresh do not wait at all.
    advance(secs(2)).await;
    let t = now_or_never(cache.token())
        .expect("a caller waited")
        .unwrap();
    assert!(t.same_token(&first));
    // Within the expiry margin (4 s left): wait for the refresh.
    advance(secs(2)).await; // 96 s
    let start = now();
    let fresh = cache.token().await.unwrap();
    assert!(!fresh.same_token(&first));
    assert_eq!(now() - start, secs(3), "the refresh ends at 99 s");
    assert_eq!(fake.calls(), 2, "one refresh");

    // Both values come from the builder.
    let fake = Fake::new([], Step::Ok(secs(100)), secs(8));
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .refresh_jitter(0.0)
        .mandatory_wait(secs(3))
        .expiry_margin(secs(2))
        .build()
        .unwrap();
    let first = cache.token().await.unwrap();
    advance(secs(91)).await;
    let start = now();
    assert!(cache.token().await.unwrap().same_token(&first));
    assert_eq!(now() - start, secs(3));
    advance(secs(3)).await; // 97 s: 3 s left, more than the margin
    assert!(
        now_or_never(cache.token())
            .unwrap()
            .unwrap()
            .same_token(&first)
    );
    advance(Duration::from_millis(1500)).await; // 98.5 s: 1.5 s left
    let start = now();
    assert!(!cache.token().await.unwrap().same_token(&first));
    assert_eq!(now() - start, Duration::from_millis(500));
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn short_tokens_are_refreshed_in_the_background_before_anyone_waits() {
    // 8 s tokens (mandatory point 4 s before expiry), a source that takes
    // half a second, default policy: every token is replaced in the
    // background, so no caller ever waits.
    let fake = Fake::new([], Step::Ok(secs(8)), Duration::from_millis(500));
    let cache = CachingTokenSource::new(Arc::clone(&fake));
    cache.token().await.unwrap();
    for _ in 0..400 {
        advance(Duration::from_millis(100)).await;
        let t = now_or_never(cache.token())
            .expect("a caller waited")
            .unwrap();
        assert!(t.expires_in().unwrap() > secs(4), "{:?}", t.expires_in());
        settle().await;
    }
    assert!(fake.calls() >= 11, "{} fetches in 40 s", fake.calls());
}

#[tokio::test(start_paused = true)]
async fn borrowing_the_cached_token_fetches_nothing() {
    let fake = Fake::new([], Step::Ok(secs(100)), Duration::ZERO);
    let cache = cache(&fake);
    assert_eq!(cache.with_cached_token(|t| t.token_type()), None);
    assert!(cache.cached_token().is_none());
    assert_eq!(fake.calls(), 0);
    let token = cache.token().await.unwrap();
    assert_eq!(
        cache.with_cached_token(|t| t.same_token(&token)),
        Some(true)
    );
    // Past the advisory point it is no longer "fresh"; still nothing fetched.
    advance(secs(80)).await;
    assert_eq!(cache.with_cached_token(|_| ()), None);
    assert_eq!(fake.calls(), 1);
}

/// Against the fake Okta org: a cached `ServiceAppSource`.
#[cfg(feature = "test-util")]
mod mock_okta {
    use super::*;
    use okta_auth::secrecy::ExposeSecret;
    use okta_auth::testing::{Fault, MockOkta, ServiceApp};
    use okta_auth::{ServiceAppSource, SigningKey};

    use crate::service_app_mock_okta::call_api;

    const CLIENT_ID: &str = "0oaCachedServiceApp";

    async fn org() -> (MockOkta, CachingTokenSource<ServiceAppSource>) {
        let key = SigningKey::generate_p256().with_kid("cache-test");
        let okta = MockOkta::start().await;
        okta.register_service_app(
            ServiceApp::new(CLIENT_ID)
                .jwk(key.public_jwk())
                .scopes(["okta.users.read"]),
        )
        .unwrap();
        let source = ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
            .private_key(key)
            .scopes(["okta.users.read"])
            .build()
            .unwrap();
        (okta, source.cached())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ten_thousand_callers_make_one_token_request() {
        let (okta, cache) = org().await;
        okta.fail_next_token_requests(1, Fault::Delay(Duration::from_millis(300)));
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(async move { c.token().await })
            })
            .collect();
        let mut tokens = Vec::with_capacity(tasks.len());
        for t in tasks {
            tokens.push(t.await.unwrap().unwrap());
        }
        assert!(tokens.iter().all(|t| t.same_token(&tokens[0])));
        let posts = okta.token_requests(CLIENT_ID);
        assert_eq!(posts, 1, "one token request for 10 000 callers");
        assert_eq!(call_api(&okta, &tokens[0]).await, 200);
        cache.token().await.unwrap();
        assert_eq!(okta.token_requests(CLIENT_ID), posts, "cached");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revoked_token_is_invalidated_and_replaced() {
        let (okta, cache) = org().await;
        let first = cache.token().await.unwrap();
        let posts = okta.token_requests(CLIENT_ID);
        assert!(okta.revoke(first.secret().expose_secret()));
        assert_eq!(call_api(&okta, &first).await, 401);

        cache.invalidate(&first);
        let second = cache.token().await.unwrap();
        assert!(!second.same_token(&first));
        assert_eq!(call_api(&okta, &second).await, 200);
        // A late 401 for the first token keeps the second.
        cache.invalidate(&first);
        assert!(cache.token().await.unwrap().same_token(&second));
        assert!(okta.token_requests(CLIENT_ID) > posts);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_error_on_a_cold_cache_is_shared_then_retried() {
        let (okta, cache) = org().await;
        okta.fail_next_token_requests(1, Fault::Status(503));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let c = cache.clone();
                tokio::spawn(async move { c.token().await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap_err().is_transient());
        }
        assert_eq!(okta.token_requests(CLIENT_ID), 1);
    }
}
