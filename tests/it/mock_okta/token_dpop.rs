//! DPoP at the token endpoint: the nonce handshake binds the token, nonces
//! age, proofs are optional unless required, and every RFC 9449 rule of a
//! proof is checked.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, get_current_timestamp};
use okta_auth::DpopKey;
use okta_auth::http::Method;
use okta_auth::testing::MockOkta;
use serde_json::{Value, json};

use super::{APP, EC256, READ, Signer, get, grant, org, raw_jwt, rsa_proof};

#[tokio::test]
async fn dpop_handshake_binds_the_token_and_consumes_the_first_jti() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let signer = Signer::ec256();
    let dpop = DpopKey::generate();

    let first = signer.assertion(APP, endpoint.as_str(), |_| {});
    let proof = dpop.proof(&Method::POST, &endpoint, None, None).unwrap();
    let a = grant(&endpoint, &first, READ, Some(&proof)).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        (
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof."
        )
    );
    let nonce = a.header("dpop-nonce").to_owned();
    assert_eq!(nonce, okta.current_nonce());

    // The assertion's jti was consumed by the 400.
    let proof = dpop
        .proof(&Method::POST, &endpoint, Some(&nonce), None)
        .unwrap();
    let a = grant(&endpoint, &first, READ, Some(&proof)).await;
    assert_eq!(
        a.error(),
        (
            "invalid_client",
            "The client_assertion token has already been used."
        )
    );

    let proof = dpop
        .proof(&Method::POST, &endpoint, Some(&nonce), None)
        .unwrap();
    let fresh = signer.assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &fresh, READ, Some(&proof)).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["token_type"], "DPoP");
    let token = a.token().to_owned();
    let last = okta.received().pop().unwrap();
    assert_eq!(last.proof_claims.unwrap()["nonce"], nonce.as_str());
    assert_eq!(okta.token_requests(APP), 3);

    // The token works only as DPoP, with a proof by the same key.
    let users = okta.org_url().endpoint("api/v1/users");
    let proof = dpop
        .proof(&Method::GET, &users, None, Some(&token))
        .unwrap();
    let r = get(&users, &format!("DPoP {token}"), Some(&proof)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = get(&users, &format!("Bearer {token}"), None).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("DPoP "));
    let other = DpopKey::generate();
    let proof = other
        .proof(&Method::GET, &users, None, Some(&token))
        .unwrap();
    let r = get(&users, &format!("DPoP {token}"), Some(&proof)).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .contains("error=\"invalid_dpop_proof\"")
    );
}

#[tokio::test]
async fn a_missing_proof_is_invalid_dpop_proof() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        None,
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        (
            "invalid_dpop_proof",
            "The DPoP proof JWT header is missing."
        )
    );
}

#[tokio::test]
async fn an_old_nonce_gets_a_new_one() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let old = okta.current_nonce();
    let new = okta.rotate_nonce();
    assert_ne!(old, new);
    let proof = DpopKey::generate()
        .proof(&Method::POST, &endpoint, Some(&old), None)
        .unwrap();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(a.error().0, "use_dpop_nonce");
    assert_eq!(a.header("dpop-nonce"), new);
    let proof = DpopKey::generate()
        .proof(&Method::POST, &endpoint, Some("made-up-nonce"), None)
        .unwrap();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(
        a.error(),
        (
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof."
        )
    );
    assert_eq!(a.header("dpop-nonce"), new);
}

#[tokio::test]
async fn a_proof_is_optional_without_require_dpop_and_then_binds() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let key = DpopKey::generate();
    let proof = key.proof(&Method::POST, &endpoint, None, None).unwrap();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["token_type"], "DPoP");
}

/// Sends a hand-built proof to the token endpoint and returns the error.
async fn token_proof_error(okta: &MockOkta, header: Value, claims: Value) -> (String, String) {
    let endpoint = okta.token_endpoint();
    let key = EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap();
    let proof = raw_jwt(&header, &claims, &key, Algorithm::ES256);
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(a.status, 400, "{:?}", a.body);
    let (e, d) = a.error();
    (e.to_owned(), d.to_owned())
}

