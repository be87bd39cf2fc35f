//! DPoP nonces: a `use_dpop_nonce` challenge is answered once with the
//! nonce, an unusable nonce is not, and a nonce on any org response is
//! used next; a hostile `WWW-Authenticate` is reported typed.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_auth::url::Url;
use okta_auth::{AccessToken, AuthChallenge, DpopKey, Error, OktaAuth};
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use super::{Tokens, client, header_of, received, servers, two_dpop_tokens, verify_proof};

/// 401 `use_dpop_nonce` with nonce `n-{k}` unless the proof carries the
/// nonce it wants.
struct WantsNonce {
    nonce: Option<&'static str>,
    calls: AtomicUsize,
}

impl Respond for WantsNonce {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let k = self.calls.fetch_add(1, Ordering::SeqCst);
        let proof = req.headers.get("dpop").unwrap().to_str().unwrap();
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(proof.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let wanted = self.nonce.map(str::to_owned).unwrap_or(format!("n-{k}"));
        if claims["nonce"] == wanted.as_str() {
            ResponseTemplate::new(200)
        } else {
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#)
                .insert_header("dpop-nonce", wanted.as_str())
        }
    }
}

#[tokio::test]
async fn a_use_dpop_nonce_challenge_is_retried_with_the_nonce() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(WantsNonce {
            nonce: Some("srv-nonce-1"),
            calls: AtomicUsize::new(0),
        })
        .expect(3)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    let url = format!("{}/api/v1/users", s.org.uri());
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    // The nonce is remembered: the next request needs no handshake.
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);

    let org = received(&s.org).await;
    let proofs: Vec<Value> = org
        .iter()
        .map(|r| {
            verify_proof(
                header_of(r, "dpop").unwrap(),
                "GET",
                &url,
                "dpop-secret",
                &key,
            )
        })
        .collect();
    assert!(proofs[0].get("nonce").is_none());
    assert_eq!(proofs[1]["nonce"], "srv-nonce-1");
    assert_eq!(proofs[2]["nonce"], "srv-nonce-1");
    assert_ne!(proofs[0]["jti"], proofs[1]["jti"]);
    assert!(
        source.invalidated().is_empty(),
        "a nonce request is not a bad token"
    );
    assert_eq!(
        source.fetches(),
        2,
        "one token per request, none extra for the nonce"
    );
    assert_eq!(
        key.nonce_for(&Url::parse(&url).unwrap()).as_deref(),
        Some("srv-nonce-1")
    );
}

#[tokio::test]
async fn nonce_challenges_forever_are_answered_once() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(WantsNonce {
            nonce: None,
            calls: AtomicUsize::new(0),
        })
        .expect(2)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_unusable_nonce_is_not_retried() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"DPoP error="use_dpop_nonce""#)
                .insert_header("dpop-nonce", "has spaces in it"),
        )
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = AuthChallenge::from_response(r.status(), r.headers()).unwrap();
    assert!(matches!(challenge.error(), Some(Error::Dpop(_))));
    assert!(source.invalidated().is_empty());
}

#[tokio::test]
async fn a_nonce_on_any_org_response_is_used_in_the_next_proof() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).insert_header("dpop-nonce", "fresh-nonce"))
        .expect(2)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::uncached(s.org_url.clone(), source), None);
    let url = format!("{}/api/v1/users", s.org.uri());
    c.get(&url).send().await.unwrap();
    c.get(&url).send().await.unwrap();
    let org = received(&s.org).await;
    let second = verify_proof(
        header_of(&org[1], "dpop").unwrap(),
        "GET",
        &url,
        "dpop-secret",
        &key,
    );
    assert_eq!(second["nonce"], "fresh-nonce");
}

#[tokio::test]
async fn a_hostile_www_authenticate_is_retried_once_and_reported_typed() {
    let s = servers().await;
    let huge = format!(
        r#"DPoP error="use_dpop_nonce", error_description="{}""#,
        "a".repeat(64 * 1024)
    );
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", huge.as_str())
                .insert_header("dpop-nonce", "n"),
        )
        .expect(2)
        .mount(&s.org)
        .await;
    // Unreadable (too long), so it says nothing against the token: a new
    // one is tried once.
    let source = Tokens::new(two_dpop_tokens(&DpopKey::generate()));
    let c = client(OktaAuth::uncached(s.org_url.clone(), source), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = AuthChallenge::from_response(r.status(), r.headers()).unwrap();
    assert!(matches!(
        challenge.error(),
        Some(Error::MalformedResponse { status: Some(s), .. }) if *s == 401
    ));
}
