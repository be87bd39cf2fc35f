//! `ServiceAppSource` against a wiremock token endpoint: what goes over the
//! wire, what comes back, and the DPoP nonce handshake.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_auth::http::StatusCode;
use okta_auth::url::Url;
use okta_auth::{
    DpopKey, DpopMode, Error, OrgUrl, ServiceAppSource, ServiceAppSourceBuilder, SigningKey,
    TokenSource, TokenType,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::signing_key::{fixture, rsa_public_key, six_key_forms, verify};

const CLIENT_ID: &str = "0oaServiceApp123";
const ACCESS_TOKEN: &str = "eyJ.access-token-VERY-SECRET.sig";
const CLIENT_SECRET: &str = "client-secret-Shh-42";
const ORG_PATH: &str = "/oauth2/v1/token";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn org(server: &MockServer) -> OrgUrl {
    server.uri().parse().unwrap()
}

fn endpoint(server: &MockServer, p: &str) -> String {
    format!("{}{p}", server.uri())
}

fn rsa_key() -> SigningKey {
    SigningKey::parse(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .with_kid("kid-rsa-1")
}

fn builder(server: &MockServer) -> ServiceAppSourceBuilder {
    ServiceAppSource::builder(org(server), CLIENT_ID)
        .private_key(rsa_key())
        .scopes(["okta.users.read", "okta.groups.read"])
}

fn bearer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": ACCESS_TOKEN,
        "scope": "okta.users.read okta.groups.read"
    }))
}

fn dpop_token() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "DPoP",
        "expires_in": 3600,
        "access_token": ACCESS_TOKEN,
        "scope": "okta.users.read"
    }))
}

fn use_dpop_nonce(nonce: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .insert_header("DPoP-Nonce", nonce)
        .set_body_json(json!({
            "error": "use_dpop_nonce",
            "error_description": "Authorization server requires nonce in DPoP proof."
        }))
}

fn form(request: &Request) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (k, v) in okta_auth::url::form_urlencoded::parse(&request.body) {
        assert!(
            fields.insert(k.into_owned(), v.into_owned()).is_none(),
            "repeated form field"
        );
    }
    fields
}

fn assertion_claims(request: &Request, aud: &str) -> (jsonwebtoken::Header, Value) {
    let assertion = form(request)["client_assertion"].clone();
    verify(
        &assertion,
        okta_auth::Algorithm::RS256,
        &rsa_public_key(),
        aud,
    )
}

/// Verifies a DPoP proof with its own embedded jwk; returns the jwk's
/// thumbprint and the claims.
fn proof_claims(request: &Request) -> (String, Value) {
    let proof = request
        .headers
        .get("dpop")
        .expect("a DPoP proof")
        .to_str()
        .unwrap();
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let jwk = header.jwk.unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Value>(proof, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    (jwk.thumbprint(ThumbprintHash::SHA256).unwrap(), claims)
}

#[tokio::test]
async fn posts_one_exact_form_with_a_verifiable_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(bearer())
        .expect(1)
        .mount(&server)
        .await;
    let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
    let token = source.token().await.unwrap();

    assert_eq!(token.token_type(), TokenType::Bearer);
    assert_eq!(token.scopes(), ["okta.users.read", "okta.groups.read"]);
    let left = token.expires_in().unwrap();
    assert!(left <= Duration::from_secs(3600) && left > Duration::from_secs(3500));

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.url.query(), None, "nothing in the query string");
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert!(request.headers.get("dpop").is_none());
    assert!(request.headers.get("authorization").is_none());
    let fields = form(request);
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        [
            "client_assertion",
            "client_assertion_type",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(fields["grant_type"], "client_credentials");
    assert_eq!(fields["scope"], "okta.users.read okta.groups.read");
    assert_eq!(fields["client_assertion_type"], ASSERTION_TYPE);

    let aud = endpoint(&server, ORG_PATH);
    let (header, claims) = assertion_claims(request, &aud);
    assert_eq!(header.kid.as_deref(), Some("kid-rsa-1"));
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], aud);
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= okta_auth::service_app::DEFAULT_ASSERTION_LIFETIME.as_secs());
    let now = jsonwebtoken::get_current_timestamp();
    assert!(iat <= now + 1 && iat + 60 >= now);
    uuid_like(claims["jti"].as_str().unwrap());
}

