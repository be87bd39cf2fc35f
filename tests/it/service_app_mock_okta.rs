//! `ServiceAppSource` against `testing::MockOkta`, a fake org with Okta's
//! rules: the fake org verifies every assertion and proof itself.

use std::collections::HashSet;
use std::time::Duration;

use okta_auth::http::Method;
use okta_auth::testing::{Fault, MockOkta, ServiceApp};
use okta_auth::{
    DpopMode, Error, ServiceAppSource, ServiceAppSourceBuilder, SigningKey, TokenSource, TokenType,
};

use crate::signing_key::six_key_forms;

const CLIENT_ID: &str = "0oaMockServiceApp";

fn app(key: &SigningKey) -> ServiceApp {
    ServiceApp::new(CLIENT_ID)
        .jwk(key.public_jwk())
        .scopes(["okta.users.read", "okta.groups.read"])
}

fn source(okta: &MockOkta, key: SigningKey) -> ServiceAppSourceBuilder {
    ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"])
}

/// The token works on the fake org's management API, which checks the
/// binding (`cnf.jkt` against the proof's key) for DPoP tokens.
pub(crate) async fn call_api(okta: &MockOkta, token: &okta_auth::AccessToken) -> u16 {
    let url = okta.org_url().endpoint("api/v1/users/me");
    let headers = token.authorize(&Method::GET, &url).unwrap();
    reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_key_form_gets_a_token_from_the_org() {
    for (name, key, _, _) in six_key_forms() {
        let key = key.with_kid(format!("kid-{}", name.replace(' ', "-")));
        let okta = MockOkta::start().await;
        okta.register_service_app(app(&key)).unwrap();
        let source = source(&okta, key).build().unwrap();
        let token = source
            .token()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(token.scopes(), ["okta.users.read"], "{name}");
        assert_eq!(call_api(&okta, &token).await, 200, "{name}");
        assert_eq!(okta.token_requests(CLIENT_ID), 1, "{name}");
    }
}

#[tokio::test]
async fn dpop_nonce_handshake_then_one_request_per_fetch() {
    let okta = MockOkta::start().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    okta.register_service_app(app(&key).dpop(true, true))
        .unwrap();
    let source = source(&okta, key).build().unwrap();

    let first = source.token().await.unwrap();
    assert_eq!(first.token_type(), TokenType::Dpop);
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        2,
        "proof, then proof with nonce"
    );
    let second = source.token().await.unwrap();
    assert_eq!(okta.token_requests(CLIENT_ID), 3, "the nonce is remembered");
    assert_eq!(call_api(&okta, &second).await, 200);

    let received = okta.received();
    let thumbprint = source.dpop_key().unwrap().thumbprint().to_owned();
    let mut jtis = HashSet::new();
    for request in received.iter().filter(|r| r.path.ends_with("/v1/token")) {
        let proof_jwk: okta_auth::Jwk =
            serde_json::from_value(request.proof_header.as_ref().unwrap()["jwk"].clone()).unwrap();
        assert_eq!(okta_auth::jwk_thumbprint(&proof_jwk), thumbprint);
        let claims = request.assertion_claims.as_ref().unwrap();
        assert!(jtis.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
    assert_eq!(jtis.len(), 3);

    // After a nonce rotation, one more handshake, then quiet again.
    okta.rotate_nonce();
    source.token().await.unwrap();
    assert_eq!(okta.token_requests(CLIENT_ID), 5);
    source.token().await.unwrap();
    assert_eq!(okta.token_requests(CLIENT_ID), 6);
}

#[tokio::test]
async fn always_refuses_an_unbound_answer_and_never_is_refused_by_a_dpop_app() {
    let okta = MockOkta::start().await;
    let key = SigningKey::generate_p256();
    okta.register_service_app(app(&key).dpop(true, true))
        .unwrap();
    let never = source(&okta, key.clone())
        .dpop(DpopMode::Never)
        .build()
        .unwrap();
    let err = never.token().await.unwrap_err();
    let oauth = err.oauth_error().unwrap_or_else(|| panic!("{err:?}"));
    assert!(
        oauth.hint().is_some_and(|h| h.contains("DpopMode")),
        "{err}"
    );

    let always = source(&okta, key).dpop(DpopMode::Always).build().unwrap();
    let token = always.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
}

#[tokio::test]
async fn oauth_errors_from_the_org_are_typed() {
    let okta = MockOkta::start().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    okta.register_service_app(app(&key)).unwrap();

    let unknown_scope = source(&okta, key.clone())
        .scopes(["okta.users.read", "okta.apps.manage"])
        .build()
        .unwrap();
    let err = unknown_scope.token().await.unwrap_err();
    assert_eq!(err.oauth_error().unwrap().error(), "invalid_scope", "{err}");
    assert_eq!(err.status().unwrap().as_u16(), 400);

    let no_scope = source(&okta, key.clone())
        .scopes(["okta.apps.manage"])
        .build()
        .unwrap();
    let err = no_scope.token().await.unwrap_err();
    assert_eq!(
        err.oauth_error().unwrap().error(),
        "consent_required",
        "{err}"
    );

    let wrong_key = source(&okta, SigningKey::generate_p256().with_kid("k1"))
        .build()
        .unwrap();
    let err = wrong_key.token().await.unwrap_err();
    assert_eq!(
        err.oauth_error().unwrap().error(),
        "invalid_client",
        "{err}"
    );
    assert_eq!(err.status().unwrap().as_u16(), 401);
    assert!(!err.is_transient());
}

#[tokio::test]
async fn client_secrets_work_on_custom_servers_only() {
    let okta = MockOkta::start().await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client(
        "default",
        "0oaSecretClient",
        "s3cret-VALUE",
        ["custom.read"],
    )
    .unwrap();
    let builder = || {
        ServiceAppSource::builder(okta.org_url(), "0oaSecretClient")
            .client_secret("s3cret-VALUE")
            .scopes(["custom.read"])
    };
    let custom = builder().authorization_server("default").build().unwrap();
    custom.token().await.unwrap();

    let org = builder().build().unwrap();
    let err = org.token().await.unwrap_err();
    let oauth = err.oauth_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(oauth.error(), "invalid_client");
    assert!(oauth.hint().unwrap().contains("private key"));
    assert!(!format!("{err} {err:?}").contains("s3cret-VALUE"));
}

#[tokio::test]
async fn faults_are_typed_and_transient_where_retrying_helps() {
    let okta = MockOkta::start().await;
    let key = SigningKey::generate_p256();
    okta.register_service_app(app(&key)).unwrap();
    let source = source(&okta, key)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    okta.fail_next_token_requests(1, Fault::Status(503));
    let err = source.token().await.unwrap_err();
    assert!(
        err.is_transient() && err.status().unwrap().as_u16() == 503,
        "{err:?}"
    );

    okta.fail_next_token_requests(
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let err = source.token().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                reset_at: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.retry_after().is_some());

    okta.fail_next_token_requests(1, Fault::MalformedBody);
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::MalformedResponse { .. }), "{err:?}");

    okta.fail_next_token_requests(1, Fault::OversizedBody);
    let err = source.token().await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedResponse { ref reason, .. } if reason.contains("larger")),
        "{err:?}"
    );

    okta.fail_next_token_requests(1, Fault::Delay(Duration::from_secs(5)));
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_transient());

    // And it recovers.
    source.token().await.unwrap();
}

