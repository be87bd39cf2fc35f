//! One fetch at a time: many callers share one flight, its result and its
//! error; a dropped caller or a timeout does not strand it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use okta_auth::{CachingTokenSource, Error};

use super::{Fake, Step, cache, permanent, secs, settle};

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
async fn a_load_timeout_fails_the_flight_transiently() {
    let fake = Fake::new([], Step::Ok(secs(100)), secs(60));
    let cache = CachingTokenSource::builder(Arc::clone(&fake))
        .load_timeout(secs(2))
        .build()
        .unwrap();
    let err = cache.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout));
}
