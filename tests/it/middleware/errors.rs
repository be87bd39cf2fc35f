//! Errors: a source's error comes back out of reqwest-middleware's
//! `anyhow` wrapper as an `okta_auth::Error`; `Debug` shows no secret.

use okta_auth::{ApiTokenSource, Error, OktaAuth};

use super::{Broken, client, received, servers};

#[tokio::test]
async fn a_source_error_comes_back_downcastable() {
    let s = servers().await;
    let c = client(OktaAuth::uncached(s.org_url.clone(), Broken), None);
    let err = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_middleware());
    let reqwest_middleware::Error::Middleware(e) = &err else {
        panic!("{err:?}")
    };
    let okta = e
        .downcast_ref::<Error>()
        .expect("an okta_auth::Error inside");
    assert!(matches!(okta, Error::Timeout));
    assert!(okta.is_transient());
    assert!(received(&s.org).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn debug_shows_no_secret() {
    let auth = OktaAuth::uncached(
        "https://example.okta.com".parse().unwrap(),
        ApiTokenSource::new("00-very-secret").unwrap(),
    );
    let debug = format!("{auth:?}");
    assert!(debug.contains("example.okta.com"));
    assert!(!debug.contains("00-very-secret"));
}
