//! The key cache: rotation at the issuer, floods of unknown `kid`s, a
//! failing or misbehaving key set endpoint, `Cache-Control`.

use std::time::Duration;

use okta_auth::verify::{
    AccessTokenVerifier, DEFAULT_JWKS_MAX_AGE, JWKS_MAX_BACKOFF, MAX_JWKS_BYTES, MAX_JWKS_KEYS,
    MIN_JWKS_REFETCH_INTERVAL, RejectReason,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;

fn verifier(issuer: &Issuer) -> AccessTokenVerifier {
    issuer.builder().build().unwrap()
}

async fn reason(verifier: &AccessTokenVerifier, token: &str) -> Result<(), RejectReason> {
    verifier
        .verify(token)
        .await
        .map(|_| ())
        .map_err(|r| r.reason())
}

/// Waits (real time, bounded) until the issuer has served `n` key sets: a
/// background refresh runs on its own task.
async fn until_jwks_requests(issuer: &Issuer, n: usize) {
    let wait = async {
        while issuer.jwks_requests().await < n {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("the background refresh never came");
}

#[tokio::test]
async fn a_newly_published_key_is_accepted_after_exactly_one_refetch() {
    let issuer = Issuer::okta().await;
    let verifier = verifier(&issuer);
    let old = issuer.token_with(json!({}));
    verifier.verify(&old).await.unwrap();
    assert_eq!(issuer.jwks_requests().await, 1);

    let next = Key::rotated("k2");
    issuer.publish(&[&Key::issuer().jwk, &next.jwk]);
    let new = next.sign(&header("k2"), &issuer.claims());
    // Right after a fetch, an unknown kid does not fetch again.
    assert_eq!(
        reason(&verifier, &new).await,
        Err(RejectReason::UnknownKeyId)
    );
    assert_eq!(issuer.jwks_requests().await, 1);

    skip(MIN_JWKS_REFETCH_INTERVAL).await;
    let claims = verifier.verify(&new).await.unwrap();
    assert_eq!(claims.cid(), Some(CLIENT_ID));
    assert_eq!(issuer.jwks_requests().await, 2, "exactly one refetch");
    verifier.verify(&old).await.unwrap();
    verifier.verify(&new).await.unwrap();
    assert_eq!(issuer.jwks_requests().await, 2);

    // The old key retired at the issuer: its tokens fail once the set is
    // fetched again.
    issuer.publish(&[&next.jwk]);
    skip(DEFAULT_JWKS_MAX_AGE).await;
    verifier
        .verify(&next.sign(&header("k2"), &issuer.claims()))
        .await
        .unwrap();
    until_jwks_requests(&issuer, 3).await;
    verifier.load_keys().await.unwrap();
    let old = issuer.token_with(json!({}));
    assert_eq!(
        reason(&verifier, &old).await,
        Err(RejectReason::UnknownKeyId)
    );
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_at_most_once_per_interval() {
    let issuer = Issuer::okta().await;
    let verifier = verifier(&issuer);
    verifier.load_keys().await.unwrap();
    assert_eq!(issuer.jwks_requests().await, 1);
    let claims = issuer.claims();
    let flood = |n: usize| {
        (0..n)
            .map(|_| {
                let kid = uuid::Uuid::new_v4().to_string();
                compact(&header(&kid), &claims, |_| b64([1u8; 256]))
            })
            .collect::<Vec<_>>()
    };
    let run = |tokens: Vec<String>| {
        let verifier = verifier.clone();
        async move {
            let mut tasks = tokio::task::JoinSet::new();
            for token in tokens {
                let verifier = verifier.clone();
                tasks.spawn(async move { reason(&verifier, &token).await });
            }
            while let Some(verdict) = tasks.join_next().await {
                assert_eq!(verdict.unwrap(), Err(RejectReason::UnknownKeyId));
            }
        }
    };
    // Within the interval of the first fetch: no fetch at all.
    run(flood(10_000)).await;
    assert_eq!(issuer.jwks_requests().await, 1);
    // Each interval: one fetch, however many tokens.
    for round in 2..=3 {
        skip(MIN_JWKS_REFETCH_INTERVAL).await;
        run(flood(10_000)).await;
        assert_eq!(issuer.jwks_requests().await, round);
    }
    // The issuer's own tokens still pass, with no fetch.
    verifier
        .verify(&issuer.token_with(json!({})))
        .await
        .unwrap();
    assert_eq!(issuer.jwks_requests().await, 3);
}

#[tokio::test]
async fn a_failing_key_set_endpoint_does_not_stop_verification_with_known_keys() {
    let issuer = Issuer::okta().await;
    let verifier = verifier(&issuer);
    verifier.load_keys().await.unwrap();
    issuer.answer(503, "{}");
    skip(DEFAULT_JWKS_MAX_AGE + Duration::from_secs(1)).await;
    // Stale: served, and refreshed in the background, which fails.
    let token = issuer.token_with(json!({}));
    verifier.verify(&token).await.unwrap();
    until_jwks_requests(&issuer, 2).await;
    // Time stands still (the backoff is short, the machine may be slow).
    tokio::time::pause();
    for _ in 0..100 {
        verifier.verify(&token).await.unwrap();
    }
    // An unknown kid is still just unknown (not a 503) while keys are known.
    let unknown = Key::issuer().sign(&header("k9"), &issuer.claims());
    assert_eq!(
        reason(&verifier, &unknown).await,
        Err(RejectReason::UnknownKeyId)
    );
    // Backed off: no hammering however many tokens come.
    assert_eq!(issuer.jwks_requests().await, 2);
    tokio::time::resume();
    skip(JWKS_MAX_BACKOFF).await;
    issuer.publish(&[&Key::issuer().jwk]);
    verifier
        .verify(&issuer.token_with(json!({})))
        .await
        .unwrap();
    until_jwks_requests(&issuer, 3).await;
}

#[tokio::test]
async fn a_key_set_that_cannot_be_had_is_a_503_with_its_cause_and_is_not_hammered() {
    let oversized = format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWKS_BYTES));
    let ec = Key::ec("e");
    let too_many = jwks_json(
        &(0..=MAX_JWKS_KEYS)
            .map(|i| ec.jwk.clone().with_kid(i.to_string()))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>(),
    );
    let leaked =
        r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"AAAA","y":"AAAA","d":"AAAA"}]}"#;
    let cases: [(u16, &str, &str); 8] = [
        (500, "{}", "http 500"),
        (429, "{}", "rate limited"),
        (302, "", "redirect"),
        (200, "<html>", "invalid jwk"),
        (200, &oversized, "larger than"),
        (200, &too_many, "more than 64 keys"),
        (200, leaked, "private member"),
        (
            200,
            r#"{"keys":[{"kty":"oct","kid":"h"}]}"#,
            "no usable signature key",
        ),
    ];
    for (status, body, why) in cases {
        let issuer = Issuer::okta().await;
        issuer.answer(status, body);
        let verifier = verifier(&issuer);
        let token = issuer.token_with(json!({}));
        for attempt in 0..3 {
            if attempt == 1 {
                // Time stands still within the (short) backoff.
                tokio::time::pause();
            }
            let rejection = verifier.verify(&token).await.unwrap_err();
            assert_eq!(rejection.reason(), RejectReason::KeysUnavailable, "{why}");
            assert_eq!(rejection.status(), 503, "{why}");
            assert!(rejection.www_authenticate().is_none());
            let cause = rejection.error().expect("the cause").to_string();
            assert!(cause.contains(why), "{why}: {cause}");
        }
        assert_eq!(issuer.jwks_requests().await, 1, "{why}: backed off");
        tokio::time::resume();
        // The endpoint recovers: so does the verifier, after the backoff.
        issuer.publish(&[&Key::issuer().jwk]);
        skip(JWKS_MAX_BACKOFF).await;
        verifier.verify(&token).await.unwrap();
    }
}

