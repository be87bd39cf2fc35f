//! Okta's authorization on the management API: an API token may do
//! everything; an access token needs the route's scope and its client an
//! admin role, else `403 E0000006`.

use okta_auth::http::Method;
use okta_auth::testing::{AdminRoute, DEFAULT_ADMIN_ROLE};
use okta_auth::{DpopMode, SigningKey};
use serde_json::json;

use super::{
    Auth, MANAGE_SCOPES, MANAGER, admin, assign_role, fetch, grant, manager_token, new_client, org,
    registration, send,
};

#[tokio::test]
async fn an_app_without_an_admin_role_is_refused_until_it_gets_one() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;
    for scope in ["okta.users.read", "okta.apps.read"] {
        assert_eq!(grant(&okta, &id, scope).await.status, 201);
    }
    let scopes = ["okta.users.read", "okta.apps.read"];
    let token = fetch(&okta, &id, &key, &scopes, DpopMode::Auto)
        .await
        .unwrap();
    let app_path = format!("api/v1/apps/{id}");

    // Scopes granted, no role: 403 E0000006, without a scope challenge.
    for path in ["api/v1/users", "api/v1/users/me", app_path.as_str()] {
        let a = send(&okta, Method::GET, path, Auth::Token(&token), None).await;
        assert_eq!(a.status, 403, "{path}: {}", a.body);
        assert_eq!(a.okta_error().0, "E0000006");
        assert_eq!(a.header("www-authenticate"), "", "{path}");
    }

    let role = assign_role(&okta, &id, "HELP_DESK_ADMIN").await;
    assert_eq!(role.status, 200, "Okta answers 200, not 201: {}", role.body);
    assert_eq!(role.body["assignmentType"], "CLIENT");
    assert_eq!(role.body["type"], "HELP_DESK_ADMIN");
    assert_eq!(role.body["status"], "ACTIVE");

    // The same token now reaches both APIs.
    for path in ["api/v1/users", "api/v1/users/me", app_path.as_str()] {
        let a = send(&okta, Method::GET, path, Auth::Token(&token), None).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
    }
    // A scope it lacks: 403 E0000006 with Okta's `insufficient_scope`.
    let path = format!("api/v1/apps/{id}/grants");
    let a = send(&okta, Method::GET, &path, Auth::Token(&token), None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.okta_error().0, "E0000006");
    assert!(
        a.header("www-authenticate")
            .contains("error=\"insufficient_scope\"")
    );

    // A second identical role is Okta's 409 E0000090.
    let again = assign_role(&okta, &id, "HELP_DESK_ADMIN").await;
    assert_eq!((again.status, again.okta_error().0), (409, "E0000090"));
}

#[tokio::test]
async fn register_service_app_gives_a_role_unless_told_not_to() {
    let okta = org().await;
    let token = manager_token(&okta, &["okta.users.read"], true).await;
    let a = send(
        &okta,
        Method::GET,
        "api/v1/users",
        Auth::Token(&token),
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    let roles = okta.app(MANAGER).unwrap().roles;
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role_type, DEFAULT_ADMIN_ROLE);
    // Its grants are listed as the Apps API lists them.
    let path = format!("api/v1/apps/{MANAGER}/grants");
    let grants = admin(&okta, Method::GET, &path, None).await.body;
    assert_eq!(grants[0]["scopeId"], "okta.users.read");
    assert_eq!(grants[0]["issuer"], okta.uri().as_str());

    let okta = org().await;
    let token = manager_token(&okta, &["okta.users.read"], false).await;
    let a = send(
        &okta,
        Method::GET,
        "api/v1/users",
        Auth::Token(&token),
        None,
    )
    .await;
    assert_eq!((a.status, a.okta_error().0), (403, "E0000006"));
    assert!(okta.app(MANAGER).unwrap().roles.is_empty());
}

