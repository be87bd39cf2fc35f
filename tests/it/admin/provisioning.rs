//! `create_service_app`: each request as it goes over the wire (body and
//! authorization), in order, and an app that fetches DPoP-bound tokens for
//! exactly the scopes granted — with an admin's API token or a service
//! app's own tokens.

use okta_auth::admin::{AdminRole, NewKey, ServiceAppSpec};
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{MockOkta, Status};
use okta_auth::{Algorithm, Error, TokenSource, TokenType, USER_AGENT};
use serde_json::json;

use super::{
    ADMIN_TOKEN, MANAGE_SCOPES, MANAGER, admin, http, line, management, org, service_app_admin,
};

const SCOPES: [&str; 2] = ["okta.users.read", "okta.groups.read"];

fn spec() -> ServiceAppSpec {
    ServiceAppSpec::new("orders-sync").scopes(SCOPES).roles([
        AdminRole::ReadOnlyAdmin,
        AdminRole::Custom {
            role: "cr0orders".into(),
            resource_set: "iamorders".into(),
        },
    ])
}

/// The token requests `client_id` made, as received.
fn token_requests(okta: &MockOkta, client_id: &str) -> Vec<okta_auth::testing::ReceivedRequest> {
    okta.received()
        .into_iter()
        .filter(|r| r.path == "/oauth2/v1/token" && r.client_id.as_deref() == Some(client_id))
        .collect()
}

#[tokio::test]
async fn each_step_goes_over_the_wire_as_okta_documents_it() {
    let okta = org().await;
    let app = admin(&okta).create_service_app(spec()).await.unwrap();

    let id = app.client_id.as_str();
    assert!(id.starts_with("0oa"), "{id}");
    assert_eq!(app.app_id, id);
    assert_eq!(app.key.algorithm(), Algorithm::ES256, "P-256 by default");
    let thumbprint = app.key.thumbprint();
    assert_eq!(
        app.key.kid(),
        Some(thumbprint.as_str()),
        "kid: the thumbprint"
    );
    assert_eq!(app.scopes, SCOPES);
    assert!(app.require_dpop);

    // The requests, in order; the token endpoint's are apart.
    let sent = management(&okta);
    let lines: Vec<String> = sent.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "POST /oauth2/v1/clients".to_owned(),
            format!("GET /api/v1/apps/{id}"),
            format!("PUT /api/v1/apps/{id}"),
            format!("POST /api/v1/apps/{id}/grants"),
            format!("POST /api/v1/apps/{id}/grants"),
            format!("POST /oauth2/v1/clients/{id}/roles"),
            format!("POST /oauth2/v1/clients/{id}/roles"),
        ]
    );
    for r in &sent {
        assert_eq!(
            r.headers["authorization"],
            format!("SSWS {ADMIN_TOKEN}").as_str()
        );
        assert_eq!(r.headers["user-agent"], USER_AGENT);
        assert!(r.status < 300, "{} {}", line(r), r.status);
    }

    // The registration: private_key_jwt with the public JWK and its kid.
    assert_eq!(
        sent[0].body,
        Some(json!({
            "client_name": "orders-sync",
            "grant_types": ["client_credentials"],
            "response_types": ["token"],
            "token_endpoint_auth_method": "private_key_jwt",
            "application_type": "service",
            "jwks": { "keys": [app.key.public_jwk()] },
        }))
    );
    let registered = &sent[0].body.as_ref().unwrap()["jwks"]["keys"][0];
    assert_eq!(registered["kid"], thumbprint.as_str());
    assert!(registered.get("d").is_none(), "the public key only");

    // DPoP: the app object read, then written back with the field set —
    // explicitly, whatever the fake org's default.
    let put = sent[2].body.as_ref().unwrap();
    assert_eq!(
        put["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        true
    );
    assert_eq!(put["id"], id, "the whole app object goes back");
    assert_eq!(put["label"], "orders-sync");

    // One grant per scope, the org as issuer; each role.
    for (r, scope) in sent[3..5].iter().zip(SCOPES) {
        assert_eq!(
            r.body,
            Some(json!({ "issuer": okta.uri(), "scopeId": scope }))
        );
    }
    assert_eq!(sent[5].body, Some(json!({ "type": "READ_ONLY_ADMIN" })));
    assert_eq!(
        sent[6].body,
        Some(json!({ "type": "CUSTOM", "role": "cr0orders", "resource-set": "iamorders" }))
    );

    // The proof: a DPoP-bound token for exactly the granted scopes.
    let proving = token_requests(&okta, id);
    let last = proving.last().unwrap();
    assert_eq!(last.status, 200);
    assert!(last.proof_header.is_some(), "a dpop proof");
    assert_eq!(
        last.assertion_header.as_ref().unwrap()["kid"],
        thumbprint.as_str()
    );
    let scope = last.form.iter().find(|(k, _)| k == "scope").unwrap();
    assert_eq!(scope.1, SCOPES.join(" "));

    // The org holds what was asked for, no more.
    let info = okta.app(id).unwrap();
    assert_eq!(info.label, "orders-sync");
    assert_eq!(info.status, Status::Active);
    assert!(info.dpop_bound_access_tokens);
    let granted: Vec<(&str, &str)> = info
        .grants
        .iter()
        .map(|g| (g.scope_id.as_str(), g.issuer.as_str()))
        .collect();
    let org_uri = okta.uri();
    assert_eq!(granted, SCOPES.map(|s| (s, org_uri.as_str())));
    let roles: Vec<&str> = info.roles.iter().map(|r| r.role_type.as_str()).collect();
    assert_eq!(roles, ["READ_ONLY_ADMIN", "CUSTOM"]);
    assert_eq!(app.grants.len(), 2);
    assert_eq!(app.roles[0].role, AdminRole::ReadOnlyAdmin);
    assert_eq!(info.keys.len(), 1);
    assert_eq!(info.keys[0].kid.as_deref(), Some(thumbprint.as_str()));
}