fn uuid_like(jti: &str) {
    assert_eq!(jti.len(), 36, "{jti}");
}

#[tokio::test]
async fn all_six_key_forms_get_tokens_with_verified_assertions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(bearer())
        .expect(6)
        .mount(&server)
        .await;
    let aud = endpoint(&server, ORG_PATH);
    for (name, key, alg, public) in six_key_forms() {
        let source = ServiceAppSource::builder(org(&server), CLIENT_ID)
            .private_key(key.clone())
            .scopes(["okta.users.read"])
            .dpop(DpopMode::Never)
            .build()
            .unwrap();
        source
            .token()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let requests = server.received_requests().await.unwrap();
        let assertion = form(requests.last().unwrap())["client_assertion"].clone();
        let (header, claims) = verify(&assertion, alg, &public, &aud);
        assert_eq!(header.kid.as_deref(), key.kid(), "{name}");
        assert_eq!(claims["iss"], CLIENT_ID, "{name}");
    }
}

#[tokio::test]
async fn aud_is_the_exact_endpoint_of_custom_servers_and_overrides() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(bearer())
        .expect(2)
        .mount(&server)
        .await;
    let custom = builder(&server)
        .authorization_server("default")
        .dpop(DpopMode::Never)
        .build()
        .unwrap();
    assert_eq!(custom.token_endpoint().path(), "/oauth2/default/v1/token");
    custom.token().await.unwrap();
    let other = Url::parse(&endpoint(&server, "/custom/token")).unwrap();
    let overridden = builder(&server)
        .token_endpoint(other.clone())
        .dpop(DpopMode::Never)
        .build()
        .unwrap();
    overridden.token().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/oauth2/default/v1/token");
    assertion_claims(&requests[0], &endpoint(&server, "/oauth2/default/v1/token"));
    assert_eq!(requests[1].url.path(), "/custom/token");
    assertion_claims(&requests[1], other.as_str());
}

#[tokio::test]
async fn consecutive_fetches_mint_fresh_assertions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(bearer())
        .expect(3)
        .mount(&server)
        .await;
    let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
    let a = source.token().await.unwrap();
    let b = source.token().await.unwrap();
    source.token().await.unwrap();
    assert!(!a.same_token(&b));
    let aud = endpoint(&server, ORG_PATH);
    let jtis: HashSet<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            assertion_claims(r, &aud).1["jti"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 3);
}

#[tokio::test]
async fn oauth_error_answers_are_typed_and_keep_their_fields() {
    let cases = [
        (
            401,
            "invalid_client",
            "The client_assertion signature is invalid.",
        ),
        (
            400,
            "invalid_scope",
            "The following scopes are not allowed: okta.apps.manage",
        ),
        (
            400,
            "consent_required",
            "You are not allowed any of the requested scopes.",
        ),
        (
            400,
            "unauthorized_client",
            "This client cannot use a custom authorization server.",
        ),
        (
            400,
            "invalid_dpop_proof",
            "The DPoP proof JWT header is missing.",
        ),
    ];
    for (status, error, description) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "error": error,
                "error_description": description,
                "errorId": "oaeABC123",
                "leaked": ACCESS_TOKEN,
            })))
            .expect(1)
            .mount(&server)
            .await;
        let err = builder(&server).build().unwrap().token().await.unwrap_err();
        let oauth = err
            .oauth_error()
            .unwrap_or_else(|| panic!("{error}: {err:?}"));
        assert_eq!(oauth.status().as_u16(), status);
        assert_eq!(oauth.error(), error);
        assert_eq!(oauth.description(), Some(description));
        assert_eq!(oauth.error_id(), Some("oaeABC123"));
        assert_eq!(err.status(), Some(StatusCode::from_u16(status).unwrap()));
        assert!(!err.is_transient(), "{error}");
        assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN), "{error}");
    }
}