#[tokio::test]
async fn every_route_needs_its_scope() {
    let okta = org().await;
    // A super admin whose token holds no management scope.
    let token = manager_token(&okta, &["okta.users.read"], true).await;
    let body = json!({});
    let cases = [
        (
            Method::POST,
            "oauth2/v1/clients".to_owned(),
            AdminRoute::RegisterClient,
        ),
        (
            Method::GET,
            format!("api/v1/apps/{MANAGER}"),
            AdminRoute::GetApp,
        ),
        (
            Method::POST,
            format!("api/v1/apps/{MANAGER}/lifecycle/deactivate"),
            AdminRoute::DeactivateApp,
        ),
        (
            Method::DELETE,
            format!("api/v1/apps/{MANAGER}"),
            AdminRoute::DeleteApp,
        ),
        (
            Method::GET,
            format!("api/v1/apps/{MANAGER}/credentials/jwks"),
            AdminRoute::ListKeys,
        ),
        (
            Method::POST,
            format!("api/v1/apps/{MANAGER}/credentials/jwks"),
            AdminRoute::AddKey,
        ),
        (
            Method::POST,
            format!("api/v1/apps/{MANAGER}/grants"),
            AdminRoute::GrantScope,
        ),
        (
            Method::POST,
            format!("oauth2/v1/clients/{MANAGER}/roles"),
            AdminRoute::AssignRole,
        ),
        (
            Method::GET,
            "api/v1/api-tokens".to_owned(),
            AdminRoute::ListApiTokens,
        ),
    ];
    for (method, path, route) in cases {
        let a = send(&okta, method, &path, Auth::Token(&token), Some(&body)).await;
        assert_eq!((a.status, a.okta_error().0), (403, "E0000006"), "{path}");
        let challenge = a.header("www-authenticate");
        assert!(
            challenge.contains("insufficient_scope"),
            "{path}: {challenge}"
        );
        assert!(!route.scopes().is_empty());
    }
    // Nothing was changed.
    assert_eq!(okta.apps(), [MANAGER]);
    assert!(okta.app(MANAGER).unwrap().grants.len() == 1);
}

#[tokio::test]
async fn a_service_app_with_the_scopes_provisions_another() {
    let okta = org().await;
    let token = manager_token(&okta, &MANAGE_SCOPES, true).await;
    let key = SigningKey::generate_p256().with_kid("new-1");
    let body = registration("Provisioned", &[&key]);
    let a = send(
        &okta,
        Method::POST,
        "oauth2/v1/clients",
        Auth::Token(&token),
        Some(&body),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["client_id"].as_str().unwrap().to_owned();

    let body = json!({ "issuer": okta.uri(), "scopeId": "okta.users.read" });
    let path = format!("api/v1/apps/{id}/grants");
    let a = send(&okta, Method::POST, &path, Auth::Token(&token), Some(&body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(
        a.body["createdBy"],
        json!({ "id": MANAGER, "type": "Client" })
    );

    let body = json!({ "type": "CUSTOM", "role": "cr0orders", "resource-set": "iamorders" });
    let path = format!("oauth2/v1/clients/{id}/roles");
    let a = send(&okta, Method::POST, &path, Auth::Token(&token), Some(&body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["role"], "cr0orders");
    assert_eq!(a.body["resource-set"], "iamorders");
    assert_eq!(a.body["assignmentType"], "CLIENT");
    let role = &okta.app(&id).unwrap().roles[0];
    assert_eq!(role.role_type, "CUSTOM");
    assert_eq!(role.resource_set.as_deref(), Some("iamorders"));

    // The new app works at once, with its own rights.
    let new = fetch(&okta, &id, &key, &["okta.users.read"], DpopMode::Auto)
        .await
        .unwrap();
    let a = send(&okta, Method::GET, "api/v1/users", Auth::Token(&new), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn bad_role_assignments_are_refused() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;
    let path = format!("oauth2/v1/clients/{id}/roles");
    for (body, field) in [
        (json!({ "type": "GOD_MODE" }), "type"),
        (json!({}), "type"),
        (json!({ "type": "CUSTOM", "resource-set": "iam1" }), "role"),
        (json!({ "type": "CUSTOM", "role": "cr01" }), "resource-set"),
    ] {
        let a = admin(&okta, Method::POST, &path, Some(&body)).await;
        assert_eq!(a.status, 400, "{body}");
        assert_eq!(a.okta_error().0, "E0000001");
        assert_eq!(
            a.body["errorSummary"],
            format!("Api validation failed: {field}")
        );
    }
    let a = admin(
        &okta,
        Method::POST,
        "oauth2/v1/clients/0oaNoSuchApp/roles",
        Some(&json!({ "type": "APP_ADMIN" })),
    )
    .await;
    assert_eq!((a.status, a.okta_error().0), (404, "E0000007"));
    assert!(okta.app(&id).unwrap().roles.is_empty());
}
