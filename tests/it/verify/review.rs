//! Adversarial review of the verifier: each test states a promise of the
//! README or the docs (or an RFC rule) that the verifier breaks today.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_auth::http::{HeaderMap, StatusCode};
use okta_auth::verify::{DEFAULT_DPOP_PROOF_MAX_AGE, DEFAULT_LEEWAY, RejectReason, ReplayStore};
use okta_auth::{DpopKey, Error};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::*;

async fn verdict(
    verifier: &okta_auth::AccessTokenVerifier,
    url: &okta_auth::url::Url,
    h: &HeaderMap,
) -> Result<(), RejectReason> {
    verifier
        .verify_request(&GET, url, h)
        .await
        .map(|_| ())
        .map_err(|r| r.reason())
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

/// RFC 3986 §2.1: a percent-encoding is `%` HEXDIG HEXDIG. `%+a` is not
/// one (Rust's `from_str_radix` takes a leading `+`), so a proof for
/// `/orders/a%+a` must not pass for `/orders/a%0A`, another resource.
#[tokio::test]
async fn htu_percent_plus_is_not_an_escape() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().build().unwrap();
    let ec = Key::ec("dpop");
    let bound = issuer.bound_token(&ec.thumbprint());
    for (htu, request) in [
        (
            "https://api.example.com/orders/a%+a",
            "https://api.example.com/orders/a%0A",
        ),
        (
            "https://api.example.com/orders/a%0a",
            "https://api.example.com/orders/a%+a",
        ),
    ] {
        let url: okta_auth::url::Url = request.parse().unwrap();
        let p = proof(&ec, &bound, json!({ "htu": htu }));
        let h = headers("DPoP", &bound, &[&p]);
        assert_eq!(
            verdict(&verifier, &url, &h).await,
            Err(RejectReason::ProofUrl),
            "{htu} accepted for {request}"
        );
    }
}

/// A replay store that records the TTL it is asked to keep each proof for.
#[derive(Debug, Default)]
struct Recording(Mutex<Vec<Duration>>);

#[okta_auth::async_trait]
impl ReplayStore for Recording {
    async fn first_use(&self, _: &str, ttl: Duration) -> Result<bool, Error> {
        self.0.lock().unwrap().push(ttl);
        Ok(true)
    }
}

/// `dpop_proof_max_age` says "Proofs are remembered (for replay) this long
/// plus the leeway". A fresh proof is remembered for max age + 1 s only:
/// in a fleet sharing Redis, a replica whose clock is more than a second
/// behind the one that recorded the proof still accepts it (its iat is
/// still within its max age) after the key has expired — a replay the
/// leeway (120 s of tolerated skew) was meant to cover.
#[tokio::test]
async fn a_proof_is_remembered_for_max_age_plus_leeway() {
    let issuer = Issuer::okta().await;
    let store = Arc::new(Recording::default());
    let verifier = issuer
        .builder()
        .replay_store(store.clone())
        .build()
        .unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    let h = headers(
        "DPoP",
        &token,
        &[&key.proof(&GET, &url, None, Some(&token)).unwrap()],
    );
    verdict(&verifier, &url, &h).await.unwrap();
    let ttl = store.0.lock().unwrap()[0];
    assert!(
        ttl >= DEFAULT_DPOP_PROOF_MAX_AGE + DEFAULT_LEEWAY,
        "remembered for {ttl:?}, not max age + leeway"
    );
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

/// `http_client` says "a redirect is not followed by the default client and
/// is an error either way". With a client of the caller's that follows
/// redirects (reqwest's default), a key set endpoint that redirects elsewhere
/// has its keys trusted: a token signed by the redirect target's key passes.
#[tokio::test]
async fn a_redirected_key_set_is_an_error_with_any_client() {
    let server = MockServer::start().await;
    let issuer = format!("{}/oauth2/default", server.uri());
    Mock::given(method("GET"))
        .and(path(
            "/oauth2/default/.well-known/oauth-authorization-server",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/v1/keys"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/oauth2/default/v1/keys"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere/keys", server.uri())),
        )
        .mount(&server)
        .await;
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
    let verifier = okta_auth::AccessTokenVerifier::builder(&issuer)
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
    let verdict = verifier
        .verify(&token)
        .await
        .map(|_| ())
        .map_err(|r| r.reason());
    assert_eq!(verdict, Err(RejectReason::KeysUnavailable));
}
