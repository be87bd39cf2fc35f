//! Adversarial review of the operational features (admin lists, config
//! precedence): each test shows a defect through the public API and fails
//! on the code it was written against.

use std::path::PathBuf;

use okta_auth::config::Sources;
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{ApiTokenSource, OktaAdmin, OktaConfig, SigningKey};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ADMIN_TOKEN: &str = "00review-ops-admin-token";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn admin_for(server: &MockServer) -> OktaAdmin {
    OktaAdmin::builder(
        server.uri().parse().unwrap(),
        ApiTokenSource::new(ADMIN_TOKEN).unwrap(),
    )
    .http_client(http())
    .build()
    .unwrap()
}

fn api_token(id: &str) -> serde_json::Value {
    serde_json::json!({ "id": id, "name": format!("token {id}"), "userId": "00u1" })
}

/// A page `after=00T1` holding the second token, for the first page to
/// point at.
async fn second_page(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .and(query_param("after", "00T1"))
        .respond_with(ResponseTemplate::new(200).set_body_json([api_token("00T2")]))
        .with_priority(1)
        .mount(server)
        .await;
}

/// RFC 8288 lets a `Link` target be a relative reference, resolved against
/// the request URL. `next_page` only takes absolute URLs, so a relative
/// `rel="next"` is dropped and the list comes back as if complete: the
/// caller (an incident responder listing API tokens to revoke) never
/// learns that a page was skipped.
#[tokio::test]
async fn a_relative_next_link_is_followed_or_refused_never_dropped() {
    let server = MockServer::start().await;
    second_page(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header("link", "</api/v1/api-tokens?after=00T1>; rel=\"next\""),
        )
        .mount(&server)
        .await;
    // Refusing the list (an error) is acceptable too; a short `Ok` is not.
    if let Ok(tokens) = admin_for(&server).list_api_tokens().await {
        let ids: Vec<_> = tokens.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["00T1", "00T2"], "a page was silently skipped");
    }
}

/// A `rel="next"` on another origin is rightly not followed (the token
/// would go there), but the list is then returned as `Ok` with only the
/// pages seen: a truncated list that looks complete. It should be an
/// error. (tests/it/admin/calls.rs `lists_follow_next_links_within_the_org`
/// asserts the truncation as intended; this challenges that decision.)
#[tokio::test]
async fn a_next_link_to_another_origin_is_an_error_not_a_short_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header(
                    "link",
                    "<https://elsewhere.example/api/v1/api-tokens?after=00T1>; rel=\"next\"",
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let result = admin_for(&server).list_api_tokens().await;
    assert!(
        result.is_err(),
        "a list whose next page could not be fetched came back as complete: {result:?}"
    );
}

/// A server that answers every page with a `rel="next"` to the very same
/// URL (the same `after` twice) is asked for that page again and again,
/// [`okta_auth::admin::MAX_PAGES`] times, spending 50 calls of the rate
/// limit bucket before an error that says "more than 50 pages". A repeated
/// cursor is detectable at the second page.
#[tokio::test]
async fn the_same_cursor_twice_stops_the_list_at_once() {
    let server = MockServer::start().await;
    let link = format!(
        "<{}/api/v1/api-tokens?after=00T1>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header("link", link.as_str()),
        )
        .mount(&server)
        .await;
    let result = admin_for(&server).list_api_tokens().await;
    assert!(result.is_err());
    let calls = server.received_requests().await.unwrap().len();
    assert!(
        calls <= 3,
        "the same page was fetched {calls} times before giving up"
    );
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("review_ops")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: PathBuf, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
}

/// An app holding `key` (under its kid) and a second active key, so the
/// assertion's `kid` decides which key verifies it.
async fn app_with_two_keys(key: &SigningKey) -> MockOkta {
    let okta = MockOkta::start().await;
    let other = SigningKey::generate_p256().with_kid("other-key");
    okta.register_service_app(
        ServiceApp::new("0oaReview")
            .jwk(key.public_jwk())
            .jwk(other.public_jwk())
            .scopes(["okta.users.read"]),
    )
    .unwrap();
    okta
}

