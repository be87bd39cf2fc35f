//! Refreshing ahead of expiry: the advisory and mandatory windows, tokens
//! expired on arrival or without expiry, and what the observer hears.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_auth::cache::DEFAULT_MANDATORY_WAIT;
use okta_auth::{
    ApiTokenSource, CachingTokenSource, Error, RefreshEvent, RefreshReason, TokenSourceExt,
    TokenType,
};
use tokio::time::{advance, sleep};

use super::{Fake, Step, cache, now, now_or_never, secs, settle, transient};

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
