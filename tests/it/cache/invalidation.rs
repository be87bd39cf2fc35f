//! `invalidate`: only the same token is dropped, the backoff is kept, and
//! forced refreshes back off.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use okta_auth::{AccessToken, CachingTokenSource, TokenSource, TokenType};
use tokio::time::advance;

use super::{Fake, Step, cache, now, secs, settle, transient};

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