#[tokio::test]
async fn the_app_gets_dpop_bound_tokens_for_exactly_its_scopes() {
    let okta = org().await;
    let app = admin(&okta).create_service_app(spec()).await.unwrap();

    let source = app.source_builder().http_client(http()).build().unwrap();
    assert_eq!(source.client_id(), app.client_id);
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    assert_eq!(token.scopes(), SCOPES);

    // A scope it was not granted is refused.
    let greedy = app
        .source_builder()
        .scopes(["okta.users.read", "okta.apps.manage"])
        .http_client(http())
        .build()
        .unwrap();
    let e = greedy.token().await.unwrap_err();
    assert_eq!(e.oauth_error().unwrap().error(), "invalid_scope", "{e}");

    // The key can go to a secret manager and come back.
    let pem = app.key.to_pkcs8_pem().unwrap();
    let restored = okta_auth::SigningKey::parse(pem.expose_secret())
        .unwrap()
        .with_kid(app.key.kid().unwrap());
    let token = okta_auth::ServiceAppSource::builder(okta.org_url(), &app.client_id)
        .private_key(restored)
        .scopes(SCOPES)
        .http_client(http())
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
}

#[tokio::test]
async fn dpop_not_required_is_sent_explicitly_too() {
    let okta = org().await;
    let app = admin(&okta)
        .create_service_app(spec().require_dpop(false))
        .await
        .unwrap();
    let put = management(&okta)
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        put.body.unwrap()["settings"]["oauthClient"]["dpop_bound_access_tokens"],
        false
    );
    assert!(!okta.app(&app.client_id).unwrap().dpop_bound_access_tokens);
    assert!(!app.require_dpop);
}

#[tokio::test]
async fn an_rsa_key_with_a_given_kid_on_request() {
    let okta = org().await;
    let app = admin(&okta)
        .create_service_app(spec().key(NewKey::Rsa { bits: 2048 }).kid("orders-rsa-1"))
        .await
        .unwrap();
    assert_eq!(app.key.algorithm(), Algorithm::RS256);
    assert_eq!(app.key.kid(), Some("orders-rsa-1"));
    let registered = &management(&okta)[0].body.clone().unwrap()["jwks"]["keys"][0];
    assert_eq!(registered["kty"], "RSA");
    assert_eq!(registered["kid"], "orders-rsa-1");
    let last = token_requests(&okta, &app.client_id).pop().unwrap();
    assert_eq!(last.status, 200);
    assert_eq!(last.assertion_header.unwrap()["alg"], "RS256");
}

#[tokio::test]
async fn a_service_app_with_the_management_scopes_provisions_too() {
    let okta = org().await;
    let admin = service_app_admin(&okta, &MANAGE_SCOPES);
    let app = admin.create_service_app(spec()).await.unwrap();

    let sent = management(&okta);
    assert_eq!(
        sent.len(),
        7,
        "{:?}",
        sent.iter().map(line).collect::<Vec<_>>()
    );
    for r in &sent {
        let authorization = r.headers["authorization"].to_str().unwrap();
        assert!(authorization.starts_with("DPoP "), "{authorization}");
        assert_eq!(r.proof_claims.as_ref().unwrap()["htm"], r.method.as_str());
        assert!(r.status < 300, "{} {}", line(r), r.status);
    }
    assert!(okta.token_requests(MANAGER) > 0);
    let mut apps = okta.apps();
    apps.sort();
    let mut want = vec![MANAGER.to_owned(), app.client_id.clone()];
    want.sort();
    assert_eq!(apps, want);
}

#[tokio::test]
async fn a_spec_that_cannot_work_is_refused_before_anything_is_sent() {
    let okta = org().await;
    let admin = admin(&okta);
    for spec in [
        ServiceAppSpec::new("no scopes"),
        ServiceAppSpec::new(" ").scopes(SCOPES),
        ServiceAppSpec::new("spaced").scopes(["okta.users.read okta.apps.manage"]),
        ServiceAppSpec::new("empty kid").scopes(SCOPES).kid(""),
        ServiceAppSpec::new("no proof")
            .scopes(SCOPES)
            .prove_attempts(0),
    ] {
        let e = admin.create_service_app(spec).await.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
    }
    assert_eq!(okta.api_requests(), 0);
}
