//! `POST /oauth2/v1/clients`: 201 with the metadata as stored; OAuth-shaped
//! `invalid_client_metadata` for a body Okta would refuse; the body in the
//! request log.

use okta_auth::SigningKey;
use okta_auth::http::Method;
use okta_auth::testing::Status;
use serde_json::{Value, json};

use super::{ADMIN_TOKEN, admin, org, registration, short_rsa_jwk};

#[tokio::test]
async fn registration_answers_201_with_the_metadata_as_stored() {
    let okta = org().await;
    let key = SigningKey::generate_p256().with_kid("orders-1");
    let body = registration("Orders sync", &[&key]);
    let a = admin(&okta, Method::POST, "oauth2/v1/clients", Some(&body)).await;
    assert_eq!(a.status, 201, "{}", a.body);

    let client_id = a.body["client_id"].as_str().unwrap();
    assert!(
        client_id.starts_with("0oa") && client_id.len() == 20,
        "{client_id}"
    );
    assert!(a.body["client_id_issued_at"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(a.body["client_name"], "Orders sync");
    assert_eq!(a.body["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(a.body["grant_types"], json!(["client_credentials"]));
    assert_eq!(a.body["response_types"], json!(["token"]));
    assert_eq!(a.body["application_type"], "service");
    assert_eq!(a.body["jwks"]["keys"], json!([key.public_jwk()]));
    assert_eq!(
        a.body["dpop_bound_access_tokens"], true,
        "new service apps require DPoP"
    );

    // One registry: the Apps API and the inspection methods see it, with
    // no grants and no roles yet.
    assert_eq!(okta.apps(), [client_id]);
    let app = okta.app(client_id).unwrap();
    assert_eq!(app.label, "Orders sync");
    assert_eq!(app.status, Status::Active);
    assert!(app.dpop_bound_access_tokens);
    assert!(app.grants.is_empty() && app.roles.is_empty() && app.scopes.is_empty());
    assert_eq!(app.keys.len(), 1);
    assert_eq!(app.keys[0].kid.as_deref(), Some("orders-1"));
    assert_eq!(app.keys[0].status, Status::Active);
    assert!(app.keys[0].id.starts_with("pks"));

    // The log holds the body as sent, and no credential.
    let log = okta.received().pop().unwrap();
    assert_eq!(log.path, "/oauth2/v1/clients");
    assert_eq!(log.status, 201);
    assert_eq!(log.body.as_ref(), Some(&body));
    assert!(!format!("{log:?}").contains(ADMIN_TOKEN));

    // The DPoP setting can be chosen at registration.
    let mut body = registration("No DPoP", &[&key]);
    body["dpop_bound_access_tokens"] = json!(false);
    let a = admin(&okta, Method::POST, "oauth2/v1/clients", Some(&body)).await;
    assert_eq!(a.body["dpop_bound_access_tokens"], false);
    let id = a.body["client_id"].as_str().unwrap();
    assert!(!okta.app(id).unwrap().dpop_bound_access_tokens);
}

/// A registration body edited by `edit`.
fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let key = SigningKey::generate_p256().with_kid("k1");
    let mut body = registration("Orders sync", &[&key]);
    edit(&mut body);
    body
}

#[tokio::test]
async fn bad_registrations_get_invalid_client_metadata_and_create_nothing() {
    let okta = org().await;
    let second = serde_json::to_value(SigningKey::generate_p256().public_jwk()).unwrap();
    let mut private =
        serde_json::to_value(SigningKey::generate_p256().with_kid("p").public_jwk()).unwrap();
    private["d"] = json!("c2VjcmV0LWtleS1tYXRlcmlhbA");
    let short_rsa = short_rsa_jwk();
    let cases: Vec<(&str, Value)> = vec![
        ("`client_name`", edited(|b| b["client_name"] = json!(" "))),
        (
            "`client_name`",
            edited(|b| drop(b.as_object_mut().unwrap().remove("client_name"))),
        ),
        (
            "`application_type`",
            edited(|b| b["application_type"] = json!("web")),
        ),
        (
            "`grant_types`",
            edited(|b| b["grant_types"] = json!(["authorization_code"])),
        ),
        (
            "`grant_types`",
            edited(|b| drop(b.as_object_mut().unwrap().remove("grant_types"))),
        ),
        (
            "`response_types`",
            edited(|b| b["response_types"] = json!(["code"])),
        ),
        (
            "`token_endpoint_auth_method`",
            edited(|b| b["token_endpoint_auth_method"] = json!("client_secret_basic")),
        ),
        (
            "`jwks`",
            edited(|b| drop(b.as_object_mut().unwrap().remove("jwks"))),
        ),
        ("`jwks`", edited(|b| b["jwks"]["keys"] = json!([]))),
        (
            "private member `d`",
            edited(|b| b["jwks"]["keys"] = json!([private])),
        ),
        ("2,048", edited(|b| b["jwks"]["keys"] = json!([short_rsa]))),
        (
            "unique `kid`",
            edited(|b| {
                let key = b["jwks"]["keys"][0].clone();
                b["jwks"]["keys"] = json!([key.clone(), key]);
            }),
        ),
        (
            "unique kid",
            edited(|b| {
                let key = b["jwks"]["keys"][0].clone();
                b["jwks"]["keys"] = json!([key, second]);
            }),
        ),
        (
            "`jwks_uri`",
            edited(|b| b["jwks_uri"] = json!("https://example.com/jwks")),
        ),
        (
            "`dpop_bound_access_tokens`",
            edited(|b| b["dpop_bound_access_tokens"] = json!("yes")),
        ),
        ("JSON object", json!(["not", "an", "object"])),
    ];
    for (expected, body) in cases {
        let a = admin(&okta, Method::POST, "oauth2/v1/clients", Some(&body)).await;
        assert_eq!(a.status, 400, "{expected}: {}", a.body);
        assert_eq!(a.oauth_error(), "invalid_client_metadata", "{expected}");
        let description = a.body["error_description"].as_str().unwrap();
        assert!(description.contains(expected), "{expected}: {description}");
        assert!(!description.contains("c2VjcmV0"), "{description}");
    }
    assert!(okta.apps().is_empty());
}