#[tokio::test]
async fn metadata_that_names_another_issuer_is_refused() {
    let issuer = Issuer::okta().await;
    let other = okta_auth::AccessTokenVerifier::builder(format!(
        "{}/oauth2/aus2other",
        issuer.server.uri()
    ))
    .audience(AUDIENCE)
    .jwks_uri(
        format!("{}/oauth2/default/v1/keys", issuer.server.uri())
            .parse()
            .unwrap(),
    )
    .build()
    .unwrap();
    // With a jwks_uri given, no metadata is read.
    other.load_keys().await.unwrap();
    let meta = "/oauth2/default/.well-known/oauth-authorization-server";
    assert_eq!(issuer.requests(meta).await, 0);

    // Metadata for /oauth2/default served where /oauth2/aus3spoof is asked.
    wiremock::Mock::given(wiremock::matchers::path(
        "/oauth2/aus3spoof/.well-known/oauth-authorization-server",
    ))
    .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
        "issuer": issuer.issuer,
        "jwks_uri": format!("{}/v1/keys", issuer.issuer),
    })))
    .mount(&issuer.server)
    .await;
    let spoofed = okta_auth::AccessTokenVerifier::builder(format!(
        "{}/oauth2/aus3spoof",
        issuer.server.uri()
    ))
    .audience(AUDIENCE)
    .build()
    .unwrap();
    let error = spoofed.load_keys().await.unwrap_err();
    assert!(
        error.to_string().contains("names another issuer"),
        "{error}"
    );
    assert_eq!(issuer.jwks_requests().await, 1);
}

