//! Management errors are the crate's `Error`: Okta's `errorCode`,
//! `errorSummary`, `errorLink`, `errorId` and `errorCauses` kept, never the
//! body; OAuth-shaped registration errors too; ids that would change a path
//! refused before anything is sent.

use okta_auth::http::StatusCode;
use okta_auth::{Error, SigningKey};

use super::{admin, org, service_app_admin};

#[tokio::test]
async fn okta_error_documents_keep_their_members() {
    let okta = org().await;
    let admin = admin(&okta);
    let key = SigningKey::generate_p256().with_kid("k1");
    let client = admin
        .register_client("errors", &[key.public_jwk()])
        .await
        .unwrap();
    admin
        .grant_scope(&client.client_id, "okta.users.read")
        .await
        .unwrap();

    // Granting a scope twice: Okta's validation error, with its cause.
    let e = admin
        .grant_scope(&client.client_id, "okta.users.read")
        .await
        .unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(o.status(), StatusCode::BAD_REQUEST);
    assert_eq!(o.error(), "E0000001");
    assert_eq!(o.error_code(), Some("E0000001"));
    assert_eq!(o.description(), Some("Api validation failed: scopeId"));
    assert_eq!(o.error_link(), Some("E0000001"));
    assert!(o.error_id().unwrap().starts_with("oae"), "{o:?}");
    assert_eq!(
        o.error_causes(),
        ["scopeId: The scope is already granted to the app."]
    );
    assert!(!e.is_transient());
    let text = e.to_string();
    assert!(
        text.contains("Api validation failed: scopeId: scopeId: The scope is already granted"),
        "{text}"
    );
    // Parsed members only: no trace of the JSON document.
    assert!(!format!("{e:?}").contains("\"errorCauses\""), "{e:?}");

    // Deleting an active app: Okta's 403 with its cause, and no hint about
    // scopes (this is not a permission problem).
    let e = admin.delete_app(&client.client_id).await.unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(o.error_code(), Some("E0000056"));
    assert_eq!(
        o.error_causes(),
        ["The application must be deactivated before deletion."]
    );
    assert_eq!(o.hint(), None);
}

#[tokio::test]
async fn registration_errors_are_oauth_shaped() {
    let okta = org().await;
    let key = SigningKey::generate_p256();
    let e = admin(&okta)
        .register_client(" ", &[key.public_jwk()])
        .await
        .unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(o.error(), "invalid_client_metadata");
    assert!(o.description().unwrap().contains("client_name"), "{o:?}");
    let e = admin(&okta)
        .register_client("no keys", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
}

#[tokio::test]
async fn a_forbidden_call_says_what_a_service_app_needs() {
    let okta = org().await;
    // Registration is allowed, the Apps API is not.
    let admin = service_app_admin(&okta, &["okta.clients.register"]);
    let e = admin.get_app("0oaSomeApp").await.unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(o.error_code(), Some("E0000006"));
    assert!(o.hint().unwrap().contains("scope"), "{o:?}");
    assert!(e.to_string().contains("admin role"), "{e}");
}

#[tokio::test]
async fn ids_that_would_change_the_path_are_refused_unsent() {
    let okta = org().await;
    let admin = admin(&okta);
    for bad in ["../users", "0oa1/grants", "0oa1?x=1", "", "0oa1%2F"] {
        let e = admin.get_app(bad).await.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{bad}: {e:?}");
        let e = admin.delete_key("0oa1", bad).await.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{bad}: {e:?}");
    }
    assert_eq!(okta.api_requests(), 0);
}
