//! Routes a test mounts on the fake org: authorized as Okta's own routes
//! (API token, Bearer, DPoP with its proof, scopes, admin role), counted,
//! logged, faulted and rate limited like them.

use std::sync::Arc;
use std::time::Duration;

use okta_auth::http::{HeaderName, HeaderValue, Method, StatusCode};
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{
    ADMIN_USER_ID, ApiResponse, ApiRoute, Caller, Fault, MockOkta, MockUser, ServiceApp,
};
use okta_auth::{DpopMode, ServiceAppSource, SigningKey, TokenSource};
use serde_json::json;

use super::{api_token, app_token, get, get_with, http, org, url};

/// `GET /api/v1/users/{id}/factors` needing `okta.users.read` (or
/// `.manage`): the factors of a user the fake org knows, Okta's 404
/// otherwise. The responder reads the fake org itself.
async fn factors_route(okta: &Arc<MockOkta>) {
    // Weak: the route lives inside the fake org.
    let org = Arc::downgrade(okta);
    okta.mount(
        ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
            .scopes(["okta.users.read", "okta.users.manage"])
            .respond_with(move |request| {
                let id = request.param("id").unwrap_or_default();
                // A responder may call the fake org: it runs without its lock.
                let known = org
                    .upgrade()
                    .is_some_and(|okta| okta.received().iter().all(|r| r.path != "/never"));
                if known && id.starts_with("00u") {
                    ApiResponse::json(
                        StatusCode::OK,
                        json!([{ "id": "sms1", "factorType": "sms", "userId": id }]),
                    )
                } else {
                    ApiResponse::okta_error(
                        StatusCode::NOT_FOUND,
                        "E0000007",
                        &format!("Not found: Resource not found: {id} (User)"),
                    )
                }
            }),
    )
    .unwrap();
}