#[tokio::test]
async fn cache_control_max_age_is_honoured() {
    let issuer = Issuer::okta().await;
    issuer.cache_control("public, max-age=600");
    let verifier = verifier(&issuer);
    verifier.load_keys().await.unwrap();
    skip(Duration::from_secs(590)).await;
    verifier
        .verify(&issuer.token_with(json!({})))
        .await
        .unwrap();
    assert_eq!(issuer.jwks_requests().await, 1, "fresh for 600 s");
    skip(Duration::from_secs(20)).await;
    verifier
        .verify(&issuer.token_with(json!({})))
        .await
        .unwrap();
    until_jwks_requests(&issuer, 2).await;
}

/// `http_client` says "a redirect is not followed by the default client and
/// is an error either way". With a client of the caller's that follows
/// redirects (reqwest's default), a key set endpoint that redirects elsewhere
/// has its keys trusted: a token signed by the redirect target's key passes.
/// So does a redirected metadata document naming another key set.
#[tokio::test]
async fn a_redirected_key_set_is_an_error_with_any_client() {
    let server = MockServer::start().await;
    let elsewhere = format!("{}/elsewhere", server.uri());
    let other = Key::rotated(KID);
    Mock::given(method("GET"))
        .and(path("/elsewhere/keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(jwks_json(&[&other.jwk])),
        )
        .mount(&server)
        .await;
    // `default`: its metadata is served, its key set redirects elsewhere.
    let default = format!("{}/oauth2/default", server.uri());
    Mock::given(method("GET"))
        .and(path(
            "/oauth2/default/.well-known/oauth-authorization-server",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": default,
            "jwks_uri": format!("{default}/v1/keys"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth2/default/v1/keys"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{elsewhere}/keys")),
        )
        .mount(&server)
        .await;
    // `moved`: its metadata redirects to a document naming the other keys.
    let moved = format!("{}/oauth2/moved", server.uri());
    Mock::given(method("GET"))
        .and(path("/oauth2/moved/.well-known/oauth-authorization-server"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{elsewhere}/metadata")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/elsewhere/metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": moved,
            "jwks_uri": format!("{elsewhere}/keys"),
        })))
        .mount(&server)
        .await;
    for issuer in [&default, &moved] {
        let verifier = AccessTokenVerifier::builder(issuer)
            .audience(AUDIENCE)
            .http_client(okta_auth::reqwest::Client::new())
            .build()
            .unwrap();
        let now = now();
        let token = other.sign(
            &header(KID),
            &json!({
                "iss": issuer, "aud": AUDIENCE, "iat": now, "exp": now + 3600,
                "cid": CLIENT_ID, "scp": [SCOPE], "sub": CLIENT_ID,
            }),
        );
        let refusal = verifier.verify(&token).await.unwrap_err();
        assert_eq!(refusal.reason(), RejectReason::KeysUnavailable, "{issuer}");
        let cause = refusal.error().expect("the cause").to_string();
        assert!(cause.contains("redirect"), "{issuer}: {cause}");
    }
}
