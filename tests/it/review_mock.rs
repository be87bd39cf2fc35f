//! Review of `testing::MockOkta`: each test shows a place where the fake org
//! accepts what real Okta refuses, or answers in a shape real Okta does not
//! use. They fail until the fake org is fixed.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use okta_auth::http::{HeaderMap, Method};
use okta_auth::testing::{MockOkta, MockUser, ServiceApp, UserStatus};
use okta_auth::url::Url;
use okta_auth::{DpopKey, SigningKey};
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const EC256: &str = include_str!("../fixtures/keys/ec-p256-pkcs8.pem");
const RSA: &str = include_str!("../fixtures/keys/rsa2048-pkcs8.pem");
const APP: &str = "0oa-review";
const READ: &str = "okta.users.read";
const GROUPS_READ: &str = "okta.groups.read";
const API_TOKEN: &str = "00review-api-token";

/// The client's assertion key (ES256, kid `ec-1`).
fn client_key() -> SigningKey {
    SigningKey::from_pem(EC256).unwrap().with_kid("ec-1")
}

/// A fake org with one service app (EC key, two scopes) and an API token.
async fn org(require_dpop: bool) -> MockOkta {
    org_with(ServiceApp::new(APP).dpop(require_dpop, false)).await
}

async fn org_with(app: ServiceApp) -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_service_app(
        app.jwk(client_key().public_jwk())
            .scopes([READ, GROUPS_READ]),
    )
    .unwrap();
    okta.register_api_token(API_TOKEN);
    okta
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
    /// The `Date` of the answer, in Unix seconds.
    fn date(&self) -> u64 {
        httpdate::parse_http_date(self.header("date"))
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = tokio::time::timeout(Duration::from_secs(10), request.send())
        .await
        .expect("the fake org did not answer within 10 s")
        .expect("the fake org dropped the connection");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// A client credentials grant with `assertion` (and `proof`, if any).
async fn grant(endpoint: &Url, assertion: &str, scope: &str, proof: Option<&str>) -> Answer {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    let mut request = reqwest::Client::new().post(endpoint.clone()).form(&form);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    answer(request).await
}

/// A good assertion for [`APP`] at `endpoint`.
fn assertion(endpoint: &Url) -> String {
    client_key()
        .client_assertion(APP, endpoint, Duration::from_secs(300))
        .unwrap()
}

async fn get(url: &Url, authorization: &str, proof: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new()
        .get(url.clone())
        .header("Authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    answer(request).await
}

/// A DPoP proof signed by the RSA fixture key with `alg`, built by hand.
fn rsa_proof(alg: Algorithm, htm: &str, htu: &str) -> String {
    let key = EncodingKey::from_rsa_pem(RSA.as_bytes()).unwrap();
    let public =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
    let alg_name = serde_json::to_value(alg).unwrap();
    let header = json!({
        "typ": "dpop+jwt",
        "alg": alg_name,
        "jwk": { "kty": "RSA", "n": public["n"], "e": public["e"] },
    });
    let claims = json!({
        "htm": htm, "htu": htu, "iat": get_current_timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &key, alg).unwrap();
    format!("{msg}.{sig}")
}

/// Okta takes DPoP proofs signed RS256/384/512 or ES256/384/512 only: its
/// metadata's `dpop_signing_alg_values_supported` and its own challenge
/// (`DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512"`, okta-sdk-nodejs#453)
/// say so, as does the fake org's own custom-server metadata. A PS256
/// proof must be refused, not bound into a token.
#[tokio::test]
async fn a_ps256_dpop_proof_is_refused_at_the_token_endpoint() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();

    let ps256 = rsa_proof(Algorithm::PS256, "POST", endpoint.as_str());
    let a = grant(&endpoint, &assertion(&endpoint), READ, Some(&ps256)).await;
    assert_eq!(a.status, 400, "a PS256 proof was accepted: {}", a.body);
    assert_eq!(a.body["error"], "invalid_dpop_proof", "{}", a.body);

    // Control: the same key and claims, signed RS256, are fine.
    let rs256 = rsa_proof(Algorithm::RS256, "POST", endpoint.as_str());
    let a = grant(&endpoint, &assertion(&endpoint), READ, Some(&rs256)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token_type"], "DPoP");
}

/// The `algs` of the fake org's `DPoP` challenge must be Okta's (no PS*).
#[tokio::test]
async fn the_dpop_challenge_lists_only_the_algorithms_okta_takes() {
    let okta = org(true).await;
    let endpoint = okta.token_endpoint();
    let key = DpopKey::generate();
    let proof = key.proof(&Method::POST, &endpoint, None, None).unwrap();
    let a = grant(&endpoint, &assertion(&endpoint), READ, Some(&proof)).await;
    assert_eq!(a.body["token_type"], "DPoP", "{}", a.body);
    let token = a.body["access_token"].as_str().unwrap().to_owned();

    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("DPoP {token}"), None).await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate");
    let algs = challenge
        .split("algs=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no algs in {challenge}"));
    assert!(
        !algs.split(' ').any(|alg| alg.starts_with("PS")),
        "the challenge offers algorithms Okta refuses: {algs}"
    );
}

/// Okta refuses an assertion whose `exp` is a full hour ahead ("exactly
/// 60 min is rejected under slight clock skew", OKTA.md, client
/// credentials). The fake org refuses it when `iat` is sent, but takes it
/// when `iat` is left out (Okta's `iat` is optional), so a client that omits
/// `iat` and uses `exp = now + 3600` passes here and fails at Okta.
#[tokio::test]
async fn an_assertion_expiring_a_full_hour_ahead_is_refused_without_iat_too() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let signing = EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap();
    let users = okta.org_url().endpoint("api/v1/users");
    // Retry until the fake org's clock is on the second the assertion was
    // made for (the `Date` of the probe and of the answer agree).
    for _ in 0..5 {
        let now = get(&users, "SSWS nobody", None).await.date();
        let claims = json!({
            "iss": APP, "sub": APP, "aud": endpoint.as_str(),
            "exp": now + 3600, "jti": uuid::Uuid::new_v4().to_string(),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("ec-1".into());
        let jwt = jsonwebtoken::encode(&header, &claims, &signing).unwrap();
        let a = grant(&endpoint, &jwt, READ, None).await;
        if a.date() != now {
            continue;
        }
        assert_eq!(
            a.status, 401,
            "exp = now + 3600 without iat was accepted: {}",
            a.body
        );
        assert_eq!(a.body["error"], "invalid_client");
        return;
    }
    panic!("the clock never held still for one second");
}

/// Okta's 403 for a missing scope names the scope the route needs:
/// `WWW-Authenticate: Bearer authorization_uri="…", realm="…",
/// scope="okta.users.read", error="insufficient_scope",
/// error_description="The access token provided does not contain the
/// required scopes.", resource="/api/v1/users"` (Okta's "OAuth 2.0 for
/// Okta" guide; the same `scope` member is on its DPoP challenges,
/// okta-sdk-nodejs#453). The fake org leaves `scope` out, so a client that
/// reads it to ask for the missing scope cannot be tested.
#[tokio::test]
async fn the_insufficient_scope_challenge_names_the_scope_needed() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let a = grant(&endpoint, &assertion(&endpoint), GROUPS_READ, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["access_token"].as_str().unwrap().to_owned();

    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("Bearer {token}"), None).await;
    assert_eq!(r.status, 403);
    let challenge = r.header("www-authenticate");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"okta.users.read"),
        "the challenge does not name the scope: {challenge}"
    );
}