#[tokio::test]
async fn a_mounted_route_checks_scopes_bearer_dpop_and_ssws() {
    let okta = Arc::new(org().await);
    factors_route(&okta).await;
    let user = okta.add_user(MockUser::new("grace@example.com")).unwrap();
    let path = format!("api/v1/users/{user}/factors");

    // A service app with the wrong scope: Okta's 403 and challenge.
    let groups = app_token(&okta, "0oaGroups", &["okta.groups.read"], false).await;
    let a = get_with(&url(&okta, &path), &groups).await;
    assert_eq!((a.status, a.error_code()), (403, "E0000006"), "{}", a.body);
    let challenge = a.header("www-authenticate");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    // It names the route's first scope, as Okta names the least.
    assert!(
        challenge.contains("scope=\"okta.users.read\""),
        "{challenge}"
    );

    // The right scope, as Bearer and as DPoP (with a proof); an API token.
    let bearer = app_token(&okta, "0oaBearer", &["okta.users.read"], false).await;
    let dpop = app_token(&okta, "0oaDpop", &["okta.users.read"], true).await;
    assert_eq!(dpop.token_type(), okta_auth::TokenType::Dpop);
    for token in [&bearer, &dpop, &api_token().await] {
        let a = get_with(&url(&okta, &path), token).await;
        assert_eq!(a.status, 200, "{:?}: {}", token.token_type(), a.body);
        assert_eq!(a.body[0]["userId"], user.as_str());
        // The fake org's headers, as on every answer.
        assert!(a.header("x-okta-request-id").starts_with("mock-req-"));
        assert!(!a.header("x-rate-limit-remaining").is_empty());
    }
    let dpop_request = okta
        .received()
        .into_iter()
        .find(|r| r.proof_claims.is_some() && r.path.ends_with("/factors"))
        .unwrap();
    assert_eq!(dpop_request.status, 200);
    assert_eq!(dpop_request.proof_claims.unwrap()["htm"], "GET");

    // A DPoP token sent without its proof, as Bearer, or not at all: 401.
    let bare = |scheme: &str| format!("{scheme} {}", dpop.secret().expose_secret());
    for authorization in [bare("DPoP"), bare("Bearer"), String::new()] {
        let mut request = http().get(url(&okta, &path));
        if !authorization.is_empty() {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    // The responder's own 404 for an id it does not know.
    let a = get(&okta, "api/v1/users/nobody/factors").await;
    assert_eq!((a.status, a.error_code()), (404, "E0000007"));
}

#[tokio::test]
async fn an_app_without_an_admin_role_is_refused_on_a_mounted_route() {
    let okta = org().await;
    okta.mount(ApiRoute::new(Method::GET, "/api/v1/custom").scopes(["okta.users.read"]))
        .unwrap();
    let key = SigningKey::generate_p256().with_kid("no-role");
    okta.register_service_app(
        ServiceApp::new("0oaNoRole")
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"])
            .without_admin_role(),
    )
    .unwrap();
    let token = ServiceAppSource::builder(okta.org_url(), "0oaNoRole")
        .private_key(key)
        .scopes(["okta.users.read"])
        .dpop(DpopMode::Never)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    let a = get_with(&url(&okta, "api/v1/custom"), &token).await;
    assert_eq!((a.status, a.error_code()), (403, "E0000006"));
    assert_eq!(a.header("www-authenticate"), "");
    // Without scopes a route is for API tokens only; its default answer.
    okta.mount(ApiRoute::new(Method::GET, "/api/v1/tokens-only"))
        .unwrap();
    let scoped = app_token(&okta, "0oaScoped", &["okta.users.read"], false).await;
    assert_eq!(
        get_with(&url(&okta, "api/v1/tokens-only"), &scoped)
            .await
            .status,
        403
    );
    let a = get(&okta, "api/v1/tokens-only").await;
    assert_eq!((a.status, a.body.clone()), (200, json!({})));
}

#[tokio::test]
async fn mounted_routes_are_counted_logged_faulted_and_rate_limited() {
    let okta = org().await;
    okta.mount(
        ApiRoute::new(Method::POST, "/api/v2/things/*").respond_with(|request| {
            let caller = match &request.caller {
                Caller::ApiToken { user_id, .. } => user_id.clone(),
                other => format!("{other:?}"),
            };
            let body = json!({
                "caller": caller,
                "echo": request.json(),
                "color": request.query_param("color"),
            });
            ApiResponse::json(StatusCode::CREATED, body).header(
                HeaderName::from_static("location"),
                HeaderValue::from_static("/api/v2/things/1"),
            )
        }),
    )
    .unwrap();
    let post = || {
        http()
            .post(url(&okta, "api/v2/things/a/b?color=blue"))
            .header("authorization", format!("SSWS {}", super::API_TOKEN))
            .json(&json!({ "name": "widget" }))
            .send()
    };
    let response = post().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/api/v2/things/1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["caller"], ADMIN_USER_ID);
    assert_eq!(body["echo"]["name"], "widget");
    assert_eq!(body["color"], "blue");
    let logged = okta.received().pop().unwrap();
    assert_eq!(
        (logged.status, logged.body.unwrap()["name"].clone()),
        (201, json!("widget"))
    );
    assert_eq!(okta.api_requests(), 1);

    okta.fail_next_api_requests(1, Fault::Status(503));
    assert_eq!(post().await.unwrap().status(), 503);
    okta.rate_limit(1, Duration::from_secs(60));
    assert_eq!(post().await.unwrap().status(), 201);
    let limited = post().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(okta.rate_limited_requests(), 1);
    assert_eq!(okta.api_requests(), 4);
}

#[tokio::test]
async fn mounted_routes_go_first_without_breaking_the_built_in_ones() {
    let okta = org().await;
    okta.mount(
        ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
            .respond(ApiResponse::json(StatusCode::OK, json!(["first"]))),
    )
    .unwrap();
    let factors = format!("api/v1/users/{ADMIN_USER_ID}/factors");
    assert_eq!(get(&okta, &factors).await.body, json!(["first"]));
    // The built-in routes still answer, next to it.
    assert_eq!(
        get(&okta, "api/v1/users")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        get(&okta, &format!("api/v1/users/{ADMIN_USER_ID}"))
            .await
            .status,
        200
    );
    // The route mounted last answers; a built-in path can be replaced.
    okta.mount(
        ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
            .respond(ApiResponse::empty(StatusCode::NO_CONTENT)),
    )
    .unwrap();
    assert_eq!(get(&okta, &factors).await.status, 204);
    okta.mount(
        ApiRoute::new(Method::GET, "/api/v1/groups")
            .respond(ApiResponse::json(StatusCode::OK, json!([]))),
    )
    .unwrap();
    assert_eq!(get(&okta, "api/v1/groups").await.body, json!([]));
    // Another method on the path goes on to the built-in routes.
    let delete = http()
        .delete(url(&okta, &factors))
        .header("authorization", format!("SSWS {}", super::API_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 404);

    for bad in ["api/v1/x", "/a/{}", "/a/*/b", "/a?b"] {
        let error = okta.mount(ApiRoute::new(Method::GET, bad)).unwrap_err();
        assert!(matches!(error, okta_auth::Error::Config(_)), "{bad}");
    }
}
