//! An app's JSON Web Keys: Okta's rules, one by one, and a deactivated key
//! refused by the token endpoint at once.

use okta_auth::http::Method;
use okta_auth::testing::{MAX_KEYS, ServiceApp, Status};
use okta_auth::{DpopMode, SigningKey};
use serde_json::{Value, json};

use super::{admin, fetch, grant, new_client, oauth_error, org, short_rsa_jwk};

const READ: &str = "okta.users.read";

fn jwk(key: &SigningKey) -> Value {
    serde_json::to_value(key.public_jwk()).unwrap()
}

fn keys_path(id: &str) -> String {
    format!("api/v1/apps/{id}/credentials/jwks")
}

#[tokio::test]
async fn key_rules_hold_one_by_one() {
    let okta = org().await;
    let a_key = SigningKey::generate_p256().with_kid("a");
    let id = new_client(&okta, &a_key, None).await;
    let path = keys_path(&id);

    // The list is an array of keys with Okta's `id`, the `kid`, `status`.
    let list = admin(&okta, Method::GET, &path, None).await;
    assert_eq!(list.status, 200);
    let a_id = list.body[0]["id"].as_str().unwrap().to_owned();
    assert!(a_id.starts_with("pks"), "{a_id}");
    assert_eq!(list.body[0]["kid"], "a");
    assert_eq!(list.body[0]["status"], "ACTIVE");
    assert_eq!(list.body[0]["x"], jwk(&a_key)["x"]);

    // Adding: 201, ACTIVE unless the body says INACTIVE.
    let b = admin(
        &okta,
        Method::POST,
        &path,
        Some(&jwk(&SigningKey::generate_p256().with_kid("b"))),
    )
    .await;
    assert_eq!(
        (b.status, b.body["status"].as_str()),
        (201, Some("ACTIVE")),
        "{}",
        b.body
    );
    let mut c_body = jwk(&SigningKey::generate_p256().with_kid("c"));
    c_body["status"] = json!("INACTIVE");
    let c = admin(&okta, Method::POST, &path, Some(&c_body)).await;
    assert_eq!(
        (c.status, c.body["status"].as_str()),
        (201, Some("INACTIVE"))
    );

    // A kid already taken; a key without a kid among several; an RSA key
    // under 2048 bits; a private key.
    let duplicate = admin(
        &okta,
        Method::POST,
        &path,
        Some(&jwk(&SigningKey::generate_p256().with_kid("a"))),
    )
    .await;
    assert_eq!(duplicate.status, 400);
    assert_eq!(
        duplicate.okta_error(),
        (
            "E0000001",
            "All keys in the 'jwks' must have a unique `kid`."
        )
    );
    assert_eq!(
        duplicate.body["errorSummary"],
        "Api validation failed: JsonWebKey"
    );
    let no_kid = admin(
        &okta,
        Method::POST,
        &path,
        Some(&jwk(&SigningKey::generate_p256())),
    )
    .await;
    assert_eq!(no_kid.status, 400);
    assert!(
        no_kid
            .okta_error()
            .1
            .starts_with("Each key should have a unique kid")
    );
    let short = admin(&okta, Method::POST, &path, Some(&short_rsa_jwk())).await;
    assert_eq!(
        short.okta_error(),
        (
            "E0000001",
            "RSA key length in the 'jwks' is less than '2,048' bits for the given key."
        )
    );
    let mut private = jwk(&SigningKey::generate_p256().with_kid("p"));
    private["d"] = json!("c2VjcmV0");
    let private = admin(&okta, Method::POST, &path, Some(&private)).await;
    assert_eq!(private.status, 400);
    assert!(!private.body.to_string().contains("c2VjcmV0"));

    // Deleting an active key: refused. Deactivating it: 200 INACTIVE.
    let key_path = format!("{path}/{a_id}");
    let delete = admin(&okta, Method::DELETE, &key_path, None).await;
    assert_eq!(
        delete.okta_error(),
        (
            "E0000001",
            "You can't delete an active JSON Web Key. Deactivate the key before deleting it."
        )
    );
    let off = admin(
        &okta,
        Method::POST,
        &format!("{key_path}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!(
        (off.status, off.body["status"].as_str()),
        (200, Some("INACTIVE"))
    );

    // The last active key (b) cannot be deactivated.
    let b_path = format!("{path}/{}", b.id());
    let last = admin(
        &okta,
        Method::POST,
        &format!("{b_path}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!(last.status, 400);
    assert_eq!(
        last.okta_error(),
        (
            "E0000001",
            "Can't deactivate the only active JSON Web Key when the value for \
             `token_endpoint_auth_method` is `private_key_jwt`."
        )
    );
    // An inactive key is deleted: 204, and gone.
    assert_eq!(
        admin(&okta, Method::DELETE, &key_path, None).await.status,
        204
    );
    assert_eq!(admin(&okta, Method::GET, &key_path, None).await.status, 404);
    let kids: Vec<_> = okta
        .app(&id)
        .unwrap()
        .keys
        .into_iter()
        .map(|k| (k.kid.unwrap(), k.status))
        .collect();
    assert_eq!(
        kids,
        [
            ("b".to_owned(), Status::Active),
            ("c".to_owned(), Status::Inactive)
        ]
    );
}

#[tokio::test]
async fn an_app_holds_at_most_fifty_keys() {
    let okta = org().await;
    let id = new_client(&okta, &SigningKey::generate_p256().with_kid("k0"), None).await;
    let path = keys_path(&id);
    for n in 1..MAX_KEYS {
        let key = SigningKey::generate_p256().with_kid(format!("k{n}"));
        assert_eq!(
            admin(&okta, Method::POST, &path, Some(&jwk(&key)))
                .await
                .status,
            201,
            "{n}"
        );
    }
    let key = SigningKey::generate_p256().with_kid("k50");
    let refused = admin(&okta, Method::POST, &path, Some(&jwk(&key))).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .okta_error()
            .1
            .contains("maximum number of keys allowed (50)")
    );
    assert_eq!(okta.app(&id).unwrap().keys.len(), MAX_KEYS);
}

#[tokio::test]
async fn a_deactivated_key_is_refused_at_once() {
    let okta = org().await;
    let old = SigningKey::generate_p256().with_kid("old");
    let new = SigningKey::generate_p256().with_kid("new");
    let id = new_client(&okta, &old, None).await;
    assert_eq!(grant(&okta, &id, READ).await.status, 201);
    fetch(&okta, &id, &old, &[READ], DpopMode::Auto)
        .await
        .unwrap();

    // Rotation: add the new key, sign with it, deactivate the old one.
    let path = keys_path(&id);
    assert_eq!(
        admin(&okta, Method::POST, &path, Some(&jwk(&new)))
            .await
            .status,
        201
    );
    fetch(&okta, &id, &new, &[READ], DpopMode::Auto)
        .await
        .unwrap();
    let old_id = okta.app(&id).unwrap().keys[0].id.clone();
    let off = format!("{path}/{old_id}/lifecycle/deactivate");
    assert_eq!(admin(&okta, Method::POST, &off, None).await.status, 200);
    assert_eq!(
        oauth_error(fetch(&okta, &id, &old, &[READ], DpopMode::Auto).await),
        "invalid_client"
    );
    fetch(&okta, &id, &new, &[READ], DpopMode::Auto)
        .await
        .unwrap();
    // Reactivated, it signs again.
    let on = format!("{path}/{old_id}/lifecycle/activate");
    assert_eq!(admin(&okta, Method::POST, &on, None).await.status, 200);
    fetch(&okta, &id, &old, &[READ], DpopMode::Auto)
        .await
        .unwrap();

    // The same for an app registered with `register_service_app`.
    okta.register_service_app(
        ServiceApp::new("0oaLegacy")
            .jwk(old.public_jwk())
            .jwk(new.public_jwk())
            .scopes([READ]),
    )
    .unwrap();
    fetch(&okta, "0oaLegacy", &old, &[READ], DpopMode::Auto)
        .await
        .unwrap();
    let old_id = okta.app("0oaLegacy").unwrap().keys[0].id.clone();
    let off = format!("{}/{old_id}/lifecycle/deactivate", keys_path("0oaLegacy"));
    assert_eq!(admin(&okta, Method::POST, &off, None).await.status, 200);
    let refused = fetch(&okta, "0oaLegacy", &old, &[READ], DpopMode::Auto).await;
    assert_eq!(oauth_error(refused), "invalid_client");
    fetch(&okta, "0oaLegacy", &new, &[READ], DpopMode::Auto)
        .await
        .unwrap();
}
