//! `testing::MockOkta`'s directory (users, groups, Okta's full objects and
//! pagination) and the routes a test mounts on it, driven as a service's
//! own Okta client would: reqwest with headers from a `TokenSource`.
//!
//! The harness lives here; each behaviour has a module.

mod groups;
mod mounted;
mod pagination;
mod scopes;
mod users;

use crate::support::{Answer, http};
use okta_auth::http::Method;
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{AccessToken, ApiTokenSource, DpopMode, ServiceAppSource, SigningKey, TokenSource};
use serde::Deserialize;
use serde_json::Value;

/// The fake org's API token.
const API_TOKEN: &str = "00directory-api-token";

/// A fake org with [`API_TOKEN`] registered.
async fn org() -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_api_token(API_TOKEN);
    okta
}

impl Answer {
    /// Every `Link` header line.
    fn links(&self) -> Vec<&str> {
        self.headers
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }
    /// The URL of the `rel="next"` link, if any.
    fn next(&self) -> Option<String> {
        self.links().into_iter().find_map(|line| {
            let (url, rel) = line.split_once(">; ")?;
            (rel == "rel=\"next\"").then(|| url.trim_start_matches('<').to_owned())
        })
    }
    fn error_code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or_default()
    }
}

/// `GET url` authorized by `token` (its proof too, for a DPoP token).
async fn get_with(url: &str, token: &AccessToken) -> Answer {
    let url = okta_auth::url::Url::parse(url).unwrap();
    let headers = token.authorize(&Method::GET, &url).unwrap();
    Answer::read(http().get(url).headers(headers).send().await.unwrap()).await
}

/// `GET {org}/{path}` with the API token.
async fn get(okta: &MockOkta, path: &str) -> Answer {
    get_with(&url(okta, path), &api_token().await).await
}

/// `{org}/{path}`, the path possibly with a query.
fn url(okta: &MockOkta, path: &str) -> String {
    format!("{}/{path}", okta.uri())
}

async fn api_token() -> AccessToken {
    ApiTokenSource::new(API_TOKEN)
        .unwrap()
        .token()
        .await
        .unwrap()
}

/// Registers service app `client_id` granted `scopes` (with the default
/// admin role; DPoP-bound tokens when `dpop`) and fetches its token, as a
/// service would.
async fn app_token(okta: &MockOkta, client_id: &str, scopes: &[&str], dpop: bool) -> AccessToken {
    let key = SigningKey::generate_p256().with_kid(format!("{client_id}-key"));
    okta.register_service_app(
        ServiceApp::new(client_id)
            .jwk(key.public_jwk())
            .scopes(scopes.iter().copied())
            .dpop(dpop, dpop),
    )
    .unwrap();
    ServiceAppSource::builder(okta.org_url(), client_id)
        .private_key(key)
        .scopes(scopes.iter().copied())
        .dpop(if dpop {
            DpopMode::Always
        } else {
            DpopMode::Never
        })
        .http_client(http())
        .build()
        .unwrap()
        .token()
        .await
        .unwrap()
}

/// Okta's `User`, as a client's model reads it: every member typed, the
/// nullable ones `Option`s, unknown members refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // read through `Debug` and in assertions
struct User {
    id: String,
    status: String,
    created: String,
    activated: Option<String>,
    status_changed: Option<String>,
    last_login: Option<String>,
    last_updated: String,
    password_changed: Option<String>,
    #[serde(rename = "type")]
    user_type: UserType,
    profile: Profile,
    credentials: Credentials,
    #[serde(rename = "_links")]
    links: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserType {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Profile {
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile_phone: Option<String>,
    second_email: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    password: Option<serde_json::Map<String, Value>>,
    provider: Provider,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Provider {
    #[serde(rename = "type")]
    kind: String,
    name: String,
}

/// Okta's `Group`, typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Group {
    id: String,
    created: String,
    last_updated: String,
    last_membership_updated: String,
    object_class: Vec<String>,
    #[serde(rename = "type")]
    kind: String,
    profile: GroupProfile,
    #[serde(rename = "_links")]
    links: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupProfile {
    name: String,
    description: Option<String>,
}

/// Whether `time` is written as Okta writes times:
/// `2024-01-01T00:00:00.000Z`.
fn is_okta_time(time: &str) -> bool {
    let b = time.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[10] == b'T'
        && time.ends_with(".000Z")
        && time[..4].chars().all(|c| c.is_ascii_digit())
}