/// README: `OKTA_CLIENT_PRIVATEKEYID` / `okta.client.privateKeyId` is "the
/// key's `kid`, when the key does not carry one". For a key given as text
/// (a private JWK with its own `kid`) the setting replaces the key's kid
/// anyway — even from a lower layer: a stale `privateKeyId` left in
/// `~/.okta/okta.yaml` overrides the kid of the (rotated) JWK in the
/// environment, so the assertion names a key the app no longer has and
/// every token request fails with `invalid_client`. (`signing_key`, the
/// parsed form, keeps the key's kid: the two forms disagree.)
#[tokio::test]
async fn a_stale_private_key_id_in_the_home_file_does_not_override_the_jwks_own_kid() {
    let key = SigningKey::generate_p256().with_kid("rotated-kid");
    let okta = app_with_two_keys(&key).await;
    let home = dir("stale-kid-home");
    write(
        home.join(".okta/okta.yaml"),
        "okta:\n  client:\n    privateKeyId: \"retired-kid\"\n",
    );
    let jwk = key.to_private_jwk().unwrap();
    let config = OktaConfig::load(
        &Sources::empty()
            .home_dir(&home)
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_CLIENTID", "0oaReview")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", jwk.expose_secret()),
    )
    .unwrap();
    let result = config.token_source().unwrap().token().await;
    let sent_kid = okta
        .received()
        .iter()
        .rev()
        .find_map(|r| r.assertion_header.clone())
        .map(|h| h["kid"].clone());
    assert_eq!(
        sent_kid,
        Some(serde_json::json!("rotated-kid")),
        "the home file's privateKeyId replaced the environment key's own kid"
    );
    result.unwrap();
}

/// The same rule in code: "code overrides both", yet a private JWK given
/// with the `private_key` setter loses its kid to `OKTA_CLIENT_PRIVATEKEYID`
/// from the environment.
#[tokio::test]
async fn a_key_set_in_code_keeps_its_kid_over_the_environments_key_id() {
    let key = SigningKey::generate_p256().with_kid("code-kid");
    let okta = app_with_two_keys(&key).await;
    let jwk = key.to_private_jwk().unwrap();
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_CLIENTID", "0oaReview")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEYID", "env-kid"),
    )
    .unwrap()
    .private_key(jwk.expose_secret());
    config
        .token_source()
        .unwrap()
        .token()
        .await
        .expect("the key set in code was sent under the environment's kid");
}

/// Every other setting treats an empty value as unset (`orgUrl: ""`, an
/// empty variable), so a lower layer's value stays. `scopes: ""` in
/// `./okta.yaml` instead replaces the home file's scopes with none, and
/// the configuration stops working.
#[test]
fn an_empty_scopes_value_in_a_higher_layer_does_not_wipe_the_lower_ones() {
    let home = dir("empty-scopes-home");
    let cwd = dir("empty-scopes-cwd");
    write(
        home.join(".okta/okta.yaml"),
        "okta:\n  client:\n    orgUrl: \"https://example.okta.com\"\n    \
         scopes: \"okta.users.read\"\n    clientId: \"0oaReview\"\n",
    );
    write(
        cwd.join("okta.yaml"),
        "okta:\n  client:\n    orgUrl: \"\"\n    scopes: \"\"\n",
    );
    let key = SigningKey::generate_p256().with_kid("k");
    let config = OktaConfig::load(&Sources::empty().home_dir(&home).current_dir(&cwd))
        .unwrap()
        .signing_key(key);
    // The empty orgUrl is skipped: the home file's stays.
    assert_eq!(config.org().unwrap().issuer(), "https://example.okta.com");
    let debug = format!("{config:?}");
    assert!(
        debug.contains("okta.users.read"),
        "the empty scopes value wiped the home file's scopes: {debug}"
    );
}
