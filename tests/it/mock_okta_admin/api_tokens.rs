//! API tokens: their metadata (never the secret), and revoking the one
//! making the call.

use okta_auth::http::Method;
use serde_json::Value;

use super::{ADMIN_TOKEN, Auth, admin, manager_token, org, send};

const OTHER_TOKEN: &str = "00other-api-token";

#[tokio::test]
async fn the_current_api_token_revokes_itself() {
    let okta = org().await;
    okta.register_api_token(OTHER_TOKEN);
    let list = admin(&okta, Method::GET, "api/v1/api-tokens", None).await;
    assert_eq!(list.status, 200);
    let tokens = list.body.as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t["id"].as_str().unwrap().starts_with("00T"))
    );
    assert_eq!(tokens[0]["tokenWindow"], "P30D");
    let text = list.body.to_string();
    assert!(
        !text.contains(ADMIN_TOKEN) && !text.contains(OTHER_TOKEN),
        "{text}"
    );

    let revoked = admin(&okta, Method::DELETE, "api/v1/api-tokens/current", None).await;
    assert_eq!((revoked.status, revoked.body.clone()), (204, Value::Null));
    assert!(!okta.api_token_is_active(ADMIN_TOKEN));
    // Its next call: Okta's 401.
    let after = admin(&okta, Method::GET, "api/v1/api-tokens", None).await;
    assert_eq!((after.status, after.okta_error().0), (401, "E0000011"));
    // The other token still works, and sees one token left.
    let other = Auth::Header(format!("SSWS {OTHER_TOKEN}"));
    let list = send(&okta, Method::GET, "api/v1/api-tokens", other, None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_service_app_revokes_api_tokens_by_id_but_has_no_current_one() {
    let okta = org().await;
    let token = manager_token(&okta, &["okta.apiTokens.manage"], true).await;
    let current = send(
        &okta,
        Method::DELETE,
        "api/v1/api-tokens/current",
        Auth::Token(&token),
        None,
    )
    .await;
    assert_eq!((current.status, current.okta_error().0), (403, "E0000006"));

    let list = send(
        &okta,
        Method::GET,
        "api/v1/api-tokens",
        Auth::Token(&token),
        None,
    )
    .await;
    let id = list.body[0]["id"].as_str().unwrap().to_owned();
    let path = format!("api/v1/api-tokens/{id}");
    assert_eq!(
        send(&okta, Method::GET, &path, Auth::Token(&token), None)
            .await
            .status,
        200
    );
    assert_eq!(
        send(&okta, Method::DELETE, &path, Auth::Token(&token), None)
            .await
            .status,
        204
    );
    assert!(!okta.api_token_is_active(ADMIN_TOKEN));
    let gone = send(&okta, Method::DELETE, &path, Auth::Token(&token), None).await;
    assert_eq!((gone.status, gone.okta_error().0), (404, "E0000007"));
}