#[tokio::test]
async fn server_error_text_is_stripped_of_controls_and_capped() {
    let server = MockServer::start().await;
    let long = "x".repeat(10 * 1024);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": format!("invalid_client\r\n{long}"),
            "error_description": format!("bad\n\u{1b}[31mred{long}"),
            "errorCode": format!("E0000011\u{7}{long}"),
            "errorId": format!("oae\u{1b}]0;title\u{7}1{long}"),
        })))
        .mount(&server)
        .await;
    let err = builder(&server).build().unwrap().token().await.unwrap_err();
    let oauth = err.oauth_error().unwrap();
    let fields = [
        Some(oauth.error()),
        oauth.description(),
        oauth.error_code(),
        oauth.error_id(),
    ];
    for field in fields {
        let field = field.unwrap();
        assert!(field.len() <= 512, "{}", field.len());
        assert!(!field.chars().any(char::is_control), "{field:?}");
    }
    assert!(oauth.error().starts_with("invalid_clientxxx"));
    assert!(oauth.description().unwrap().starts_with("bad[31mredxxx"));
    assert!(oauth.error_id().unwrap().starts_with("oae]0;title1xxx"));
    let shown = format!("{err}");
    assert!(!shown.chars().any(char::is_control));
    assert!(shown.len() < 4 * 600, "{}", shown.len());
}

#[tokio::test]
async fn faults_are_typed_errors_and_never_echo_the_body() {
    let huge = "x".repeat(100 * 1024);
    type Case = (&'static str, ResponseTemplate, fn(&Error) -> bool, bool);
    let cases: Vec<Case> = vec![
        (
            "500 with okta document",
            ResponseTemplate::new(500).set_body_json(json!({
                "errorCode": "E0000009", "errorSummary": "Internal Server Error", "errorId": "oae500"
            })),
            |e| e.oauth_error().is_some_and(|o| o.error_code() == Some("E0000009") && o.error_id() == Some("oae500")),
            true,
        ),
        (
            "503 html",
            ResponseTemplate::new(503).set_body_string(format!("<html>{ACCESS_TOKEN}</html>")),
            |e| matches!(e, Error::MalformedResponse { .. }),
            true,
        ),
        (
            "429",
            ResponseTemplate::new(429)
                .insert_header("X-Rate-Limit-Reset", "4102444800")
                .set_body_json(json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."})),
            |e| matches!(e, Error::RateLimited { reset_at: Some(at), .. } if *at == std::time::UNIX_EPOCH + Duration::from_secs(4102444800)),
            true,
        ),
        (
            "200 malformed json",
            ResponseTemplate::new(200).set_body_raw(format!("{{\"access_token\":\"{ACCESS_TOKEN}\","), "application/json"),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 200),
            false,
        ),
        (
            "200 not json",
            ResponseTemplate::new(200).set_body_string(format!("token={ACCESS_TOKEN}")),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 missing members",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 3600})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 no expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 absurd expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": u64::MAX, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("expires_in")),
            false,
        ),
        (
            "200 negative expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": -1, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 unknown token_type",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "mac", "expires_in": 1, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 token with a space",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 1, "access_token": "a b\r\nX: y"})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 oversized body",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 1, "access_token": ACCESS_TOKEN, "pad": huge})),
            |e| matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("larger")),
            false,
        ),
        (
            "400 oversized error",
            ResponseTemplate::new(400).set_body_string(huge.clone()),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "400 empty document",
            ResponseTemplate::new(400).set_body_json(json!({})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
    ];
    for (name, response, is_expected, transient) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
        let err = source.token().await.unwrap_err();
        assert!(is_expected(&err), "{name}: {err:?}");
        assert_eq!(err.is_transient(), transient, "{name}: {err:?}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(ACCESS_TOKEN) && !shown.contains("xxxx"),
            "{name}: {shown}"
        );
    }
}

