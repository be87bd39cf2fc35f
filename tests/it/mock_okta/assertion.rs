//! The token endpoint's client assertion: the happy paths for every
//! algorithm, and each `private_key_jwt` rule that makes an assertion
//! `invalid_client` (signature, `kid`, `aud`, `exp`, `iat`, `iss`/`sub`,
//! `jti` and its replay, algorithms, keys at registration).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use okta_auth::http::Method;
use okta_auth::testing::{MockOkta, ServiceApp};
use serde_json::json;

use super::{APP, READ, RSA1024, Signer, get, grant, org, ours, rejected_assertion};

#[tokio::test]
async fn rs256_assertion_gets_a_bearer_token_that_reads_users() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    assert_eq!(endpoint.as_str(), format!("{}/oauth2/v1/token", okta.uri()));
    let assertion = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["token_type"], "Bearer");
    assert_eq!(a.body["expires_in"], 3600);
    assert_eq!(a.body["scope"], READ);
    assert_eq!(a.header("cache-control"), "no-store");
    assert_eq!(okta.token_requests(APP), 1);

    let seen = okta.received();
    let last = seen.last().unwrap();
    assert_eq!(last.method, Method::POST);
    assert_eq!(last.path, "/oauth2/v1/token");
    assert_eq!(last.client_id.as_deref(), Some(APP));
    assert_eq!(
        last.assertion_claims.as_ref().unwrap()["aud"],
        endpoint.as_str()
    );
    assert_eq!(last.assertion_header.as_ref().unwrap()["kid"], "rsa-1");
    assert_eq!(last.status, 200);

    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("Bearer {}", a.token()), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body[1]["profile"]["login"], "user@example.com");
    assert_eq!(okta.api_requests(), 1);
}

#[tokio::test]
async fn every_supported_algorithm_is_verified() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    for signer in [
        Signer::rsa(Algorithm::RS384),
        Signer::rsa(Algorithm::RS512),
        Signer::ec256(),
        Signer::ec384(),
    ] {
        let assertion = signer.assertion(APP, endpoint.as_str(), |_| {});
        let a = grant(&endpoint, &assertion, READ, None).await;
        assert_eq!(a.status, 200, "{:?}: {:?}", signer.alg, a.body);
        assert_eq!(a.body["token_type"], "Bearer");
    }
}

#[tokio::test]
async fn a_single_key_needs_no_kid() {
    let okta = MockOkta::start().await;
    let mut signer = Signer::ec256();
    signer.kid = None;
    okta.register_service_app(ServiceApp::new(APP).jwk(signer.jwk()).scopes([READ]))
        .unwrap();
    let endpoint = okta.token_endpoint();
    let a = grant(
        &endpoint,
        &signer.assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

#[tokio::test]
async fn a_wrong_signature_is_invalid_client() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let good = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), |_| {});
    // Same header and signature, other claims.
    let parts: Vec<&str> = good.split('.').collect();
    let now = get_current_timestamp();
    let claims =
        json!({"iss": APP, "sub": APP, "aud": endpoint.as_str(), "exp": now + 60, "jti": "other"});
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    let a = grant(&endpoint, &forged, READ, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.error(),
        (
            "invalid_client",
            "The client_assertion signature is invalid."
        )
    );
    // A key of the app, but not the one the kid names.
    let mut liar = Signer::ec256();
    liar.kid = Some("ec-384".into());
    liar.alg = Algorithm::ES256;
    let a = grant(
        &endpoint,
        &liar.assertion(APP, endpoint.as_str(), |_| {}),
        READ,
        None,
    )
    .await;
    assert_eq!(
        a.error(),
        (
            "invalid_client",
            "The client_assertion signature is invalid."
        )
    );
}

#[tokio::test]
async fn an_unknown_or_missing_kid_is_invalid_client() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    for kid in [Some("nope".to_owned()), None] {
        let mut signer = Signer::rsa(Algorithm::RS256);
        signer.kid = kid;
        let a = grant(
            &endpoint,
            &signer.assertion(APP, endpoint.as_str(), |_| {}),
            READ,
            None,
        )
        .await;
        assert_eq!(a.status, 401);
        assert_eq!(
            a.error(),
            ("invalid_client", "The client_assertion JWT kid is invalid.")
        );
    }
}

#[tokio::test]
async fn a_wrong_audience_is_invalid_client() {
    let okta = org(false).await;
    let with_slash = format!("{}/", okta.token_endpoint());
    let custom = okta.org_url().custom_token_endpoint("default").unwrap();
    for aud in [with_slash.as_str(), custom.as_str(), okta.uri().as_str()] {
        let aud = aud.to_owned();
        rejected_assertion(
            move |c| c["aud"] = json!(aud),
            "The audience claim for client_assertion must be the endpoint invoked for the request.",
        )
        .await;
    }
}

#[tokio::test]
async fn exp_more_than_an_hour_ahead_is_invalid_client() {
    let too_far = "The client_assertion token has an expiration too far into the future.";
    rejected_assertion(
        |c| c["exp"] = json!(get_current_timestamp() + 3700),
        too_far,
    )
    .await;
    // Exactly 60 minutes after iat: Okta refuses it under the slightest skew.
    rejected_assertion(
        |c| c["exp"] = json!(c["iat"].as_u64().unwrap() + 3600),
        too_far,
    )
    .await;
}

