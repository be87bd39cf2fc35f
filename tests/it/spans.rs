//! `tracing` spans: one per token fetch and one per request through
//! `OktaAuth`, with the crate's events inside them, and no secret anywhere
//! in what is traced, captured at TRACE across a whole DPoP flow.

use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{DpopKey, DpopMode, OktaAuth, ServiceAppSource, SigningKey, TokenSource};
use serde_json::Value;

use crate::middleware::client;
use crate::signing_key::fixture;
use crate::trace_capture::Capture;

const CLIENT_ID: &str = "0oaTracedApp";
const SECRET_CLIENT: &str = "0oaTracedSecretClient";
const CLIENT_SECRET: &str = "traced-client-SECRET-9d1e";

/// Every secret value of a JWK fixture (its private members).
fn private_members(jwk_fixture: &str) -> Vec<String> {
    let jwk: Value = serde_json::from_str(&fixture(jwk_fixture)).unwrap();
    ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .filter_map(|m| jwk[m].as_str().map(str::to_owned))
        .collect()
}

/// The base64 lines of a PEM fixture.
fn pem_lines(pem_fixture: &str) -> Vec<String> {
    fixture(pem_fixture)
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

/// Overlapping windows of `secret`, so that a part of it as short as 32
/// characters (a JWT's signature, one line of a key) is found too.
fn fragments(secret: &str) -> Vec<&str> {
    const WINDOW: usize = 24;
    if secret.len() <= WINDOW {
        return vec![secret];
    }
    (0..=secret.len() - WINDOW)
        .step_by(8)
        .chain([secret.len() - WINDOW])
        .filter_map(|i| secret.get(i..i + WINDOW))
        .collect()
}

#[tokio::test]
async fn spans_carry_the_facts_and_no_secret_at_trace() {
    let (capture, _recording) = Capture::start();

    let okta = MockOkta::start().await;
    let signing = SigningKey::parse(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .with_kid("traced-kid");
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(signing.public_jwk())
            .scopes(["okta.users.read"])
            .dpop(true, true),
    )
    .unwrap();
    // DPoP nonces at the API too: a `use_dpop_nonce` 401 to answer.
    okta.require_resource_nonce(true);
    let source = ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(signing)
        .dpop_key(DpopKey::from_pem(&fixture("ec-p256-pkcs8.pem")).unwrap())
        .scopes(["okta.users.read"])
        .build()
        .unwrap();
    let c = client(OktaAuth::new(okta.org_url(), source), None);
    let users = format!("{}?limit=5", okta.org_url().endpoint("api/v1/users"));

    // A token (nonce handshake), a nonce 401, the retry.
    assert_eq!(c.get(&users).send().await.unwrap().status(), 200);
    // The token revoked: a 401, a new token, the retry.
    let first = okta
        .received()
        .into_iter()
        .rev()
        .find(|r| r.path == "/api/v1/users")
        .unwrap();
    let authorization = first.headers["authorization"].to_str().unwrap();
    let token = authorization.strip_prefix("DPoP ").unwrap().to_owned();
    assert!(okta.revoke(&token));
    assert_eq!(c.get(&users).send().await.unwrap().status(), 200);

    // A client secret at a custom authorization server.
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", SECRET_CLIENT, CLIENT_SECRET, ["orders.read"])
        .unwrap();
    let custom = ServiceAppSource::builder(okta.org_url(), SECRET_CLIENT)
        .client_secret(CLIENT_SECRET)
        .authorization_server("default")
        .scopes(["orders.read"])
        .dpop(DpopMode::Never)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();

    // The spans of the token fetches.
    let fetches = capture.spans_named("okta_token_fetch");
    assert_eq!(fetches.len(), 3, "{}", capture.dump());
    let first_fetch = &fetches[0];
    assert_eq!(first_fetch.level, tracing::Level::INFO);
    assert_eq!(first_fetch.field("client_id"), Some(CLIENT_ID));
    assert_eq!(
        first_fetch.field("endpoint"),
        Some(okta.token_endpoint().as_str())
    );
    assert_eq!(first_fetch.field("dpop"), Some("true"));
    assert_eq!(
        first_fetch.field("attempt"),
        Some("2"),
        "the nonce handshake"
    );
    assert_eq!(first_fetch.field("outcome"), Some("ok"));
    assert_eq!(first_fetch.field("token_type"), Some("DPoP"));
    assert!(first_fetch.field("duration_ms").is_some());
    let nonce = capture
        .event("token endpoint asked for a dpop nonce")
        .unwrap_or_else(|| panic!("{}", capture.dump()));
    assert!(capture.within(nonce.span, first_fetch.id));
    let fetched = capture.event("okta token fetched").unwrap();
    assert!(capture.within(fetched.span, first_fetch.id));
    assert_eq!(
        fetches[1].field("attempt"),
        Some("1"),
        "the nonce is remembered"
    );
    assert_eq!(fetches[2].field("client_id"), Some(SECRET_CLIENT));
    assert_eq!(fetches[2].field("dpop"), Some("false"));
    assert_eq!(fetches[2].field("token_type"), Some("Bearer"));

    // The spans of the API requests.
    let requests = capture.spans_named("okta_request");
    assert_eq!(requests.len(), 2, "{}", capture.dump());
    for r in &requests {
        assert_eq!(r.field("method"), Some("GET"));
        assert_eq!(r.field("path"), Some("/api/v1/users"), "no query");
        assert_eq!(r.field("retries"), Some("1"));
        assert_eq!(r.field("redirects"), Some("0"));
        assert_eq!(r.field("status"), Some("200"));
    }
    let retried: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.message() == "okta refused the request (401); retrying once")
        .collect();
    assert_eq!(retried.len(), 2);
    assert!(capture.within(retried[0].span, requests[0].id));
    assert_eq!(retried[0].field("new_token"), Some("false"), "the nonce");
    assert!(capture.within(retried[1].span, requests[1].id));
    assert_eq!(retried[1].field("new_token"), Some("true"), "revoked");

    // No secret, anywhere.
    let mut secrets: Vec<String> = vec![
        token,
        custom.secret().expose_secret().to_owned(),
        CLIENT_SECRET.to_owned(),
    ];
    for r in okta.received() {
        for name in ["authorization", "dpop"] {
            if let Some(v) = r.headers.get(name) {
                let v = v.to_str().unwrap();
                secrets.push(v.to_owned());
                secrets.extend(v.split_whitespace().nth(1).map(str::to_owned));
            }
        }
        // The client assertion: `MockOkta` logs it as `[redacted]`, and the
        // last check below finds any JWT (`eyJ…`).
    }
    secrets.extend(private_members("rsa2048-private.jwk.json"));
    secrets.extend(private_members("ec-p256-private.jwk.json"));
    secrets.extend(pem_lines("rsa2048-pkcs8.pem"));
    secrets.extend(pem_lines("ec-p256-pkcs8.pem"));
    assert!(secrets.len() > 40, "{}", secrets.len());

    let dump = capture.dump();
    assert!(dump.lines().count() > 20, "{dump}");
    for secret in &secrets {
        for piece in fragments(secret) {
            assert!(!dump.contains(piece), "a secret was traced: {dump}");
        }
    }
    assert!(!dump.contains("eyJ"), "a JWT was traced: {dump}");
}

#[tokio::test]
async fn a_failed_fetch_records_its_error() {
    let (capture, _recording) = Capture::start();
    let okta = MockOkta::start().await;
    // Never registered: `invalid_client`.
    let e = ServiceAppSource::builder(okta.org_url(), "0oaUnknown")
        .private_key(SigningKey::generate_p256())
        .scopes(["okta.users.read"])
        .dpop(DpopMode::Never)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap_err();
    let fetch = &capture.spans_named("okta_token_fetch")[0];
    assert_eq!(fetch.field("outcome"), Some("error"));
    assert_eq!(fetch.field("error"), Some(e.to_string().as_str()));
    assert_eq!(fetch.field("attempt"), Some("1"));
    let failed = capture.event("okta token fetch failed").unwrap();
    assert!(capture.within(failed.span, fetch.id));
}