#[tokio::test]
async fn a_429_waits_reset_minus_the_servers_date_and_survives_any_reset() {
    let server = MockServer::start().await;
    // 1 Jan 2030 00:00:00 UTC = 1893456000; this machine's clock is not used.
    let date = "Tue, 01 Jan 2030 00:00:00 GMT";
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Date", date)
                .append_header("X-Rate-Limit-Reset", "1893456100")
                .append_header("X-Rate-Limit-Reset", "1893456041"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Date", date)
                .insert_header("X-Rate-Limit-Reset", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    let source = builder(&server).build().unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    assert!(err.is_transient());
    // u64::MAX seconds: a typed error, no panic, no reset time.
    let err = source.token().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { reset_at: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(u64::MAX - 1_893_456_000 + 1))
    );
}

#[tokio::test]
async fn an_answer_from_a_followed_redirect_is_refused() {
    let org_server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    for code in [307, 308] {
        Mock::given(method("POST"))
            .and(path(ORG_PATH))
            .respond_with(
                ResponseTemplate::new(code)
                    .insert_header("Location", endpoint(&elsewhere, "/steal").as_str()),
            )
            .up_to_n_times(1)
            .mount(&org_server)
            .await;
        Mock::given(method("POST"))
            .respond_with(bearer())
            .mount(&elsewhere)
            .await;
        // The caller's client follows redirects, against the advice.
        let following = reqwest::Client::new();
        let err = builder(&org_server)
            .http_client(following)
            .build()
            .unwrap()
            .token()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("Policy::none()")),
            "{code}: {err:?}"
        );
        assert!(!err.is_transient());
        assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(bearer())
        .expect(0)
        .mount(&server)
        .await;
    let err = builder(&server).build().unwrap().token().await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 307),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_times_out_as_a_transient_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(bearer().set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    let source = builder(&server)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_transient());
}

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

#[tokio::test]
async fn client_secret_uses_basic_auth_and_hints_on_the_org_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/default/v1/token"))
        .respond_with(bearer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let secret_builder = || {
        ServiceAppSource::builder(org(&server), CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .scopes(["custom.read"])
            .dpop(DpopMode::Never)
    };
    let custom = secret_builder()
        .authorization_server("default")
        .build()
        .unwrap();
    custom.token().await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    assert_eq!(request.headers["authorization"], expected.as_str());
    let fields = form(request);
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["grant_type", "scope"]);

    let org_server = secret_builder().build().unwrap();
    let err = org_server.token().await.unwrap_err();
    let hint = err.oauth_error().unwrap().hint().unwrap();
    assert!(hint.contains("private key"), "{hint}");
    assert!(err.to_string().contains("private_key_jwt"));
    for shown in [
        format!("{err:?}"),
        err.to_string(),
        format!("{org_server:?}"),
        format!("{:?}", secret_builder()),
    ] {
        assert!(!shown.contains(CLIENT_SECRET), "{shown}");
        assert!(
            !shown.contains(&STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))),
            "{shown}"
        );
    }
}

#[test]
fn debug_never_shows_secrets_or_key_material() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let jwk_text = fixture("rsa2048-private.jwk.json");
    let jwk: Value = serde_json::from_str(&jwk_text).unwrap();
    let d = jwk["d"].as_str().unwrap();
    let key = SigningKey::parse(&jwk_text).unwrap();
    let builder = ServiceAppSource::builder(org.clone(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"]);
    let shown_builder = format!("{builder:?}");
    let source = builder.build().unwrap();
    let shown_source = format!("{source:?}");
    for shown in [&shown_builder, &shown_source] {
        assert!(
            shown.contains(CLIENT_ID) && shown.contains("rsa-jwk-1"),
            "{shown}"
        );
        assert!(!shown.contains(&d[..16]), "{shown}");
    }
    let with_secret = ServiceAppSource::builder(org, CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .scopes(["x"]);
    let shown_builder = format!("{with_secret:?}");
    let shown = format!("{shown_builder} {:?}", with_secret.build().unwrap());
    assert!(
        !shown.contains(CLIENT_SECRET) && shown.contains("[redacted]"),
        "{shown}"
    );
}

#[test]
fn build_refuses_the_assertion_key_as_dpop_key() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let pem = fixture("ec-p256-pkcs8.pem");
    let same = ServiceAppSource::builder(org.clone(), CLIENT_ID)
        .private_key(SigningKey::parse(&pem).unwrap().with_kid("k1"))
        .dpop_key(DpopKey::from_pem(&fixture("ec-p256-sec1.pem")).unwrap())
        .scopes(["okta.users.read"])
        .build();
    // The SEC1 and PKCS#8 fixtures hold the same key.
    let err = same.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("client-assertion key")),
        "{err:?}"
    );
    let other = ServiceAppSource::builder(org, CLIENT_ID)
        .private_key(SigningKey::parse(&pem).unwrap())
        .dpop_key(DpopKey::generate())
        .scopes(["okta.users.read"])
        .build();
    assert!(other.is_ok());
}

