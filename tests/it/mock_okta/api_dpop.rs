//! DPoP at the management API: resource proofs need `ath`, a URI `htu` and
//! a fresh `jti`, nonces when required, one `Authorization` header; what
//! `AccessToken::authorize` builds passes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, get_current_timestamp};
use okta_auth::DpopKey;
use okta_auth::http::Method;
use okta_auth::testing::MockOkta;
use okta_auth::url::Url;
use serde_json::json;

use super::{APP, Answer, EC256, READ, Signer, bearer_token, get, grant, org, raw_jwt, rsa_proof};

async fn dpop_token(okta: &MockOkta, key: &DpopKey) -> String {
    let endpoint = okta.token_endpoint();
    let proof = key
        .proof(&Method::POST, &endpoint, Some(&okta.current_nonce()), None)
        .unwrap();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(a.body["token_type"], "DPoP", "{:?}", a.body);
    a.token().to_owned()
}

#[tokio::test]
async fn resource_proofs_need_ath_htu_and_a_fresh_jti() {
    let okta = org(true).await;
    let key = DpopKey::generate();
    let token = dpop_token(&okta, &key).await;
    let users = okta.org_url().endpoint("api/v1/users");
    let auth = format!("DPoP {token}");
    let challenge = |r: &Answer| r.header("www-authenticate").to_owned();

    let r = get(&users, &auth, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["errorCode"], "E0000011");
    assert!(challenge(&r).contains("The DPoP proof JWT header is missing."));

    let wrong_ath = key
        .proof(&Method::GET, &users, None, Some("other-token"))
        .unwrap();
    let r = get(&users, &auth, Some(&wrong_ath)).await;
    assert_eq!(r.status, 401);
    assert!(challenge(&r).starts_with("DPoP "));
    assert!(
        challenge(&r).contains("dpop_proof_invalid_ath"),
        "{}",
        challenge(&r)
    );

    let me = okta.org_url().endpoint("api/v1/users/me");
    let wrong_htu = key.proof(&Method::GET, &me, None, Some(&token)).unwrap();
    let r = get(&users, &auth, Some(&wrong_htu)).await;
    assert!(challenge(&r).contains("'htu' claim is invalid"));

    let wrong_htm = key
        .proof(&Method::POST, &users, None, Some(&token))
        .unwrap();
    assert_eq!(get(&users, &auth, Some(&wrong_htm)).await.status, 401);

    let good = key.proof(&Method::GET, &users, None, Some(&token)).unwrap();
    assert_eq!(get(&users, &auth, Some(&good)).await.status, 200);
    let r = get(&users, &auth, Some(&good)).await;
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("dpop_proof_already_used"));

    // A query string is not part of htu.
    let mut with_query = users.clone();
    with_query.set_query(Some("limit=1"));
    let proof = key
        .proof(&Method::GET, &with_query, None, Some(&token))
        .unwrap();
    assert_eq!(get(&with_query, &auth, Some(&proof)).await.status, 200);

    okta.revoke(&token);
    let proof = key.proof(&Method::GET, &users, None, Some(&token)).unwrap();
    let r = get(&users, &auth, Some(&proof)).await;
    assert_eq!(r.status, 401);
    assert!(challenge(&r).contains("invalid_token"));
}

#[tokio::test]
async fn two_authorization_headers_on_an_api_request_are_refused() {
    let okta = org(false).await;
    okta.register_api_token("00api-token");
    let bearer = format!("Bearer {}", bearer_token(&okta, READ).await);
    let me = okta.org_url().endpoint("api/v1/users/me");
    assert_eq!(get(&me, "SSWS 00api-token", None).await.status, 200);
    assert_eq!(get(&me, &bearer, None).await.status, 200);
    for (first, second) in [
        ("SSWS 00api-token", "SSWS 00api-token"),
        ("SSWS 00api-token", bearer.as_str()),
        (bearer.as_str(), "SSWS 00api-token"),
        (bearer.as_str(), "SSWS 00wrong"),
    ] {
        let r = Answer::read(
            reqwest::Client::new()
                .get(me.clone())
                .header("Authorization", first)
                .header("Authorization", second)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 401, "{first} + {second}: {:?}", r.body);
        assert_eq!(r.body["errorCode"], "E0000011");
        let challenge = r.header("www-authenticate");
        assert!(
            challenge.contains("error=\"invalid_request\""),
            "{challenge}"
        );
        assert!(
            challenge.contains("Only one Authorization header may be sent."),
            "{challenge}"
        );
    }
    assert_eq!(okta.api_requests(), 6);
}