#[tokio::test]
async fn proofs_are_checked_per_rfc_9449() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let key = EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap();
    let jwk =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap()).unwrap();
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    let now = get_current_timestamp();
    let nonce = okta.current_nonce();
    let claims = |jti: &str| json!({"htm": "POST", "htu": endpoint.as_str(), "iat": now, "jti": jti, "nonce": nonce});

    let invalid = |d: &str| ("invalid_dpop_proof".to_owned(), d.to_owned());
    let mut h = header.clone();
    h["typ"] = json!("JWT");
    assert_eq!(
        token_proof_error(&okta, h, claims("a")).await,
        invalid("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.")
    );
    let mut private = header.clone();
    private["jwk"]["d"] = json!("c2VjcmV0");
    assert_eq!(
        token_proof_error(&okta, private, claims("b")).await,
        invalid("The DPoP proof JWT 'jwk' header must not contain a private key.")
    );
    let mut no_jwk = header.clone();
    no_jwk.as_object_mut().unwrap().remove("jwk");
    assert_eq!(
        token_proof_error(&okta, no_jwk, claims("c")).await,
        invalid("The DPoP proof JWT 'jwk' header is missing.")
    );
    let mut c = claims("d");
    c["htm"] = json!("GET");
    assert_eq!(
        token_proof_error(&okta, header.clone(), c).await,
        invalid("The DPoP proof JWT 'htm' claim is invalid.")
    );
    let mut c = claims("e");
    c["htu"] = json!(format!("{}/oauth2/default/v1/token", okta.uri()));
    assert_eq!(
        token_proof_error(&okta, header.clone(), c).await,
        invalid("The DPoP proof JWT 'htu' claim is invalid.")
    );
    let mut c = claims("f");
    c["iat"] = json!(now - 400);
    assert_eq!(
        token_proof_error(&okta, header.clone(), c).await,
        invalid("The DPoP proof JWT was issued too long ago.")
    );
    let mut c = claims("g");
    c["iat"] = json!(now + 400);
    assert_eq!(
        token_proof_error(&okta, header.clone(), c).await,
        invalid("The DPoP proof JWT was issued in the future.")
    );
    let mut c = claims("h");
    c.as_object_mut().unwrap().remove("jti");
    assert_eq!(
        token_proof_error(&okta, header.clone(), c).await,
        invalid("The DPoP proof JWT 'jti' claim is missing.")
    );
    // A proof signed by another key than its jwk.
    let mut foreign = header.clone();
    foreign["jwk"] = serde_json::to_value(DpopKey::generate().public_jwk()).unwrap();
    assert_eq!(
        token_proof_error(&okta, foreign, claims("i")).await,
        invalid("The DPoP proof JWT signature is invalid.")
    );
    // A good proof, then the same jti again.
    let proof = raw_jwt(&header, &claims("once"), &key, Algorithm::ES256);
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&proof),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(
        token_proof_error(&okta, header.clone(), claims("once")).await,
        (
            "dpop_proof_already_used".to_owned(),
            "The DPoP proof JWT has already been used.".to_owned()
        )
    );
    // A symmetric alg.
    let hs = raw_jwt(
        &json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}),
        &claims("hs"),
        &EncodingKey::from_secret(b"k").unwrap(),
        Algorithm::HS256,
    );
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        Some(&hs),
    )
    .await;
    assert_eq!(
        a.error(),
        (
            "invalid_dpop_proof",
            "The DPoP proof JWT 'alg' header is not supported."
        )
    );
}

/// Okta takes DPoP proofs signed RS256/384/512 or ES256/384/512 only: its
/// metadata's `dpop_signing_alg_values_supported` and its own challenge
/// (`DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512"`, okta-sdk-nodejs#453)
/// say so. A `PS*` proof is refused, not bound into a token.
#[tokio::test]
async fn a_ps256_dpop_proof_is_refused_at_the_token_endpoint() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let nonce = okta.current_nonce();
    let assertion = || Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});

    for alg in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
        let proof = rsa_proof(alg, "POST", endpoint.as_str(), Some(&nonce), None);
        let a = grant(&endpoint, &assertion(), READ, Some(&proof)).await;
        assert_eq!(a.status, 400, "a {alg:?} proof was accepted: {}", a.body);
        assert_eq!(
            a.error(),
            (
                "invalid_dpop_proof",
                "The DPoP proof JWT 'alg' header is not supported."
            )
        );
    }

    // Control: the same key and claims, signed RS256, are fine.
    let rs256 = rsa_proof(
        Algorithm::RS256,
        "POST",
        endpoint.as_str(),
        Some(&nonce),
        None,
    );
    let a = grant(&endpoint, &assertion(), READ, Some(&rs256)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token_type"], "DPoP");
}
