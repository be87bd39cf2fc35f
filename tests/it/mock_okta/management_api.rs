//! The management API's tokens: custom-server tokens refused, SSWS and
//! Bearer tokens checked, revoked and expired, paused time followed, scopes
//! enforced.

use std::time::Duration;

use jsonwebtoken::get_current_timestamp;
use okta_auth::testing::{MockOkta, ServiceApp};
use serde_json::json;

use super::{APP, Answer, READ, Signer, bearer_token, get, grant, org};

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
    let secret_client = Answer::read(
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
    let missing = Answer::read(reqwest::get(me.clone()).await.unwrap()).await;
    assert_eq!(missing.status, 401);
    let unknown = okta.org_url().endpoint("api/v1/zones");
    okta.register_api_token("00other");
    assert_eq!(
        get(&unknown, "SSWS 00other", None).await.body["errorCode"],
        "E0000007"
    );
    assert_eq!(okta.api_requests(), 5);
    let elsewhere = Answer::read(
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