#[test]
fn build_refuses_bad_settings() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let base = || {
        ServiceAppSource::builder(org.clone(), CLIENT_ID)
            .private_key(SigningKey::generate_p256())
            .scopes(["okta.users.read"])
    };
    assert!(base().build().is_ok());
    let url = |s: &str| Url::parse(s).unwrap();
    let cases: Vec<(&str, ServiceAppSourceBuilder)> = vec![
        (
            "no auth",
            ServiceAppSource::builder(org.clone(), CLIENT_ID).scopes(["a"]),
        ),
        ("both auths", base().client_secret("s")),
        (
            "empty secret",
            ServiceAppSource::builder(org.clone(), CLIENT_ID)
                .client_secret("")
                .scopes(["a"]),
        ),
        (
            "empty client id",
            ServiceAppSource::builder(org.clone(), " ")
                .private_key(SigningKey::generate_p256())
                .scopes(["a"]),
        ),
        (
            "client id with space",
            ServiceAppSource::builder(org.clone(), "a b")
                .private_key(SigningKey::generate_p256())
                .scopes(["a"]),
        ),
        ("no scopes", base().scopes(Vec::<String>::new())),
        ("empty scope", base().scopes(["okta.users.read", ""])),
        (
            "scope with space",
            base().scopes(["okta.users.read okta.groups.read"]),
        ),
        ("scope with quote", base().scopes(["a\"b"])),
        (
            "server and endpoint",
            base()
                .authorization_server("default")
                .token_endpoint(url("https://example.okta.com/x")),
        ),
        ("bad server id", base().authorization_server("../x")),
        (
            "http endpoint",
            base().token_endpoint(url("http://example.okta.com/oauth2/v1/token")),
        ),
        (
            "endpoint with query",
            base().token_endpoint(url("https://example.okta.com/t?x=1")),
        ),
        (
            "endpoint with user",
            base().token_endpoint(url("https://u:p@example.okta.com/t")),
        ),
        ("lifetime zero", base().assertion_lifetime(Duration::ZERO)),
        (
            "lifetime an hour",
            base().assertion_lifetime(Duration::from_secs(3600)),
        ),
        (
            "lifetime over max",
            base().assertion_lifetime(
                okta_auth::service_app::MAX_ASSERTION_LIFETIME + Duration::from_secs(1),
            ),
        ),
        ("timeout zero", base().timeout(Duration::ZERO)),
        (
            "dpop key with never",
            base().dpop(DpopMode::Never).dpop_key(DpopKey::generate()),
        ),
    ];
    for (name, builder) in cases {
        match builder.build() {
            Err(Error::Config(_)) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(
        base()
            .assertion_lifetime(okta_auth::service_app::MAX_ASSERTION_LIFETIME)
            .build()
            .is_ok()
    );
    assert!(
        base()
            .token_endpoint(url("http://127.0.0.1:8080/oauth2/v1/token"))
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_transport_error() {
    // A port nobody listens on (wiremock pools its servers, so a dropped
    // MockServer still answers).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let org: OrgUrl = format!("http://127.0.0.1:{port}").parse().unwrap();
    let source = ServiceAppSource::builder(org, CLIENT_ID)
        .private_key(rsa_key())
        .scopes(["okta.users.read"])
        .build()
        .unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}
