//! The verifier's surface: the builder's refusals, `verify` on its own,
//! typed and custom claims, per-route scopes, the exact challenges, and
//! what `Debug` shows.

use okta_auth::http::{HeaderMap, Method, StatusCode};
use okta_auth::verify::RejectReason;
use okta_auth::{AccessTokenVerifier, Algorithm, AuthChallenge, DpopKey, Error};
use serde::Deserialize;
use serde_json::json;

use super::support::*;

#[test]
fn the_builder_refuses_what_cannot_be_verified_safely() {
    let refused = |builder: okta_auth::verify::AccessTokenVerifierBuilder| match builder.build() {
        Err(Error::Config(message)) => message,
        other => panic!("{other:?}"),
    };
    let org = refused(AccessTokenVerifier::builder("https://example.okta.com").audience(AUDIENCE));
    assert!(org.contains("org authorization server"), "{org}");
    assert!(
        org.contains("okta says not to verify them locally"),
        "{org}"
    );
    assert!(
        org.contains("dangerous_allow_org_authorization_server"),
        "{org}"
    );
    AccessTokenVerifier::builder("https://example.okta.com")
        .audience(AUDIENCE)
        .dangerous_allow_org_authorization_server()
        .build()
        .unwrap();
    let good = || AccessTokenVerifier::builder("https://example.okta.com/oauth2/default");
    for (builder, why) in [
        (good(), "audience"),
        (
            AccessTokenVerifier::builder("https://example.okta.com/oauth2/default/")
                .audience(AUDIENCE),
            "trailing slash",
        ),
        (
            AccessTokenVerifier::builder("http://example.okta.com/oauth2/default")
                .audience(AUDIENCE),
            "https",
        ),
        (good().audience(AUDIENCE).algorithms([]), "algorithm"),
        (good().audience(AUDIENCE).leeway(secs(301)), "leeway"),
        (
            good().audience(AUDIENCE).dpop_proof_max_age(secs(0)),
            "max age",
        ),
        (good().audience(AUDIENCE).required_scopes(["a b"]), "scope"),
        (
            good()
                .audience(AUDIENCE)
                .jwks_uri("http://keys.example.com/keys".parse().unwrap()),
            "jwks uri",
        ),
    ] {
        let message = refused(builder);
        assert!(message.contains(why), "{why}: {message}");
    }
}

#[derive(Deserialize)]
struct MyClaims {
    sub: String,
    scp: Vec<String>,
    department: String,
}

#[tokio::test]
async fn verify_returns_typed_claims_and_the_callers_own_type() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().build().unwrap();
    let token = issuer.token_with(json!({ "uid": "00u1user", "department": "sales" }));
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.iss(), issuer.issuer);
    assert_eq!(claims.aud(), [AUDIENCE]);
    assert_eq!(claims.cid(), Some(CLIENT_ID));
    assert_eq!(claims.sub(), Some(CLIENT_ID));
    assert_eq!(claims.uid(), Some("00u1user"));
    assert_eq!(claims.scp(), [SCOPE]);
    assert!(claims.jti().unwrap().starts_with("AT."));
    assert!(claims.exp() > claims.iat());
    assert_eq!(claims.jkt(), None);
    let mine: MyClaims = claims.claims().unwrap();
    assert_eq!(
        (mine.sub.as_str(), mine.department.as_str(), mine.scp.len()),
        (CLIENT_ID, "sales", 1)
    );
    let debug = format!("{claims:?}");
    assert!(debug.contains("00u1user") && !debug.contains(&token));

    // A bound token cannot be checked without its request.
    let key = DpopKey::generate();
    let bound = issuer.bound_token(key.thumbprint());
    let refusal = verifier.verify(&bound).await.unwrap_err();
    assert_eq!(refusal.reason(), RejectReason::BoundTokenAsBearer);
    assert_eq!(
        refusal.headers()["www-authenticate"],
        "DPoP error=\"invalid_token\", error_description=\"the access token is dpop-bound: send \
         it with the dpop scheme\", algs=\"ES256\""
    );
    let h = headers(
        "DPoP",
        &bound,
        &[&key.proof(&GET, &api_url(), None, Some(&bound)).unwrap()],
    );
    let claims = verifier.verify_request(&GET, &api_url(), &h).await.unwrap();
    assert_eq!(claims.jkt(), Some(key.thumbprint()));
}

