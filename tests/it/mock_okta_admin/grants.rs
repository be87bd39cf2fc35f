//! Scope grants: the org as issuer, a known `okta.*` scope, once; listed,
//! read and revoked.

use okta_auth::http::Method;
use okta_auth::{DpopMode, SigningKey};
use serde_json::json;

use super::{admin, fetch, grant, new_client, oauth_error, org};

const READ: &str = "okta.users.read";

#[tokio::test]
async fn grants_name_the_org_and_a_known_scope() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = new_client(&okta, &key, None).await;
    let path = format!("api/v1/apps/{id}/grants");
    let org_url = okta.uri();
    for (body, field) in [
        (
            json!({ "issuer": format!("{org_url}/"), "scopeId": READ }),
            "issuer",
        ),
        (
            json!({ "issuer": format!("{org_url}/oauth2/default"), "scopeId": READ }),
            "issuer",
        ),
        (
            json!({ "issuer": "https://other.okta.com", "scopeId": READ }),
            "issuer",
        ),
        (json!({ "scopeId": READ }), "issuer"),
        (
            json!({ "issuer": org_url, "scopeId": "okta.users.delete" }),
            "scopeId",
        ),
        (
            json!({ "issuer": org_url, "scopeId": "orders.read" }),
            "scopeId",
        ),
        (json!({ "issuer": org_url }), "scopeId"),
    ] {
        let a = admin(&okta, Method::POST, &path, Some(&body)).await;
        assert_eq!((a.status, a.okta_error().0), (400, "E0000001"), "{body}");
        assert_eq!(
            a.body["errorSummary"],
            format!("Api validation failed: {field}"),
            "{body}"
        );
    }
    let a = admin(&okta, Method::POST, &path, Some(&json!("okta.users.read"))).await;
    assert_eq!((a.status, a.okta_error().0), (400, "E0000003"));
    assert!(okta.app(&id).unwrap().grants.is_empty());

    let granted = grant(&okta, &id, READ).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    let grant_id = granted.id();
    assert!(grant_id.starts_with("oag"), "{grant_id}");
    assert_eq!(granted.body["status"], "ACTIVE");
    assert_eq!(granted.body["scopeId"], READ);
    assert_eq!(granted.body["issuer"], org_url.as_str());
    assert_eq!(granted.body["clientId"], id.as_str());
    assert_eq!(granted.body["createdBy"]["type"], "User");
    // Once only.
    let again = grant(&okta, &id, READ).await;
    assert_eq!((again.status, again.okta_error().0), (400, "E0000001"));

    let list = admin(&okta, Method::GET, &path, None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["id"], grant_id.as_str());
    let one = admin(&okta, Method::GET, &format!("{path}/{grant_id}"), None).await;
    assert_eq!(one.body["scopeId"], READ);
    fetch(&okta, &id, &key, &[READ], DpopMode::Auto)
        .await
        .unwrap();

    // Revoked: the app may no longer request it.
    let revoked = admin(&okta, Method::DELETE, &format!("{path}/{grant_id}"), None).await;
    assert_eq!(revoked.status, 204);
    assert_eq!(revoked.body, serde_json::Value::Null, "no body");
    let refused = fetch(&okta, &id, &key, &[READ], DpopMode::Auto).await;
    assert_eq!(oauth_error(refused), "consent_required");
    let gone = admin(&okta, Method::GET, &format!("{path}/{grant_id}"), None).await;
    assert_eq!((gone.status, gone.okta_error().0), (404, "E0000007"));
    let unknown = grant(&okta, "0oaNoSuchApp", READ).await;
    assert_eq!((unknown.status, unknown.okta_error().0), (404, "E0000007"));
}
