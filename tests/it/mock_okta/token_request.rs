//! The token request's shape, scopes and grant: form bodies only, granted
//! scopes, client secrets only on custom servers, one `Authorization`
//! header.

use base64::Engine;
use jsonwebtoken::Algorithm;
use okta_auth::testing::{MockOkta, ServiceApp};
use serde_json::{Value, json};

use super::{APP, Answer, JWT_BEARER, READ, Signer, get, grant, org, post_form};

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
    let query = Answer::read(client.post(with_query).send().await.unwrap()).await;
    assert_eq!(query.status, 400);
    assert_eq!(query.error().0, "invalid_request");
    let as_json: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let j = Answer::read(
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
    let g = Answer::read(client.get(endpoint.clone()).send().await.unwrap()).await;
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
    let ok = Answer::read(
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

    let bad = Answer::read(
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

    let org_as = Answer::read(
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
        let a = Answer::read(
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

/// An app whose tokens "never expire" (`token_lifetime(Duration::MAX)`)
/// gets tokens that end at the last instant a JWT's `exp` holds; the token
/// endpoint does not overflow `now + lifetime` (it panicked on the server
/// thread: the client saw a dropped connection, not an answer).
#[tokio::test]
async fn a_huge_token_lifetime_does_not_crash_the_token_endpoint() {
    let okta = MockOkta::start().await;
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(Signer::ec256().jwk())
            .scopes([READ])
            .token_lifetime(std::time::Duration::MAX),
    )
    .unwrap();
    let endpoint = okta.token_endpoint();
    let assertion = Signer::ec256().assertion(APP, endpoint.as_str(), |_| {});
    let a = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        grant(&endpoint, &assertion, READ, None),
    )
    .await
    .expect("the fake org did not answer within 10 s");
    assert_eq!(a.status, 200, "{}", a.body);
    // `expires_in` runs to `i64::MAX` on the fake org's clock (its `Date`).
    let now = httpdate::parse_http_date(a.header("date"))
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expires_in = a.body["expires_in"].as_u64().unwrap();
    let ends = i64::MAX.unsigned_abs() - expires_in;
    assert!(ends.abs_diff(now) <= 1, "ends at {ends}, now {now}");
    // The token works.
    let users = okta.org_url().endpoint("api/v1/users");
    let r = get(&users, &format!("Bearer {}", a.token()), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
}
