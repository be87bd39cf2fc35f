//! `testing::MockOkta`: every rule of the fake token endpoint and API,
//! driven by hand-built requests (reqwest + jsonwebtoken directly).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use okta_auth::DpopKey;
use okta_auth::http::{HeaderMap, Method};
use okta_auth::testing::{Fault, MockOkta, ServiceApp};
use okta_auth::url::Url;
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const RSA: &str = include_str!("../../fixtures/keys/rsa2048-pkcs8.pem");
const EC256: &str = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
const EC384: &str = include_str!("../../fixtures/keys/ec-p384-pkcs8.pem");
const RSA1024: &str = include_str!("../../fixtures/keys/rsa1024-pkcs8.pem");

/// A client's private key, as the test holds it.
struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
}

impl Signer {
    fn rsa(alg: Algorithm) -> Self {
        Self {
            key: EncodingKey::from_rsa_pem(RSA.as_bytes()).unwrap(),
            alg,
            kid: Some("rsa-1".into()),
        }
    }
    fn ec256() -> Self {
        Self {
            key: EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap(),
            alg: Algorithm::ES256,
            kid: Some("ec-1".into()),
        }
    }
    fn ec384() -> Self {
        Self {
            key: EncodingKey::from_ec_pem(EC384.as_bytes()).unwrap(),
            alg: Algorithm::ES384,
            kid: Some("ec-384".into()),
        }
    }
    /// The public JWK, with the kid, made by jsonwebtoken and read by us.
    fn jwk(&self) -> okta_auth::Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).unwrap();
        jwk.common.key_id = self.kid.clone();
        ours(&jwk)
    }
    /// A valid assertion for `client_id` at `aud`, after `edit` on the claims.
    fn assertion(&self, client_id: &str, aud: &str, edit: impl FnOnce(&mut Value)) -> String {
        let now = get_current_timestamp();
        let mut claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "iat": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
        });
        edit(&mut claims);
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

/// A jsonwebtoken JWK as ours, through its JSON.
fn ours(jwk: &Jwk) -> okta_auth::Jwk {
    serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap()
}

/// A compact JWS from raw JSON parts, so tests can send what no library
/// would build.
fn raw_jwt(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg).unwrap();
    format!("{msg}.{sig}")
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn error(&self) -> (&str, &str) {
        (
            self.body["error"].as_str().unwrap_or_default(),
            self.body["error_description"].as_str().unwrap_or_default(),
        )
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
    fn token(&self) -> &str {
        self.body["access_token"].as_str().unwrap()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn post_form(url: &Url, form: &[(&str, &str)], dpop: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().post(url.clone()).form(form);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    answer(request.send().await.unwrap()).await
}

async fn grant(url: &Url, assertion: &str, scope: &str, dpop: Option<&str>) -> Answer {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    post_form(url, &form, dpop).await
}

async fn get(url: &Url, authorization: &str, dpop: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new()
        .get(url.clone())
        .header("Authorization", authorization);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    answer(request.send().await.unwrap()).await
}

const APP: &str = "0oa-service";
const READ: &str = "okta.users.read";

/// A fake org with one app holding the RSA, EC P-256 and EC P-384 keys.
async fn org(dpop: bool) -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(Signer::rsa(Algorithm::RS256).jwk())
            .jwk(Signer::ec256().jwk())
            .jwk(Signer::ec384().jwk())
            .scopes([READ, "okta.groups.read"])
            .dpop(dpop, true),
    )
    .unwrap();
    okta
}

async fn rejected_assertion(edit: impl FnOnce(&mut Value), description: &str) {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let assertion = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), edit);
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(a.error(), ("invalid_client", description));
}

// ---- token endpoint: happy paths ----

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

// ---- token endpoint: client assertion rules ----

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

// ---- token endpoint: request shape, scopes, grant ----

