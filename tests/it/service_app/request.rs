//! The token request on the wire: one exact form, an assertion verifiable
//! with the public key for every key form, its `aud`, a fresh one per
//! fetch, and a client secret sent with HTTP Basic.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use okta_auth::url::Url;
use okta_auth::{DpopMode, ServiceAppSource, TokenSource, TokenType};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::signing_key::{six_key_forms, verify};

use super::{
    ASSERTION_TYPE, CLIENT_ID, CLIENT_SECRET, ORG_PATH, assertion_claims, bearer, builder,
    endpoint, form, org,
};

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
