//! DPoP: the nonce handshake (two posts once, then one), nonces kept
//! apart and checked, and what each `DpopMode` sends and accepts.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_auth::url::Url;
use okta_auth::{DpopKey, DpopMode, Error, TokenSource, TokenType};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{
    ORG_PATH, assertion_claims, bearer, builder, dpop_token, endpoint, proof_claims, rsa_key,
    use_dpop_nonce,
};

/// A token endpoint that requires DPoP with a nonce, like Okta: a proof
/// without the current nonce gets `use_dpop_nonce` and the nonce.
struct NonceServer {
    nonce: &'static str,
}

impl Respond for NonceServer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some(proof) = request.headers.get("dpop") else {
            return ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_dpop_proof",
                "error_description": "The DPoP proof JWT header is missing."
            }));
        };
        let claims = proof.to_str().unwrap().split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        if claims["nonce"] == self.nonce {
            dpop_token()
        } else {
            use_dpop_nonce(self.nonce)
        }
    }
}

#[tokio::test]
async fn dpop_handshake_takes_two_posts_once_then_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(NonceServer { nonce: "nonce-1" })
        .expect(3)
        .mount(&server)
        .await;
    let source = builder(&server).build().unwrap();
    assert_eq!(source.dpop_mode(), DpopMode::Auto);
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    let bound = token.dpop_key().unwrap();
    assert_eq!(bound.thumbprint(), source.dpop_key().unwrap().thumbprint());

    let first = server.received_requests().await.unwrap();
    assert_eq!(first.len(), 2, "proof, then proof with the nonce");
    let aud = endpoint(&server, ORG_PATH);
    let (thumb_a, proof_a) = proof_claims(&first[0]);
    let (thumb_b, proof_b) = proof_claims(&first[1]);
    assert!(proof_a.get("nonce").is_none());
    assert_eq!(proof_b["nonce"], "nonce-1");
    for proof in [&proof_a, &proof_b] {
        assert_eq!(proof["htm"], "POST");
        assert_eq!(proof["htu"], aud);
        assert!(proof.get("ath").is_none());
    }
    assert_ne!(proof_a["jti"], proof_b["jti"]);
    assert_eq!(thumb_a, thumb_b);
    assert_eq!(thumb_a, bound.thumbprint());
    // The DPoP key is not the assertion key.
    assert_ne!(thumb_a, rsa_key().thumbprint());
    let jti = |r: &Request| assertion_claims(r, &aud).1["jti"].clone();
    assert_ne!(
        jti(&first[0]),
        jti(&first[1]),
        "a fresh assertion for the retry"
    );

    source.token().await.unwrap();
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 3, "the nonce is remembered: one POST");
    assert_eq!(proof_claims(&all[2]).1["nonce"], "nonce-1");
}

#[tokio::test]
async fn resource_nonces_of_the_org_do_not_replace_the_token_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(NonceServer { nonce: "as-nonce" })
        .expect(3)
        .mount(&server)
        .await;
    let source = builder(&server).build().unwrap();
    let key = source.dpop_key().unwrap();
    source.token().await.unwrap();
    let org_url = Url::parse(&server.uri()).unwrap();
    // The token endpoint's nonce is not the management API's.
    assert_eq!(key.nonce_for(&org_url), None);
    assert_eq!(key.nonce_for(source.token_endpoint()), None);
    // The management API (same origin) hands out its own nonce.
    key.remember_nonce(&org_url.join("/api/v1/users").unwrap(), "rs-nonce")
        .unwrap();
    source.token().await.unwrap();
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 3, "no extra use_dpop_nonce round trip");
    assert_eq!(proof_claims(&all[2]).1["nonce"], "as-nonce");
    assert_eq!(key.nonce_for(&org_url).as_deref(), Some("rs-nonce"));
}

#[tokio::test]
async fn a_second_use_dpop_nonce_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            use_dpop_nonce(["n-a", "n-b", "n-c", "n-d"][n % 4])
        })
        .expect(2)
        .mount(&server)
        .await;
    let err = builder(&server).build().unwrap().token().await.unwrap_err();
    assert!(matches!(err, Error::Dpop(_)), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unusable_nonces_are_dpop_errors() {
    for response in [
        ResponseTemplate::new(400).set_body_json(json!({"error": "use_dpop_nonce"})),
        use_dpop_nonce("has space"),
        use_dpop_nonce("tab\there"),
        use_dpop_nonce("quote\"d"),
        use_dpop_nonce(""),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let source = builder(&server).build().unwrap();
        let err = source.token().await.unwrap_err();
        assert!(matches!(err, Error::Dpop(_)), "{err:?}");
        let endpoint = source.token_endpoint().clone();
        assert_eq!(source.dpop_key().unwrap().nonce_for(&endpoint), None);
    }
}

#[tokio::test]
async fn a_nonce_on_a_success_is_remembered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(dpop_token().insert_header("DPoP-Nonce", "courtesy-1"))
        .expect(2)
        .mount(&server)
        .await;
    let source = builder(&server).build().unwrap();
    source.token().await.unwrap();
    source.token().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(proof_claims(&requests[0]).1.get("nonce").is_none());
    assert_eq!(proof_claims(&requests[1]).1["nonce"], "courtesy-1");
}

#[tokio::test]
async fn auto_accepts_bearer_and_always_refuses_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(bearer())
        .expect(2)
        .mount(&server)
        .await;
    let auto = builder(&server).build().unwrap();
    assert_eq!(auto.token().await.unwrap().token_type(), TokenType::Bearer);
    let always = builder(&server).dpop(DpopMode::Always).build().unwrap();
    let err = always.token().await.unwrap_err();
    assert!(matches!(err, Error::Dpop(_)), "{err:?}");
    for request in server.received_requests().await.unwrap() {
        proof_claims(&request);
    }
}

#[tokio::test]
async fn always_gets_a_bound_token_with_a_supplied_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(NonceServer { nonce: "n" })
        .expect(2)
        .mount(&server)
        .await;
    let key = DpopKey::generate();
    let source = builder(&server)
        .dpop(DpopMode::Always)
        .dpop_key(key.clone())
        .build()
        .unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.dpop_key().unwrap().thumbprint(), key.thumbprint());
    let requests = server.received_requests().await.unwrap();
    assert_eq!(proof_claims(&requests[1]).0, key.thumbprint());
}

#[tokio::test]
async fn never_sends_no_proof_and_refuses_dpop_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(NonceServer { nonce: "n" })
        .expect(1)
        .mount(&server)
        .await;
    let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
    assert!(source.dpop_key().is_none());
    let err = source.token().await.unwrap_err();
    let oauth = err.oauth_error().unwrap();
    assert_eq!(oauth.error(), "invalid_dpop_proof");
    assert!(oauth.hint().unwrap().contains("DpopMode"));
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("dpop").is_none());

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(dpop_token())
        .expect(1)
        .mount(&server)
        .await;
    let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
    assert!(matches!(source.token().await, Err(Error::Dpop(_))));
}
