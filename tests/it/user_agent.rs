//! The `User-Agent` on what the crate sends: `okta-auth/{version}` on every
//! token request, and on requests through `OktaAuth` unless turned off.

use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{ApiTokenSource, OktaAuth, ServiceAppSource, SigningKey, TokenSource, USER_AGENT};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::middleware::client;

const CLIENT_ID: &str = "0oaUserAgent";
const API_TOKEN: &str = "00user-agent-token";

fn user_agents(okta: &MockOkta, p: &str) -> Vec<Option<String>> {
    okta.received()
        .into_iter()
        .filter(|r| r.path == p)
        .map(|r| {
            r.headers
                .get("user-agent")
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect()
}

fn app(okta: &MockOkta) -> okta_auth::ServiceAppSourceBuilder {
    let key = SigningKey::generate_p256();
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"])
            .dpop(true, true),
    )
    .unwrap();
    ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"])
}

#[test]
fn names_the_crate_and_its_version() {
    assert_eq!(
        USER_AGENT,
        format!("okta-auth/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn every_token_request_carries_it_with_our_client_or_the_callers() {
    let okta = MockOkta::start().await;
    app(&okta).build().unwrap().token().await.unwrap();
    // A caller's client with a user agent of its own: reqwest cannot tell
    // us what it is, and the token request still says who sends it.
    let theirs = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("caller-client/1.0")
        .build()
        .unwrap();
    app(&okta)
        .http_client(theirs)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    let sent = user_agents(&okta, "/oauth2/v1/token");
    assert_eq!(sent.len(), 4, "two nonce handshakes");
    assert!(
        sent.iter().all(|ua| ua.as_deref() == Some(USER_AGENT)),
        "{sent:?}"
    );
}

#[tokio::test]
async fn api_requests_through_okta_auth_carry_it_unless_turned_off() {
    let okta = MockOkta::start().await;
    okta.register_api_token(API_TOKEN);
    let users = okta.org_url().endpoint("api/v1/users");
    let source = || ApiTokenSource::new(API_TOKEN).unwrap();

    // On by default; after the request's own products if it has some.
    let c = client(OktaAuth::new(okta.org_url(), source()), None);
    c.get(users.clone()).send().await.unwrap();
    c.get(users.clone())
        .header("user-agent", "my-app/2.1")
        .send()
        .await
        .unwrap();
    // Off: nothing (reqwest sends no user agent of its own).
    let off = OktaAuth::new(okta.org_url(), source()).user_agent(false);
    let c = client(off.clone(), None);
    c.get(users.clone()).send().await.unwrap();
    // Off, so that the client's own user agent is kept.
    let http = reqwest::Client::builder()
        .redirect(off.redirect_policy())
        .user_agent("caller-client/1.0")
        .build()
        .unwrap();
    let c = reqwest_middleware::ClientBuilder::new(http)
        .with(off)
        .build();
    c.get(users.clone()).send().await.unwrap();

    assert_eq!(
        user_agents(&okta, "/api/v1/users"),
        [
            Some(USER_AGENT.to_owned()),
            Some(format!("my-app/2.1 {USER_AGENT}")),
            None,
            Some("caller-client/1.0".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_service_app_through_okta_auth_says_it_on_both_kinds_of_request() {
    let okta = MockOkta::start().await;
    let c = client(
        OktaAuth::new(okta.org_url(), app(&okta).build().unwrap()),
        None,
    );
    let r = c
        .get(okta.org_url().endpoint("api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for p in ["/oauth2/v1/token", "/api/v1/users"] {
        let sent = user_agents(&okta, p);
        assert!(!sent.is_empty());
        assert!(
            sent.iter().all(|ua| ua.as_deref() == Some(USER_AGENT)),
            "{p}: {sent:?}"
        );
    }
}

#[tokio::test]
async fn requests_to_other_origins_are_left_alone() {
    let okta = MockOkta::start().await;
    okta.register_api_token(API_TOKEN);
    let other = MockServer::start().await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&other)
        .await;
    let auth = OktaAuth::new(okta.org_url(), ApiTokenSource::new(API_TOKEN).unwrap());
    client(auth, None)
        .get(format!("{}/elsewhere", other.uri()))
        .send()
        .await
        .unwrap();
    let sent = other.received_requests().await.unwrap();
    assert!(sent[0].headers.get("user-agent").is_none());
}