/// Okta's user lifecycle: `activate` is for `STAGED` or `DEPROVISIONED`
/// users only; a `PROVISIONED` one is *re*activated (Okta's User Lifecycle
/// API). The fake org offers a `PROVISIONED` user an `activate` link that
/// Okta would refuse to follow.
#[tokio::test]
async fn a_provisioned_user_has_no_activate_link() {
    let okta = org(false).await;
    let id = okta
        .add_user(MockUser::new("pat@example.com").status(UserStatus::Provisioned))
        .unwrap();
    let url = okta.org_url().endpoint(&format!("api/v1/users/{id}"));
    let r = get(&url, &format!("SSWS {API_TOKEN}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "PROVISIONED");
    assert!(
        r.body["_links"].get("activate").is_none(),
        "a PROVISIONED user offers `activate`: {}",
        r.body["_links"]
    );
}

/// An app whose tokens "never expire" (`token_lifetime(Duration::MAX)`)
/// makes the token endpoint overflow `now + lifetime` and panic on the
/// server thread: the client sees a dropped connection, not an answer.
#[tokio::test]
async fn a_huge_token_lifetime_does_not_crash_the_token_endpoint() {
    let okta = org_with(ServiceApp::new(APP).token_lifetime(Duration::MAX)).await;
    let endpoint = okta.token_endpoint();
    let request = reqwest::Client::new().post(endpoint.clone()).form(&[
        ("grant_type", "client_credentials"),
        ("scope", READ),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion(&endpoint).as_str()),
    ]);
    let outcome = tokio::time::timeout(Duration::from_secs(10), request.send()).await;
    let response = outcome
        .expect("the fake org did not answer within 10 s")
        .unwrap_or_else(|e| panic!("the token endpoint dropped the connection: {e}"));
    assert_eq!(response.status(), 200);
}
