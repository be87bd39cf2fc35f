//! Faults and observability: injected faults come first and are counted,
//! received requests are logged without secrets, concurrent requests are
//! all counted.

use std::time::Duration;

use okta_auth::testing::{Fault, MockOkta};
use serde_json::Value;

use super::{APP, READ, Signer, get, grant, org};

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

/// `ReceivedRequest`'s `Debug` (what a failing test prints) and its `form`
/// do not show the client assertion: a signed credential, good at the
/// token endpoint until it expires. Its header and claims stay, decoded.
#[tokio::test]
async fn received_request_debug_hides_the_client_assertion() {
    use okta_auth::testing::ServiceApp;
    use okta_auth::{ServiceAppSource, SigningKey, TokenSource};
    let key = SigningKey::generate_p256().with_kid("k1");
    let okta = MockOkta::start().await;
    okta.register_service_app(
        ServiceApp::new("0oaX")
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"]),
    )
    .unwrap();
    let source = ServiceAppSource::builder(okta.org_url(), "0oaX")
        .private_key(key)
        .scopes(["okta.users.read"])
        .build()
        .unwrap();
    source.token().await.unwrap();
    let received = okta.received();
    let token_request = received
        .iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    assert!(
        token_request
            .form
            .contains(&("client_assertion".into(), "[redacted]".into())),
        "{token_request:?}"
    );
    let header = token_request.assertion_header.as_ref().unwrap();
    assert_eq!(header["kid"], "k1");
    let claims = token_request.assertion_claims.as_ref().unwrap();
    assert_eq!(claims["iss"], "0oaX");
    for dump in [format!("{token_request:?}"), format!("{received:?}")] {
        // Every part of a JWT but the signature is base64url JSON: `eyJ…`.
        assert!(
            !dump.contains("eyJ"),
            "the client assertion is printed: {dump}"
        );
    }
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
