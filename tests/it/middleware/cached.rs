//! `OktaAuth::new` caches what it is given unless it is cached already;
//! `OktaAuth::uncached` asks the source for every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{
    AccessToken, ApiTokenSource, Error, OktaAuth, ServiceAppSource, SigningKey, TokenSource,
    TokenSourceExt,
};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::{Tokens, bearer, client, received, servers};

const CLIENT_ID: &str = "0oaCachedByDefault";

/// A plainly built service app (DPoP `Auto`, no `.cached()`) of an app that
/// requires DPoP and Okta's nonce handshake.
fn plain_service_app(okta: &MockOkta) -> ServiceAppSource {
    let key = SigningKey::generate_p256().with_kid("cached-kid");
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"])
            .dpop(true, true),
    )
    .unwrap();
    ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"])
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_plain_service_app_makes_two_token_requests_for_a_hundred_calls() {
    let okta = MockOkta::start().await;
    let c = client(
        OktaAuth::new(okta.org_url(), plain_service_app(&okta)),
        None,
    );
    let url = okta.org_url().endpoint("api/v1/users");
    for _ in 0..100 {
        assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    }
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        2,
        "the nonce handshake, once: every call after it reuses the token"
    );
    assert_eq!(okta.api_requests(), 100);
}

#[tokio::test]
async fn uncached_asks_okta_for_a_token_on_every_request() {
    let okta = MockOkta::start().await;
    let auth = OktaAuth::uncached(okta.org_url(), plain_service_app(&okta));
    let c = client(auth, None);
    let url = okta.org_url().endpoint("api/v1/users");
    for _ in 0..10 {
        assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    }
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        11,
        "the handshake for the first, then one per request (the nonce is remembered)"
    );
}

/// Hands out one token and counts the calls; says it is cached or not.
struct Counting {
    token: AccessToken,
    calls: AtomicUsize,
    cached: bool,
}

#[async_trait]
impl TokenSource for Counting {
    async fn token(&self) -> Result<AccessToken, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(self.token.clone())
    }
    fn is_cached(&self) -> bool {
        self.cached
    }
}

#[tokio::test]
async fn only_a_source_that_is_not_cached_gets_a_cache() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(20)
        .mount(&s.org)
        .await;
    for cached in [false, true] {
        let source = Arc::new(Counting {
            token: bearer("counted-token").with_lifetime(std::time::Duration::from_secs(3600)),
            calls: AtomicUsize::new(0),
            cached,
        });
        let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
        for _ in 0..10 {
            c.get(format!("{}/api/v1/users", s.org.uri()))
                .send()
                .await
                .unwrap();
        }
        let expected = if cached { 10 } else { 1 };
        assert_eq!(
            source.calls.load(Ordering::SeqCst),
            expected,
            "cached: {cached}"
        );
    }
    assert!(
        received(&s.org)
            .await
            .iter()
            .all(|r| r.headers["authorization"] == "Bearer counted-token")
    );
}

#[tokio::test]
async fn uncached_calls_a_scripted_source_for_every_request() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![bearer("one"), bearer("two"), bearer("three")]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    for _ in 0..3 {
        c.get(format!("{}/api/v1/users", s.org.uri()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(source.fetches(), 3);
    let sent: Vec<_> = received(&s.org)
        .await
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["Bearer one", "Bearer two", "Bearer three"]);
}

#[test]
fn a_cache_handed_in_is_not_cached_twice() {
    let org: okta_auth::OrgUrl = "https://example.okta.com".parse().unwrap();
    let app = || {
        ServiceAppSource::builder(org.clone(), CLIENT_ID)
            .private_key(SigningKey::generate_p256())
            .scopes(["okta.users.read"])
            .build()
            .unwrap()
    };
    let caches = |auth: &OktaAuth| format!("{auth:?}").matches("CachingTokenSource").count();

    // Plain: OktaAuth adds the cache.
    assert_eq!(caches(&OktaAuth::new(org.clone(), app())), 1);
    // Cached by the caller, directly or behind an `Arc<dyn TokenSource>`
    // (what `OktaConfig::token_source` returns): used as it is.
    let cached = app().cached();
    assert_eq!(caches(&OktaAuth::new(org.clone(), cached.clone())), 1);
    let shared: Arc<dyn TokenSource> = Arc::new(cached);
    let auth = OktaAuth::new(org.clone(), shared);
    assert_eq!(caches(&auth), 0, "{auth:?}");
    assert!(format!("{auth:?}").contains("dyn okta_auth"), "{auth:?}");
    // An API token has nothing to cache.
    let api = OktaAuth::new(org.clone(), ApiTokenSource::new("00api").unwrap());
    assert_eq!(caches(&api), 0, "{api:?}");
    // Asked for by name: none.
    assert_eq!(caches(&OktaAuth::uncached(org.clone(), app())), 0);
}
