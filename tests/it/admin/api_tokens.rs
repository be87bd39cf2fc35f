//! Retiring the API token: `revoke_current_api_token` revokes the token the
//! admin calls with, and its next call is refused with Okta's `401`.

use okta_auth::http::StatusCode;

use super::{ADMIN_TOKEN, MANAGE_SCOPES, admin, line, management, org, service_app_admin};

#[tokio::test]
async fn revoking_the_current_token_makes_its_next_call_401() {
    let okta = org().await;
    let admin = admin(&okta);
    let tokens = admin.list_api_tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].id.starts_with("00T"), "{:?}", tokens[0]);
    assert!(
        !format!("{tokens:?}").contains(ADMIN_TOKEN),
        "metadata only"
    );

    admin.revoke_current_api_token().await.unwrap();
    let sent = management(&okta);
    let revoke = sent.last().unwrap();
    assert_eq!(line(revoke), "DELETE /api/v1/api-tokens/current");
    assert_eq!(
        revoke.headers["authorization"],
        format!("SSWS {ADMIN_TOKEN}").as_str()
    );
    assert_eq!(revoke.status, 204);
    assert!(!okta.api_token_is_active(ADMIN_TOKEN));

    let e = admin.list_apps(None).await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::UNAUTHORIZED), "{e}");
    assert_eq!(
        e.oauth_error().unwrap().error_code(),
        Some("E0000011"),
        "{e}"
    );
    assert!(!e.to_string().contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn a_service_app_has_no_current_api_token() {
    let okta = org().await;
    let mut scopes = MANAGE_SCOPES.to_vec();
    scopes.push("okta.apiTokens.manage");
    let e = service_app_admin(&okta, &scopes)
        .revoke_current_api_token()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::FORBIDDEN), "{e}");
    assert_eq!(e.oauth_error().unwrap().error_code(), Some("E0000006"));
    assert!(okta.api_token_is_active(ADMIN_TOKEN));
}
