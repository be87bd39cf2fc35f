//! Apps: the app object, its replacement, its lifecycle (deactivate before
//! delete), and what an inactive or deleted app can still do.

use okta_auth::http::Method;
use okta_auth::testing::Status;
use okta_auth::{DpopMode, SigningKey};
use serde_json::json;

use super::{Auth, admin, assign_role, fetch, grant, new_client, oauth_error, org, send};

const READ: &str = "okta.users.read";

#[tokio::test]
async fn the_app_object_and_its_replacement() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;
    let path = format!("api/v1/apps/{id}");
    let app = admin(&okta, Method::GET, &path, None).await;
    assert_eq!(app.status, 200);
    assert_eq!(app.body["id"], id.as_str());
    assert_eq!(app.body["status"], "ACTIVE");
    assert_eq!(app.body["label"], "Orders sync");
    assert_eq!(app.body["signOnMode"], "OPENID_CONNECT");
    assert_eq!(
        app.body["credentials"]["oauthClient"]["client_id"],
        id.as_str()
    );
    assert_eq!(
        app.body["credentials"]["oauthClient"]["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    let settings = &app.body["settings"]["oauthClient"];
    assert_eq!(settings["dpop_bound_access_tokens"], true);
    assert_eq!(settings["application_type"], "service");
    assert_eq!(settings["jwks"]["keys"][0]["kid"], "k1");
    let listed = admin(&okta, Method::GET, "api/v1/apps?q=orders", None).await;
    assert_eq!(listed.body[0]["id"], id.as_str());
    let none = admin(&okta, Method::GET, "api/v1/apps?q=billing", None).await;
    assert_eq!(none.body, json!([]));

    // A replacement needs `label` and `signOnMode`; one that leaves out
    // the DPoP setting sets it to the Apps API's default, false.
    let mut body = app.body.clone();
    body["label"] = json!("");
    let a = admin(&okta, Method::PUT, &path, Some(&body)).await;
    assert_eq!(a.body["errorSummary"], "Api validation failed: label");
    let minimal =
        json!({ "name": "oidc_client", "label": "Renamed", "signOnMode": "OPENID_CONNECT" });
    let a = admin(&okta, Method::PUT, &path, Some(&minimal)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["label"], "Renamed");
    assert_eq!(
        a.body["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        false
    );
    assert!(!okta.app(&id).unwrap().dpop_bound_access_tokens);
    let mut body = a.body.clone();
    body["settings"]["oauthClient"]["dpop_bound_access_tokens"] = json!("true");
    let a = admin(&okta, Method::PUT, &path, Some(&body)).await;
    assert_eq!(
        a.body["errorSummary"],
        "Api validation failed: dpop_bound_access_tokens"
    );

    // Unknown paths and methods.
    let a = admin(&okta, Method::GET, "api/v1/apps/0oaNoSuchApp", None).await;
    assert_eq!((a.status, a.okta_error().0), (404, "E0000007"));
    let a = admin(&okta, Method::POST, &path, Some(&json!({}))).await;
    assert_eq!((a.status, a.okta_error().0), (405, "E0000022"));
    assert_eq!(a.header("allow"), "GET, PUT, DELETE");
}

#[tokio::test]
async fn deleting_an_app_needs_it_deactivated_first() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;
    assert_eq!(grant(&okta, &id, READ).await.status, 201);
    assert_eq!(assign_role(&okta, &id, "READ_ONLY_ADMIN").await.status, 200);
    let token = fetch(&okta, &id, &key, &[READ], DpopMode::Auto)
        .await
        .unwrap();
    let path = format!("api/v1/apps/{id}");

    let active = admin(&okta, Method::DELETE, &path, None).await;
    assert_eq!(active.status, 403);
    assert_eq!(
        active.okta_error(),
        (
            "E0000056",
            "The application must be deactivated before deletion."
        )
    );
    assert_eq!(active.body["errorSummary"], "Delete application forbidden.");

    let off = admin(
        &okta,
        Method::POST,
        &format!("{path}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!((off.status, off.body.clone()), (200, json!({})));
    assert_eq!(okta.app(&id).unwrap().status, Status::Inactive);
    // An inactive app gets no token, and its tokens are refused.
    let refused = fetch(&okta, &id, &key, &[READ], DpopMode::Auto).await;
    assert_eq!(oauth_error(refused), "invalid_client");
    let a = send(
        &okta,
        Method::GET,
        "api/v1/users",
        Auth::Token(&token),
        None,
    )
    .await;
    assert_eq!((a.status, a.okta_error().0), (401, "E0000011"));

    assert_eq!(admin(&okta, Method::DELETE, &path, None).await.status, 204);
    let gone = admin(&okta, Method::GET, &path, None).await;
    assert_eq!((gone.status, gone.okta_error().0), (404, "E0000007"));
    assert!(okta.apps().is_empty());
    assert!(okta.app(&id).is_none());
}