#[tokio::test]
async fn only_a_form_body_is_accepted() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let assertion = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), |_| {});
    let params = [
        ("grant_type", "client_credentials"),
        ("scope", READ),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let client = reqwest::Client::new();
    let mut with_query = endpoint.clone();
    with_query.query_pairs_mut().extend_pairs(params);
    let query = answer(client.post(with_query).send().await.unwrap()).await;
    assert_eq!(query.status, 400);
    assert_eq!(query.error().0, "invalid_request");
    let as_json: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let j = answer(
        client
            .post(endpoint.clone())
            .json(&as_json)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        j.error(),
        (
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded."
        )
    );
    let g = answer(client.get(endpoint.clone()).send().await.unwrap()).await;
    assert_eq!(g.status, 405);
    let mut twice = params.to_vec();
    twice.push(("scope", READ));
    assert_eq!(
        post_form(&endpoint, &twice, None).await.error().0,
        "invalid_request"
    );
    let mut other = params.to_vec();
    other[0] = ("grant_type", "password");
    let a = post_form(&endpoint, &other, None).await;
    assert_eq!(a.error().0, "unsupported_grant_type");
    let mut wrong_type = params.to_vec();
    wrong_type[2] = ("client_assertion_type", "jwt");
    assert_eq!(
        post_form(&endpoint, &wrong_type, None).await.error().0,
        "invalid_request"
    );
    // None of these consumed the assertion.
    assert_eq!(grant(&endpoint, &assertion, READ, None).await.status, 200);
}

#[tokio::test]
async fn scopes_must_be_granted() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let cases = [
        ("okta.users.read okta.users.manage", "invalid_scope"),
        ("okta.users.manage", "consent_required"),
        ("", "invalid_scope"),
        ("openid", "invalid_scope"),
        // okta.* scopes Okta does not have: unknown, not merely ungranted.
        ("okta.nonsense.read", "invalid_scope"),
        ("okta.users.delete", "invalid_scope"),
        ("okta.users.read okta.nonsense.read", "invalid_scope"),
    ];
    for (scope, error) in cases {
        let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});
        let a = grant(&endpoint, &assertion, scope, None).await;
        assert_eq!(a.status, 400, "{scope}");
        assert_eq!(a.error().0, error, "{scope}: {:?}", a.body);
    }
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        "okta.users.manage",
        None,
    )
    .await;
    assert_eq!(
        a.error().1,
        "You are not allowed any of the requested scopes."
    );
    let both = "okta.users.read okta.groups.read";
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        both,
        None,
    )
    .await;
    assert_eq!(a.body["scope"], both);
    let unknown = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        "okta.nonsense.read",
        None,
    )
    .await;
    assert_eq!(
        unknown.error().1,
        "One or more scopes are not configured for the authorization server resource."
    );
}

#[tokio::test]
async fn a_granted_scope_is_known_even_if_okta_does_not_publish_it() {
    // So a scope Okta adds later can be tested by granting it.
    let okta = MockOkta::start().await;
    let signer = Signer::ec256();
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(signer.jwk())
            .scopes(["okta.futureThings.read"]),
    )
    .unwrap();
    let endpoint = okta.token_endpoint();
    let assertion = signer.assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &assertion, "okta.futureThings.read", None).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
}

