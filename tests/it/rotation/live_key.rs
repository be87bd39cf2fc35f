//! `ServiceAppSource::rotate_key`: one atomic swap seen by every clone; a
//! request already signed finishes with the old key, cached tokens stay,
//! the next token request signs with the new `kid`.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use okta_auth::rotation::KeyRegistry;
use okta_auth::testing::Fault;
use okta_auth::{
    DpopKey, Error, OrgUrl, ServiceAppSource, SigningKey, TokenSource, TokenSourceExt,
};

use super::{
    CLIENT_ID, NEW_KID, OLD_KID, Registry, SCOPE, last_token_kid, new_key, org, token_requests,
};
use crate::signing_key::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_clone_signs_with_the_new_key_from_its_next_token_request() {
    let (okta, source) = org(true).await;
    let clone = source.clone();
    let cache = source.clone().cached();
    let before = cache.token().await.unwrap();
    assert_eq!(last_token_kid(&okta), OLD_KID);

    let key = new_key();
    Registry::new(&okta)
        .add_key(CLIENT_ID, &key.public_jwk())
        .await
        .unwrap();
    let old = clone.rotate_key(key.clone()).unwrap();
    assert_eq!(old.kid(), Some(OLD_KID));
    for s in [&source, &clone, cache.inner()] {
        let now = s.signing_key().unwrap();
        assert_eq!(
            (now.kid(), now.thumbprint()),
            (Some(NEW_KID), key.thumbprint())
        );
    }

    // The cached token stays in use: no token request.
    let posts = okta.token_requests(CLIENT_ID);
    assert!(cache.token().await.unwrap().same_token(&before));
    assert_eq!(okta.token_requests(CLIENT_ID), posts);

    // Forced: the next fetch signs with the new kid.
    cache.invalidate(&before);
    let after = cache.token().await.unwrap();
    assert!(!after.same_token(&before));
    assert_eq!(okta.token_requests(CLIENT_ID), posts + 1);
    assert_eq!(last_token_kid(&okta), NEW_KID);
    // So does the plain source and its clones.
    source.token().await.unwrap();
    assert_eq!(last_token_kid(&okta), NEW_KID);
    assert!(format!("{clone:?}").contains(NEW_KID), "{clone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_request_already_signed_finishes_with_the_old_key() {
    let (okta, source) = org(true).await;
    // The DPoP nonce handshake first, so the next fetch is one request.
    source.token().await.unwrap();
    let key = new_key();
    Registry::new(&okta)
        .add_key(CLIENT_ID, &key.public_jwk())
        .await
        .unwrap();

    // Answered late, so that the request is surely in flight at the swap.
    okta.fail_next_token_requests(1, Fault::Delay(Duration::from_millis(200)));
    let fetch = source.token();
    tokio::pin!(fetch);
    // One poll mints the assertion and starts sending it.
    let first = std::future::poll_fn(|cx| Poll::Ready(fetch.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "{first:?}");
    source.rotate_key(key).unwrap();
    fetch.await.unwrap();
    let log = okta.received();
    let requests = token_requests(&log);
    let (_, kid, status) = requests.last().unwrap();
    assert_eq!((kid.as_str(), *status), (OLD_KID, 200));

    source.token().await.unwrap();
    assert_eq!(last_token_kid(&okta), NEW_KID);
}

#[tokio::test]
async fn the_dpop_key_cannot_become_the_signing_key() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let pem = fixture("ec-p256-pkcs8.pem");
    let source = ServiceAppSource::builder(org, CLIENT_ID)
        .private_key(SigningKey::generate_p256().with_kid(OLD_KID))
        .dpop_key(DpopKey::from_pem(&pem).unwrap())
        .scopes([SCOPE])
        .build()
        .unwrap();
    let same_as_dpop = SigningKey::parse(&pem).unwrap().with_kid(NEW_KID);
    let error = source.rotate_key(same_as_dpop).unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(error.to_string().contains("dpop key"), "{error}");
    // Nothing changed.
    assert_eq!(source.signing_key().unwrap().kid(), Some(OLD_KID));
}

#[tokio::test]
async fn a_client_secret_source_has_no_key_to_rotate() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let source = ServiceAppSource::builder(org, CLIENT_ID)
        .client_secret("s3cret-value")
        .authorization_server("default")
        .scopes(["orders.read"])
        .build()
        .unwrap();
    assert!(source.signing_key().is_none());
    let error = source.rotate_key(new_key()).unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(!format!("{error} {source:?}").contains("s3cret-value"));
}