#[tokio::test]
async fn challenges_are_what_rfc_6750_and_9449_write() {
    let issuer = Issuer::okta().await;
    let verifier = issuer
        .builder()
        .dpop_algorithms([Algorithm::ES256, Algorithm::RS256])
        .build()
        .unwrap();
    let url = api_url();
    let answer = |h: HeaderMap| {
        let verifier = verifier.clone();
        let url = url.clone();
        async move {
            let r = verifier
                .verify_request(&Method::GET, &url, &h)
                .await
                .unwrap_err();
            (r.status(), r.headers())
        }
    };
    let (status, h) = answer(HeaderMap::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(h["www-authenticate"], "Bearer, DPoP algs=\"ES256 RS256\"");
    assert!(AuthChallenge::from_response(status, &h).is_none());

    let expired = issuer.token_with(json!({ "exp": now() - 600 }));
    let (status, h) = answer(headers("Bearer", &expired, &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h["www-authenticate"],
        "Bearer error=\"invalid_token\", error_description=\"the access token has expired\""
    );

    let key = DpopKey::generate();
    let bound = issuer.bound_token(key.thumbprint());
    let wrong = key.proof(&Method::POST, &url, None, Some(&bound)).unwrap();
    let (status, h) = answer(headers("DPoP", &bound, &[&wrong])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h["www-authenticate"],
        "DPoP error=\"invalid_dpop_proof\", error_description=\"the dpop proof's htm is not the \
         request method\", algs=\"ES256 RS256\""
    );
    let (status, h) = answer(headers("Bearer a.b", "c", &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h["www-authenticate"],
        "Bearer error=\"invalid_request\", error_description=\"the authorization header is \
         malformed or repeated\""
    );
    match AuthChallenge::from_response(status, &h) {
        Some(AuthChallenge::Rejected(Error::OAuth(e))) => {
            assert_eq!(
                (e.status(), e.error()),
                (StatusCode::BAD_REQUEST, "invalid_request")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn per_route_scopes_and_required_dpop() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().require_dpop(true).build().unwrap();
    let url = api_url();
    let bearer = issuer.token_with(json!({}));
    let refusal = verifier
        .verify_request(&GET, &url, &headers("Bearer", &bearer, &[]))
        .await
        .unwrap_err();
    assert_eq!(refusal.reason(), RejectReason::DpopRequired);
    let none = verifier
        .verify_request(&GET, &url, &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(none.headers()["www-authenticate"], "DPoP algs=\"ES256\"");

    let key = DpopKey::generate();
    let bound = issuer.bound_token(key.thumbprint());
    let h = headers(
        "DPoP",
        &bound,
        &[&key.proof(&GET, &url, None, Some(&bound)).unwrap()],
    );
    let claims = verifier.verify_request(&GET, &url, &h).await.unwrap();
    claims.require_scopes(&[SCOPE]).unwrap();
    let refusal = claims.require_scopes(&[SCOPE, "orders:write"]).unwrap_err();
    assert_eq!(refusal.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refusal.headers()["www-authenticate"],
        "DPoP error=\"insufficient_scope\", error_description=\"the access token lacks a \
         required scope\", scope=\"orders:read orders:write\", algs=\"ES256\""
    );
}

/// `require_dpop(true)` is documented as "Accepts DPoP-bound tokens only: a
/// Bearer token gets `DpopRequired`", and `verify` refuses bound tokens: so
/// with DPoP required, `verify` must accept nothing. It accepts an unbound
/// Bearer token, a downgrade for any route that calls `verify`.
#[tokio::test]
async fn verify_honours_require_dpop() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().require_dpop(true).build().unwrap();
    let bearer = issuer.token_with(json!({}));
    let verdict = verifier
        .verify(&bearer)
        .await
        .map(|_| ())
        .map_err(|r| r.reason());
    assert_eq!(verdict, Err(RejectReason::DpopRequired));
}

/// RFC 6750 §3 / RFC 9449 §7.1: the challenge names the scheme the server
/// accepts. With `require_dpop(true)` an invalid token sent as Bearer is
/// answered `Bearer error="invalid_token"` (no `algs`), inviting a Bearer
/// retry this server will never accept; a valid one gets a `DPoP`
/// challenge.
#[tokio::test]
async fn require_dpop_never_challenges_with_bearer() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().require_dpop(true).build().unwrap();
    let expired = issuer.token_with(json!({ "exp": now() - 600 }));
    let refusal = verifier
        .verify_request(&GET, &api_url(), &headers("Bearer", &expired, &[]))
        .await
        .unwrap_err();
    assert_eq!(refusal.status(), StatusCode::UNAUTHORIZED);
    let challenge = refusal.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("DPoP "), "{challenge}");
}

#[tokio::test]
async fn debug_shows_the_configuration_and_never_a_token() {
    let issuer = Issuer::okta().await;
    let verifier = issuer
        .builder()
        .allowed_client_ids([CLIENT_ID])
        .build()
        .unwrap();
    let token = issuer.token_with(json!({ "aud": "api://other" }));
    let refusal = verifier.verify(&token).await.unwrap_err();
    for text in [
        format!("{verifier:?}"),
        format!("{refusal:?}"),
        refusal.to_string(),
        format!("{:?}", refusal.headers()),
    ] {
        assert!(!text.contains(&token), "{text}");
        assert!(!text.contains(token.split('.').nth(1).unwrap()), "{text}");
    }
    let debug = format!("{verifier:?}");
    assert!(
        debug.contains(&issuer.issuer) && debug.contains(CLIENT_ID),
        "{debug}"
    );
    assert_eq!(
        refusal.to_string(),
        "request refused: the access token's aud is not this api"
    );
}
