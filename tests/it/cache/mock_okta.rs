//! Against the fake Okta org: a cached `ServiceAppSource`.

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