#[tokio::test]
async fn resource_proofs_must_carry_a_uri_htu() {
    // The DPoP key as the test holds it (the PEM fixture), so it can sign
    // proofs no library would build; the assertion uses the RSA key.
    let okta = org(true).await;
    let key = DpopKey::from_pem(EC256).unwrap();
    let signing = EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap();
    let endpoint = okta.token_endpoint();
    let proof = key
        .proof(&Method::POST, &endpoint, Some(&okta.current_nonce()), None)
        .unwrap();
    let assertion = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &assertion, READ, Some(&proof)).await;
    assert_eq!(a.body["token_type"], "DPoP", "{:?}", a.body);
    let token = a.token().to_owned();
    let auth = format!("DPoP {token}");
    let hand_made = |htu: &str| {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()});
        let claims = json!({
            "htm": "GET", "htu": htu, "iat": get_current_timestamp(),
            "jti": uuid::Uuid::new_v4().to_string(),
            "ath": URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes())),
        });
        raw_jwt(&header, &claims, &signing, Algorithm::ES256)
    };
    let base = okta.uri();

    // A hand-made proof passes where its htu is right…
    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(
        &users,
        &auth,
        Some(&hand_made(&format!("{base}/api/v1/users"))),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.header("www-authenticate"));

    // …and is refused where its htu is no URI, holds a query or a fragment,
    // or is not the request's htu by the rule (Okta wants `@`, not `%40`).
    // The crate's own proof for the same request passes authentication
    // (then 404: the fake org has no such user).
    for (path, htu) in [
        ("api/v1/users/a%20b", "api/v1/users/a b"),
        ("api/v1/users/a%23b", "api/v1/users/a#b"),
        ("api/v1/users/a%3Fb", "api/v1/users/a?b"),
        ("api/v1/users/caf%C3%A9", "api/v1/users/café"),
        ("api/v1/users/a%40b", "api/v1/users/a%40b"),
    ] {
        let url = Url::parse(&format!("{base}/{path}")).unwrap();
        let r = get(&url, &auth, Some(&hand_made(&format!("{base}/{htu}")))).await;
        assert_eq!(r.status, 401, "{htu}: {:?}", r.body);
        assert_eq!(r.body["errorCode"], "E0000011");
        let challenge = r.header("www-authenticate");
        assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
        assert!(challenge.contains("'htu' claim is invalid"), "{challenge}");

        let ours = key.proof(&Method::GET, &url, None, Some(&token)).unwrap();
        let r = get(&url, &auth, Some(&ours)).await;
        assert_eq!(r.status, 404, "{path}: {}", r.header("www-authenticate"));
        assert_eq!(r.body["errorCode"], "E0000007");
    }
}

#[tokio::test]
async fn resource_nonce_when_required() {
    let okta = org(true).await;
    okta.require_resource_nonce(true);
    let key = DpopKey::generate();
    let token = dpop_token(&okta, &key).await;
    let users = okta.org_url().endpoint("api/v1/users");
    let auth = format!("DPoP {token}");
    let proof = key.proof(&Method::GET, &users, None, Some(&token)).unwrap();
    let r = get(&users, &auth, Some(&proof)).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .contains("error=\"use_dpop_nonce\"")
    );
    let nonce = r.header("dpop-nonce").to_owned();
    assert_eq!(nonce, okta.current_nonce());
    let proof = key
        .proof(&Method::GET, &users, Some(&nonce), Some(&token))
        .unwrap();
    assert_eq!(get(&users, &auth, Some(&proof)).await.status, 200);
}

#[tokio::test]
async fn an_authorize_header_from_access_token_passes() {
    // The crate's own AccessToken::authorize produces what the org wants.
    let okta = org(true).await;
    let key = DpopKey::generate();
    let secret = dpop_token(&okta, &key).await;
    let token = okta_auth::AccessToken::dpop(secret, key).unwrap();
    let users = okta.org_url().endpoint("api/v1/users");
    let headers = token.authorize(&Method::GET, &users).unwrap();
    let r = Answer::read(
        reqwest::Client::new()
            .get(users)
            .headers(headers)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// The `algs` of the fake org's `DPoP` challenge are the algorithms its
/// proof check takes: Okta's (no `PS*`), but for ES512, which the mock
/// cannot verify.
#[tokio::test]
async fn the_dpop_challenge_lists_only_the_algorithms_okta_takes() {
    let okta = org(true).await;
    let token = dpop_token(&okta, &DpopKey::generate()).await;
    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("DPoP {token}"), None).await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate");
    let algs = challenge
        .split("algs=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no algs in {challenge}"));
    assert_eq!(algs, "RS256 RS384 RS512 ES256 ES384", "{challenge}");
}

/// A resource request's proof is held to the same algorithms: a `PS256`
/// proof by the very key the token is bound to is refused.
#[tokio::test]
async fn a_ps256_dpop_proof_is_refused_on_a_resource_request() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let proof = rsa_proof(
        Algorithm::RS256,
        "POST",
        endpoint.as_str(),
        Some(&okta.current_nonce()),
        None,
    );
    let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &assertion, READ, Some(&proof)).await;
    assert_eq!(a.body["token_type"], "DPoP", "{:?}", a.body);
    let token = a.token().to_owned();
    let auth = format!("DPoP {token}");
    let users = okta.org_url().endpoint("api/v1/users");

    for alg in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
        let proof = rsa_proof(alg, "GET", users.as_str(), None, Some(&token));
        let r = get(&users, &auth, Some(&proof)).await;
        assert_eq!(r.status, 401, "a {alg:?} proof was accepted");
        let challenge = r.header("www-authenticate");
        assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
        assert!(
            challenge.contains("'alg' header is not supported"),
            "{challenge}"
        );
    }
    let rs256 = rsa_proof(Algorithm::RS256, "GET", users.as_str(), None, Some(&token));
    let r = get(&users, &auth, Some(&rs256)).await;
    assert_eq!(r.status, 200, "{}", r.header("www-authenticate"));
}