#[tokio::test]
async fn client_secrets_work_only_on_custom_servers() {
    let okta = org(false).await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", "0oa-secret", "s3cr3t-value", ["orders.read"])
        .unwrap();
    let custom = okta.org_url().custom_token_endpoint("default").unwrap();
    let client = reqwest::Client::new();
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders.read"),
    ];
    let ok = answer(
        client
            .post(custom.clone())
            .basic_auth("0oa-secret", Some("s3cr3t-value"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(okta.token_requests("0oa-secret"), 1);

    let bad = answer(
        client
            .post(custom.clone())
            .basic_auth("0oa-secret", Some("wrong"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.error().0, "invalid_client");

    let org_as = answer(
        client
            .post(okta.token_endpoint())
            .basic_auth("0oa-secret", Some("s3cr3t-value"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(org_as.status, 401);
    assert_eq!(
        org_as.error(),
        (
            "invalid_client",
            "Client Credentials requests to the Org Authorization Server must use the \
             private_key_jwt token_endpoint_auth_method."
        )
    );

    // okta.* scopes come only from the org authorization server.
    let assertion = Signer::ec256().assertion(APP, custom.as_str(), |_| {});
    assert_eq!(
        grant(&custom, &assertion, READ, None).await.error().0,
        "invalid_scope"
    );

    let unknown = okta.org_url().custom_token_endpoint("nope").unwrap();
    let a = post_form(&unknown, &form, None).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["errorCode"], "E0000007");
    assert!(
        okta.register_secret_client("nope", "x", "y", ["z"])
            .is_err()
    );
}

#[tokio::test]
async fn two_authorization_headers_at_the_token_endpoint_are_invalid_request() {
    let okta = MockOkta::start().await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", "0oa-secret", "s3cr3t-value", ["orders.read"])
        .unwrap();
    okta.register_secret_client("default", "0oa-other", "other-value", ["orders.read"])
        .unwrap();
    let custom = okta.org_url().custom_token_endpoint("default").unwrap();
    let basic = |user: &str, pass: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    };
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders.read"),
    ];
    // Each credential alone is fine.
    for (user, pass) in [("0oa-secret", "s3cr3t-value"), ("0oa-other", "other-value")] {
        let r = reqwest::Client::new()
            .post(custom.clone())
            .header("Authorization", basic(user, pass))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // Twice the same, or two clients: refused, whichever comes first.
    for second in [
        basic("0oa-secret", "s3cr3t-value"),
        basic("0oa-other", "other-value"),
    ] {
        let a = answer(
            reqwest::Client::new()
                .post(custom.clone())
                .header("Authorization", basic("0oa-secret", "s3cr3t-value"))
                .header("Authorization", second)
                .form(&form)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, 400, "{:?}", a.body);
        assert_eq!(
            a.error(),
            (
                "invalid_request",
                "Only one Authorization header may be sent."
            )
        );
        assert!(a.body.get("access_token").is_none());
    }
    assert_eq!(okta.received().last().unwrap().status, 400);
}

#[tokio::test]
async fn the_management_api_refuses_custom_server_tokens() {
    let okta = org(false).await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", "0oa-secret", "s3cr3t-value", ["orders.read"])
        .unwrap();
    let custom = okta.org_url().custom_token_endpoint("default").unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders.read"),
    ];
    let secret_client = answer(
        reqwest::Client::new()
            .post(custom.clone())
            .basic_auth("0oa-secret", Some("s3cr3t-value"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(secret_client.status, 200, "{:?}", secret_client.body);
    // A service app's token from the custom server, by private_key_jwt.
    let signer = Signer::ec256();
    okta.register_service_app(
        ServiceApp::new("0oa-custom")
            .jwk(signer.jwk())
            .scopes(["orders.read"]),
    )
    .unwrap();
    let assertion = signer.assertion("0oa-custom", custom.as_str(), |_| {});
    let service_app = grant(&custom, &assertion, "orders.read", None).await;
    assert_eq!(service_app.status, 200, "{:?}", service_app.body);

    for token in [secret_client.token(), service_app.token()] {
        for path in ["api/v1/users/me", "api/v1/users"] {
            let url = okta.org_url().endpoint(path);
            let r = get(&url, &format!("Bearer {token}"), None).await;
            assert_eq!(r.status, 401, "{path}: {:?}", r.body);
            assert_eq!(r.body["errorCode"], "E0000011");
            let challenge = r.header("www-authenticate");
            assert!(challenge.starts_with("Bearer "), "{challenge}");
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        }
    }
    // The org authorization server's token still works.
    let me = okta.org_url().endpoint("api/v1/users/me");
    let token = bearer_token(&okta, READ).await;
    assert_eq!(get(&me, &format!("Bearer {token}"), None).await.status, 200);
}

// ---- DPoP at the token endpoint ----

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

// ---- the management API ----

#[tokio::test]
async fn ssws_tokens_are_checked_and_revocable() {
    let okta = MockOkta::start().await;
    okta.register_api_token("00api-token");
    let me = okta.org_url().endpoint("api/v1/users/me");
    let r = get(&me, "SSWS 00api-token", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["profile"]["login"], "admin@example.com");
    for header in [
        "X-Rate-Limit-Limit",
        "X-Rate-Limit-Remaining",
        "X-Rate-Limit-Reset",
        "Date",
    ] {
        assert!(!r.header(header).is_empty(), "{header}");
    }
    assert!(r.header("x-okta-request-id").starts_with("mock-req-"));

    let r = get(&me, "SSWS 00wrong", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["errorCode"], "E0000011");
    assert_eq!(r.body["errorSummary"], "Invalid token provided");
    assert!(
        r.header("www-authenticate")
            .contains("error=\"invalid_token\"")
    );

    assert!(okta.revoke("00api-token"));
    assert_eq!(get(&me, "SSWS 00api-token", None).await.status, 401);
    let missing = answer(reqwest::get(me.clone()).await.unwrap()).await;
    assert_eq!(missing.status, 401);
    let unknown = okta.org_url().endpoint("api/v1/groups");
    okta.register_api_token("00other");
    assert_eq!(
        get(&unknown, "SSWS 00other", None).await.body["errorCode"],
        "E0000007"
    );
    assert_eq!(okta.api_requests(), 5);
    let elsewhere = answer(
        reqwest::get(okta.org_url().endpoint("oauth2/v1/keys"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(elsewhere.status, 404);
    assert_eq!(elsewhere.body["errorCode"], "E0000007");
    assert_eq!(elsewhere.header("x-rate-limit-limit"), "600");
    assert_eq!(okta.received().len(), 6);
}

async fn bearer_token(okta: &MockOkta, scope: &str) -> String {
    let endpoint = okta.token_endpoint();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        scope,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.token().to_owned()
}

#[tokio::test]
async fn revoked_and_expired_bearer_tokens_get_401() {
    let okta = org(false).await;
    let users = okta.org_url().endpoint("api/v1/users");
    let a = bearer_token(&okta, READ).await;
    let b = bearer_token(&okta, READ).await;
    assert_eq!(get(&users, &format!("Bearer {a}"), None).await.status, 200);
    assert!(okta.revoke(&a));
    let r = get(&users, &format!("Bearer {a}"), None).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("Bearer "));
    assert_eq!(get(&users, &format!("Bearer {b}"), None).await.status, 200);
    okta.expire_all_tokens();
    let r = get(&users, &format!("Bearer {b}"), None).await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").contains("expired"));
    assert!(!okta.revoke("never-issued"));
}

#[tokio::test(start_paused = true)]
async fn the_org_follows_paused_time() {
    let okta = MockOkta::start().await;
    let signer = Signer::ec256();
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(signer.jwk())
            .scopes([READ])
            .token_lifetime(Duration::from_secs(60)),
    )
    .unwrap();
    let token = bearer_token(&okta, READ).await;
    let users = okta.org_url().endpoint("api/v1/users");
    assert_eq!(
        get(&users, &format!("Bearer {token}"), None).await.status,
        200
    );
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(
        get(&users, &format!("Bearer {token}"), None).await.status,
        401
    );

    // Two hours on, an assertion made with the real clock is stale…
    tokio::time::advance(Duration::from_secs(7200)).await;
    let endpoint = okta.token_endpoint();
    let stale = signer.assertion(APP, endpoint.as_str(), |_| {});
    let a = grant(&endpoint, &stale, READ, None).await;
    assert_eq!(a.error().1, "The client_assertion token is expired.");
    // …and one made on the test's clock is fine.
    let now = get_current_timestamp() + 7261;
    let fresh = signer.assertion(APP, endpoint.as_str(), |c| {
        c["iat"] = json!(now);
        c["exp"] = json!(now + 300);
    });
    assert_eq!(grant(&endpoint, &fresh, READ, None).await.status, 200);
}

#[tokio::test]
async fn insufficient_scope_is_403() {
    let okta = MockOkta::start().await;
    let signer = Signer::ec256();
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(signer.jwk())
            .scopes(["okta.users.read.self"]),
    )
    .unwrap();
    let token = bearer_token(&okta, "okta.users.read.self").await;
    let me = okta.org_url().endpoint("api/v1/users/me");
    assert_eq!(get(&me, &format!("Bearer {token}"), None).await.status, 200);
    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("Bearer {token}"), None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["errorCode"], "E0000006");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
}

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
        let r = answer(
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
    // (then 404: the fake org has no groups).
    for (path, htu) in [
        ("api/v1/groups/a%20b", "api/v1/groups/a b"),
        ("api/v1/groups/a%23b", "api/v1/groups/a#b"),
        ("api/v1/groups/a%3Fb", "api/v1/groups/a?b"),
        ("api/v1/groups/caf%C3%A9", "api/v1/groups/café"),
        ("api/v1/groups/a%40b", "api/v1/groups/a%40b"),
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
    let r = answer(
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

// ---- faults and observability ----

#[tokio::test]
async fn token_faults_come_first_and_are_counted() {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    okta.fail_next_token_requests(1, Fault::Status(503));
    okta.fail_next_token_requests(1, Fault::Status(500));
    okta.fail_next_token_requests(
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    okta.fail_next_token_requests(1, Fault::MalformedBody);
    okta.fail_next_token_requests(1, Fault::OversizedBody);
    okta.fail_next_token_requests(1, Fault::Delay(Duration::from_millis(20)));
    let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});

    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!((a.status, a.error().0), (503, "temporarily_unavailable"));
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!((a.status, a.error().0), (500, "server_error"));
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body["errorCode"], "E0000047");
    assert_eq!(a.header("x-rate-limit-remaining"), "0");
    let reset: u64 = a.header("x-rate-limit-reset").parse().unwrap();
    let date = httpdate::parse_http_date(a.header("date")).unwrap();
    let date = date
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(reset - date, 30);

    let r = reqwest::Client::new()
        .post(endpoint.clone())
        .form(&[("grant_type", "client_credentials")])
        .header("content-type", "application/x-www-form-urlencoded")
        .basic_auth(APP, Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    let r = reqwest::Client::new()
        .post(endpoint.clone())
        .form(&[("client_id", APP)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.bytes().await.unwrap().len(),
        okta_auth::testing::OVERSIZED_BODY_LEN
    );

    // The delayed one is processed normally, and the faults did not consume
    // the assertion's jti.
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(okta.token_requests(APP), 6);
    assert_eq!(grant(&endpoint, &assertion, READ, None).await.status, 401);
}

#[tokio::test]
async fn api_faults() {
    let okta = MockOkta::start().await;
    okta.register_api_token("00t");
    okta.fail_next_api_requests(2, Fault::Status(502));
    okta.fail_next_api_requests(
        1,
        Fault::RateLimited {
            reset_after: Duration::from_millis(1500),
        },
    );
    let me = okta.org_url().endpoint("api/v1/users/me");
    for _ in 0..2 {
        let r = get(&me, "SSWS 00t", None).await;
        assert_eq!(r.status, 502);
        assert_eq!(r.body["errorCode"], "E0000009");
    }
    let r = get(&me, "SSWS 00t", None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.body["errorCode"], "E0000047");
    assert_eq!(
        r.body["errorSummary"],
        "API call exceeded rate limit due to too many requests."
    );
    assert_eq!(get(&me, "SSWS 00t", None).await.status, 200);
    assert_eq!(okta.api_requests(), 4);
    let statuses: Vec<u16> = okta.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [502, 502, 429, 200]);
}

#[tokio::test]
async fn received_requests_do_not_print_secrets() {
    let okta = MockOkta::start().await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", "0oa-s", "very-secret-value", ["a.b"])
        .unwrap();
    okta.register_api_token("00api-secret-token");
    let me = okta.org_url().endpoint("api/v1/users/me");
    get(&me, "SSWS 00api-secret-token", None).await;
    let custom = okta.org_url().custom_token_endpoint("default").unwrap();
    reqwest::Client::new()
        .post(custom)
        .basic_auth("0oa-s", Some("very-secret-value"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "a.b"),
            ("client_secret", "very-secret-value"),
        ])
        .send()
        .await
        .unwrap();
    let debug = format!("{:?} {okta:?}", okta.received());
    assert!(!debug.contains("00api-secret-token"), "{debug}");
    assert!(!debug.contains("very-secret-value"), "{debug}");
    assert!(!debug.contains("dmVyeS1zZWNyZXQtdmFsdWU"), "{debug}");
    let last = okta.received().pop().unwrap();
    assert!(
        last.form
            .contains(&("client_secret".into(), "[redacted]".into()))
    );
    assert_eq!(last.client_id.as_deref(), Some("0oa-s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_all_counted_and_logged() {
    let okta = std::sync::Arc::new(org(false).await);
    okta.register_api_token("00t");
    let endpoint = okta.token_endpoint();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let okta = okta.clone();
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let me = okta.org_url().endpoint("api/v1/users/me");
                get(&me, "SSWS 00t", None).await.status
            } else {
                let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});
                grant(&endpoint, &assertion, READ, None).await.status
            }
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(okta.api_requests(), 8);
    assert_eq!(okta.token_requests(APP), 8);
    let ids: std::collections::HashSet<String> =
        okta.received().into_iter().map(|r| r.request_id).collect();
    assert_eq!(ids.len(), 16);
}