/// Okta refuses an assertion whose `exp` is a full hour ahead ("exactly
/// 60 min is rejected under slight clock skew", OKTA.md, client
/// credentials), `iat` or not (Okta's `iat` is optional): without `iat`,
/// `exp` is measured from the org's clock.
#[tokio::test]
async fn an_assertion_expiring_a_full_hour_ahead_is_refused_without_iat_too() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let users = okta.org_url().endpoint("api/v1/users");
    let signer = Signer::ec256();
    let without_iat = |exp: u64| {
        signer.assertion(APP, endpoint.as_str(), |c| {
            c.as_object_mut().unwrap().remove("iat");
            c["exp"] = json!(exp);
        })
    };
    // The fake org's clock, in Unix seconds, from an answer's `Date`.
    let date = |a: &super::Answer| {
        httpdate::parse_http_date(a.header("date"))
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    // Retry until the fake org's clock is on the second the assertion was
    // made for (the `Date` of the probe and of the answer agree).
    let mut refused = false;
    for _ in 0..5 {
        let now = date(&get(&users, "SSWS nobody", None).await);
        let a = grant(&endpoint, &without_iat(now + 3600), READ, None).await;
        if date(&a) != now {
            continue;
        }
        assert_eq!(
            a.status, 401,
            "exp = now + 3600 without iat was accepted: {}",
            a.body
        );
        assert_eq!(
            a.error(),
            (
                "invalid_client",
                "The client_assertion token has an expiration too far into the future."
            )
        );
        refused = true;
        break;
    }
    assert!(refused, "the clock never held still for one second");

    // Control: without iat, an `exp` well inside the hour is fine.
    let now = date(&get(&users, "SSWS nobody", None).await);
    let a = grant(&endpoint, &without_iat(now + 3000), READ, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn exp_missing_or_past_is_invalid_client() {
    rejected_assertion(
        |c| {
            c.as_object_mut().unwrap().remove("exp");
        },
        "The client_assertion token must have an exp claim.",
    )
    .await;
    rejected_assertion(
        |c| {
            c["iat"] = json!(get_current_timestamp() - 900);
            c["exp"] = json!(get_current_timestamp() - 600);
        },
        "The client_assertion token is expired.",
    )
    .await;
}

#[tokio::test]
async fn iat_in_the_future_is_invalid_client() {
    rejected_assertion(
        |c| {
            c["iat"] = json!(get_current_timestamp() + 120);
            c["exp"] = json!(get_current_timestamp() + 300);
        },
        "The client_assertion token was issued in the future.",
    )
    .await;
}

#[tokio::test]
async fn iss_and_sub_must_both_be_the_client() {
    rejected_assertion(
        |c| c["sub"] = json!("someone-else"),
        "The client_assertion token's iss and sub claims must both be the client_id.",
    )
    .await;
    rejected_assertion(
        |c| c["iss"] = json!("0oa-unknown"),
        "Client authentication failed. Either the client or the client credentials are invalid.",
    )
    .await;
}

#[tokio::test]
async fn a_missing_jti_is_invalid_client() {
    rejected_assertion(
        |c| {
            c.as_object_mut().unwrap().remove("jti");
        },
        "The client_assertion token must have a jti claim.",
    )
    .await;
}

#[tokio::test]
async fn a_replayed_jti_is_invalid_client() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});
    assert_eq!(grant(&endpoint, &assertion, READ, None).await.status, 200);
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.error(),
        (
            "invalid_client",
            "The client_assertion token has already been used."
        )
    );
    assert_eq!(okta.token_requests(APP), 2);
}

#[tokio::test]
async fn symmetric_and_unknown_algorithms_are_refused() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let now = get_current_timestamp();
    let claims = json!({"iss": APP, "sub": APP, "aud": endpoint.as_str(), "iat": now, "exp": now + 60, "jti": "hs"});
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"shared").unwrap(),
    )
    .unwrap();
    let a = grant(&endpoint, &hs, READ, None).await;
    assert_eq!(
        a.error(),
        (
            "invalid_client",
            "The client_assertion token has an unsupported signing algorithm."
        )
    );
    let a = grant(&endpoint, "not-a-jwt", READ, None).await;
    assert_eq!(
        a.error(),
        ("invalid_client", "The client_assertion token is malformed.")
    );
}

#[tokio::test]
async fn short_rsa_keys_and_duplicate_kids_are_refused_at_registration() {
    let okta = MockOkta::start().await;
    let key = EncodingKey::from_rsa_pem(RSA1024.as_bytes()).unwrap();
    let short = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    let err = okta
        .register_service_app(ServiceApp::new(APP).jwk(ours(&short)))
        .unwrap_err();
    assert!(matches!(err, okta_auth::Error::Key(_)), "{err}");
    let dup = ServiceApp::new(APP)
        .jwk(Signer::ec256().jwk())
        .jwk(Signer::ec256().jwk());
    assert!(okta.register_service_app(dup).is_err());
}
