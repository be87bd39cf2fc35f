//! Redirects: credentials never follow one to another origin; within the
//! org a redirect gets a fresh proof for its new URL.

use okta_auth::{AccessToken, DpopKey, Error, OktaAuth};
use reqwest_middleware::ClientBuilder;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::{
    Tokens, assert_no_credentials, bearer, client, header_of, received, servers, verify_proof,
};

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    let s = servers().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/api/v1/away"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/api/v1/away-307"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("landed"))
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    for token in [
        bearer("bearer-secret"),
        AccessToken::dpop("dpop-secret", key.clone()).unwrap(),
    ] {
        let c = client(
            OktaAuth::uncached(s.org_url.clone(), Tokens::new(vec![token])),
            None,
        );
        let r = c
            .get(format!("{}/api/v1/away", s.org.uri()))
            .header("cookie", "session=1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "landed");
        let r = c
            .post(format!("{}/api/v1/away-307", s.org.uri()))
            .body("payload")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let other = received(&s.other).await;
    assert_eq!(other.len(), 4);
    for req in &other {
        assert_no_credentials(req);
        assert!(header_of(req, "cookie").is_none());
    }
    assert_eq!(other[1].method.as_str(), "POST", "307 keeps the method");
    assert_eq!(other[1].body, b"payload");
    for req in received(&s.org).await {
        assert!(header_of(&req, "authorization").is_some());
    }
}

#[tokio::test]
async fn a_redirect_within_the_org_gets_a_fresh_proof_for_the_new_url() {
    let s = servers().await;
    Mock::given(path("/api/v1/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/api/v1/users?x=1"))
        .expect(1)
        .mount(&s.org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/api/v1/old", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let org = received(&s.org).await;
    let first = verify_proof(
        header_of(&org[0], "dpop").unwrap(),
        "GET",
        &format!("{}/api/v1/old", s.org.uri()),
        "dpop-secret",
        &key,
    );
    let second = verify_proof(
        header_of(&org[1], "dpop").unwrap(),
        "GET",
        &format!("{}/api/v1/users", s.org.uri()),
        "dpop-secret",
        &key,
    );
    assert_ne!(first["jti"], second["jti"]);
    assert_eq!(source.fetches(), 1, "the same token is used for the hop");
}

#[tokio::test]
async fn a_redirect_from_the_other_origin_into_the_org_carries_no_credentials() {
    let s = servers().await;
    let into_org = format!("{}/api/v1/users", s.org.uri());
    Mock::given(path("/bounce"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", into_org.as_str()))
        .expect(1)
        .mount(&s.other)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/bounce", s.other.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_no_credentials(&received(&s.other).await[0]);
    assert_no_credentials(&received(&s.org).await[0]);
    assert_eq!(source.fetches(), 0);
}

#[tokio::test]
async fn a_client_without_the_policy_that_leaves_the_org_with_a_proof_is_an_error() {
    let s = servers().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/api/v1/away"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s.other)
        .await;
    let auth = OktaAuth::uncached(
        s.org_url.clone(),
        Tokens::new(vec![
            AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
        ]),
    );
    // reqwest's default policy: follows, drops Authorization, keeps DPoP.
    let c = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let err = c
        .get(format!("{}/api/v1/away", s.org.uri()))
        .send()
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(e) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(e.downcast_ref::<Error>(), Some(Error::Config(_))));
    assert!(
        header_of(&received(&s.other).await[0], "authorization").is_none(),
        "reqwest itself drops Authorization"
    );
}
