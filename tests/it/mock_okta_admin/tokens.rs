//! A registered client gets tokens at once, through `ServiceAppSource`, but
//! only for the scopes granted to it, and DPoP-bound per its setting.

use okta_auth::http::Method;
use okta_auth::{DpopMode, SigningKey, TokenType};
use serde_json::json;

use super::{admin, fetch, grant, new_client, oauth_error, org};

const READ: &str = "okta.users.read";
const GROUPS: &str = "okta.groups.read";

#[tokio::test]
async fn a_registered_client_gets_tokens_only_for_granted_scopes() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;

    // No grant yet: none of the scopes is allowed (Okta's
    // `consent_required`); the token endpoint did authenticate the client.
    let none = fetch(&okta, &id, &key, &[READ], DpopMode::Auto).await;
    assert_eq!(oauth_error(none), "consent_required");
    assert!(okta.token_requests(&id) >= 1);

    assert_eq!(grant(&okta, &id, READ).await.status, 201);
    // One granted, one not: `invalid_scope`.
    let some = fetch(&okta, &id, &key, &[READ, GROUPS], DpopMode::Auto).await;
    assert_eq!(oauth_error(some), "invalid_scope");
    // The granted one alone: a token at once.
    let token = fetch(&okta, &id, &key, &[READ], DpopMode::Auto)
        .await
        .unwrap();
    assert_eq!(token.scopes(), [READ]);
    assert_eq!(
        token.token_type(),
        TokenType::Dpop,
        "registered apps require DPoP"
    );

    assert_eq!(grant(&okta, &id, GROUPS).await.status, 201);
    let both = fetch(&okta, &id, &key, &[READ, GROUPS], DpopMode::Auto)
        .await
        .unwrap();
    assert_eq!(both.scopes(), [READ, GROUPS]);
    assert_eq!(okta.app(&id).unwrap().scopes, [READ, GROUPS]);
}

#[tokio::test]
async fn registered_clients_are_dpop_bound_per_their_setting() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");

    // Required (the default): a proofless request is refused.
    let bound = new_client(&okta, &key, None).await;
    assert_eq!(grant(&okta, &bound, READ).await.status, 201);
    let proofless = fetch(&okta, &bound, &key, &[READ], DpopMode::Never).await;
    assert_eq!(oauth_error(proofless), "invalid_dpop_proof");

    // Not required: a Bearer token without a proof.
    let bearer = new_client(&okta, &key, Some(false)).await;
    assert_eq!(grant(&okta, &bearer, READ).await.status, 201);
    let token = fetch(&okta, &bearer, &key, &[READ], DpopMode::Never)
        .await
        .unwrap();
    assert_eq!(token.token_type(), TokenType::Bearer);

    // Required through the Apps API: the field Okta documents, in a PUT of
    // the app object as read.
    let path = format!("api/v1/apps/{bearer}");
    let mut app = admin(&okta, Method::GET, &path, None).await.body;
    assert_eq!(
        app["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        false
    );
    app["settings"]["oauthClient"]["dpop_bound_access_tokens"] = json!(true);
    let put = admin(&okta, Method::PUT, &path, Some(&app)).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.body["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        true
    );
    assert!(okta.app(&bearer).unwrap().dpop_bound_access_tokens);
    let log = okta.received().pop().unwrap();
    assert_eq!(log.method, Method::PUT);
    assert_eq!(
        log.body.unwrap()["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        true
    );

    let proofless = fetch(&okta, &bearer, &key, &[READ], DpopMode::Never).await;
    assert_eq!(oauth_error(proofless), "invalid_dpop_proof");
    let token = fetch(&okta, &bearer, &key, &[READ], DpopMode::Always)
        .await
        .unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
}