/// The token the org binds (`cnf.jkt`) is bound to our DPoP key's RFC 7638
/// thumbprint: the proofs at the token endpoint carry that key, the token
/// works with it, and the same token with another key is refused.
#[tokio::test]
async fn the_org_binds_tokens_to_our_dpop_key_thumbprint() {
    let key = SigningKey::generate_p256().with_kid("bind");
    let okta = MockOkta::start().await;
    okta.register_service_app(app(&key).dpop(true, true))
        .unwrap();
    let dpop_key = okta_auth::DpopKey::generate();
    let source = source(&okta, key)
        .dpop_key(dpop_key.clone())
        .build()
        .unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    assert_eq!(
        token.dpop_key().unwrap().thumbprint(),
        dpop_key.thumbprint()
    );

    for request in okta.received() {
        let header = request.proof_header.expect("every token POST has a proof");
        let jwk: okta_auth::Jwk = serde_json::from_value(header["jwk"].clone()).unwrap();
        assert_eq!(okta_auth::jwk_thumbprint(&jwk), dpop_key.thumbprint());
    }
    assert_eq!(call_api(&okta, &token).await, 200);

    let secret = okta_auth::secrecy::ExposeSecret::expose_secret(token.secret()).to_owned();
    let stolen = okta_auth::AccessToken::dpop(secret, okta_auth::DpopKey::generate()).unwrap();
    assert_eq!(call_api(&okta, &stolen).await, 401);
}
