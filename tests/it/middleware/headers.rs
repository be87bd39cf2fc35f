//! The headers each token type puts on a request to the org, and none on a
//! request to another origin or one that already has `Authorization`.

use okta_auth::{AccessToken, ApiTokenSource, DpopKey, OktaAuth, TokenSource};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::{
    Tokens, assert_no_credentials, bearer, client, header_of, received, servers, verify_proof,
};

#[tokio::test]
async fn ssws_bearer_and_dpop_reach_the_org_and_never_the_other_origin() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s.org)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    let sources: Vec<(std::sync::Arc<dyn TokenSource>, &str)> = vec![
        (
            std::sync::Arc::new(ApiTokenSource::new("00ssws-secret").unwrap()),
            "SSWS 00ssws-secret",
        ),
        (
            Tokens::new(vec![bearer("bearer-secret")]),
            "Bearer bearer-secret",
        ),
        (
            Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]),
            "DPoP dpop-secret",
        ),
    ];
    for (source, _) in &sources {
        let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
        let users = format!("{}/api/v1/users?limit=2#frag", s.org.uri());
        assert_eq!(c.get(users).send().await.unwrap().status(), 200);
        let other = format!("{}/elsewhere", s.other.uri());
        assert_eq!(c.post(other).body("x").send().await.unwrap().status(), 200);
    }

    let org = received(&s.org).await;
    for (req, (_, authorization)) in org.iter().zip(&sources) {
        assert_eq!(header_of(req, "authorization"), Some(*authorization));
    }
    assert!(header_of(&org[0], "dpop").is_none());
    assert!(header_of(&org[1], "dpop").is_none());
    let proof = header_of(&org[2], "dpop").expect("a dpop proof");
    let htu = format!("{}/api/v1/users", s.org.uri());
    verify_proof(proof, "GET", &htu, "dpop-secret", &key);

    for req in received(&s.other).await {
        assert_no_credentials(&req);
    }
}

#[tokio::test]
async fn a_request_that_already_has_authorization_is_left_alone() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    c.get(format!("{}/api/v1/users", s.org.uri()))
        .header("authorization", "SSWS caller-own")
        .send()
        .await
        .unwrap();
    let req = &received(&s.org).await[0];
    assert_eq!(header_of(req, "authorization"), Some("SSWS caller-own"));
    assert!(header_of(req, "dpop").is_none());
    assert_eq!(source.fetches(), 0, "no token was even fetched");
}
