//! `testing::MockOkta`'s management routes for service apps (registration,
//! apps, keys, grants, roles, API tokens), driven by hand-built requests
//! with an API token (`SSWS`) or a service app's access token, the way
//! `OktaAdmin` will call a real org.
//!
//! The harness lives here; each behaviour has a module.

mod api_tokens;
mod apps;
mod authorization;
mod faults;
mod grants;
mod keys;
mod registration;
mod tokens;

use crate::support::{Answer, http};
use okta_auth::http::{HeaderMap, Method};
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{AccessToken, DpopMode, Error, ServiceAppSource, SigningKey, TokenSource};
use serde_json::{Value, json};

/// The fake org's API token (a super admin's).
const ADMIN_TOKEN: &str = "00admin-api-token";

/// A service app registered with `register_service_app`: the admin's tool.
const MANAGER: &str = "0oaManagerApp";

/// Every scope the management routes need.
const MANAGE_SCOPES: [&str; 5] = [
    "okta.clients.register",
    "okta.apps.manage",
    "okta.appGrants.manage",
    "okta.roles.manage",
    "okta.apiTokens.manage",
];

fn ssws() -> String {
    format!("SSWS {ADMIN_TOKEN}")
}

/// A fake org with the admin's API token.
async fn org() -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_api_token(ADMIN_TOKEN);
    okta
}

impl Answer {
    /// An OAuth error document's `error`.
    fn oauth_error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
    /// An Okta error document's `errorCode` and first cause.
    fn okta_error(&self) -> (&str, &str) {
        (
            self.body["errorCode"].as_str().unwrap_or_default(),
            self.body["errorCauses"][0]["errorSummary"]
                .as_str()
                .unwrap_or_default(),
        )
    }
    fn id(&self) -> String {
        self.body["id"].as_str().unwrap().to_owned()
    }
}

/// How a request is authorized.
enum Auth<'a> {
    Header(String),
    Token(&'a AccessToken),
}

/// Sends `method path` with `body` (JSON), authorized by `auth`.
async fn send(
    okta: &MockOkta,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    body: Option<&Value>,
) -> Answer {
    let (path, query) = path
        .split_once('?')
        .map_or((path, None), |(p, q)| (p, Some(q)));
    let mut url = okta.org_url().endpoint(path);
    url.set_query(query);
    let headers = match auth {
        Auth::Header(value) => {
            let mut headers = HeaderMap::new();
            headers.insert("authorization", value.parse().unwrap());
            headers
        }
        Auth::Token(token) => token.authorize(&method, &url).unwrap(),
    };
    let mut request = http().request(method, url).headers(headers);
    if let Some(body) = body {
        request = request.json(body);
    }
    Answer::read(request.send().await.unwrap()).await
}

/// `method path` with the admin's API token.
async fn admin(okta: &MockOkta, method: Method, path: &str, body: Option<&Value>) -> Answer {
    send(okta, method, path, Auth::Header(ssws()), body).await
}

/// A registration body for a service app holding `keys`.
fn registration(name: &str, keys: &[&SigningKey]) -> Value {
    let keys: Vec<_> = keys.iter().map(|k| k.public_jwk()).collect();
    json!({
        "client_name": name,
        "grant_types": ["client_credentials"],
        "response_types": ["token"],
        "token_endpoint_auth_method": "private_key_jwt",
        "application_type": "service",
        "jwks": { "keys": keys },
    })
}

/// Registers a client holding `key` with the admin's API token, with its
/// DPoP setting when given; returns its client id.
async fn new_client(okta: &MockOkta, key: &SigningKey, dpop: Option<bool>) -> String {
    let mut body = registration("Orders sync", &[key]);
    if let Some(dpop) = dpop {
        body["dpop_bound_access_tokens"] = json!(dpop);
    }
    let a = admin(okta, Method::POST, "oauth2/v1/clients", Some(&body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["client_id"].as_str().unwrap().to_owned()
}

/// Grants `scope` to app `id` with the admin's API token.
async fn grant(okta: &MockOkta, id: &str, scope: &str) -> Answer {
    let body = json!({ "issuer": okta.uri(), "scopeId": scope });
    admin(
        okta,
        Method::POST,
        &format!("api/v1/apps/{id}/grants"),
        Some(&body),
    )
    .await
}

/// Assigns the standard role `role` to client `id` with the admin's API token.
async fn assign_role(okta: &MockOkta, id: &str, role: &str) -> Answer {
    let body = json!({ "type": role });
    let path = format!("oauth2/v1/clients/{id}/roles");
    admin(okta, Method::POST, &path, Some(&body)).await
}

/// One token fetch for `client_id` signed with `key`, as `ServiceAppSource`
/// does it (a fresh source: no cache).
async fn fetch(
    okta: &MockOkta,
    client_id: &str,
    key: &SigningKey,
    scopes: &[&str],
    mode: DpopMode,
) -> Result<AccessToken, Error> {
    ServiceAppSource::builder(okta.org_url(), client_id)
        .private_key(key.clone())
        .http_client(http())
        .scopes(scopes.iter().copied())
        .dpop(mode)
        .build()
        .unwrap()
        .token()
        .await
}

/// The OAuth `error` of a failed fetch.
fn oauth_error(result: Result<AccessToken, Error>) -> String {
    let error = result.expect_err("the fetch should fail");
    error
        .oauth_error()
        .unwrap_or_else(|| panic!("{error:?}"))
        .error()
        .to_owned()
}

/// Registers [`MANAGER`] holding `scopes` (and the default admin role unless
/// `role` is false) and fetches its token.
async fn manager_token(okta: &MockOkta, scopes: &[&str], role: bool) -> AccessToken {
    let key = SigningKey::generate_p256().with_kid("manager-1");
    let mut app = ServiceApp::new(MANAGER)
        .jwk(key.public_jwk())
        .scopes(scopes.iter().copied());
    if !role {
        app = app.without_admin_role();
    }
    okta.register_service_app(app).unwrap();
    fetch(okta, MANAGER, &key, scopes, DpopMode::Auto)
        .await
        .unwrap()
}

/// base64url without padding, as in a JWK.
fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA public JWK with a 1024-bit modulus, which Okta refuses.
fn short_rsa_jwk() -> Value {
    json!({ "kty": "RSA", "kid": "short", "e": "AQAB", "n": b64(&[0xC5; 128]) })
}
