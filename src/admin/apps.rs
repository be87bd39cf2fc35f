//! Registering a service app's client (`POST /oauth2/v1/clients`) and the
//! Apps API's app object: its DPoP setting and lifecycle.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::call::id;
use super::client::OktaAdmin;
use crate::error::Error;
use crate::jose::Jwk;

/// Whether an app, a key, a grant or a role assignment is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Status {
    /// `ACTIVE`.
    Active,
    /// `INACTIVE`.
    Inactive,
    /// A status this version does not know.
    #[serde(other)]
    Other,
}

/// A client registered with [`OktaAdmin::register_client`]: what Okta
/// answered (`201`), without its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RegisteredClient {
    /// The client id (`0oa…`), which is also the app id in the Apps API.
    pub client_id: String,
    /// The name given (the app's label).
    #[serde(default)]
    pub client_name: Option<String>,
    /// When it was registered, in seconds since the Unix epoch.
    #[serde(default)]
    pub client_id_issued_at: Option<u64>,
    /// How it authenticates: `private_key_jwt`.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
}

/// An app of the Apps API (`/api/v1/apps/{appId}`), as much of it as this
/// crate reads. The app object can hold a client's secret: it is never
/// kept here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct App {
    /// The app id (for a service app, its client id).
    pub id: String,
    /// Its label.
    pub label: Option<String>,
    /// Whether it is active: an inactive app gets no tokens.
    pub status: Status,
    /// `signOnMode` (`OPENID_CONNECT` for a service app).
    pub sign_on_mode: Option<String>,
    /// `credentials.oauthClient.client_id`, for an OAuth 2.0 app.
    pub client_id: Option<String>,
    /// `settings.oauthClient.dpop_bound_access_tokens`: whether its token
    /// requests must prove possession of a key (DPoP).
    pub dpop_bound_access_tokens: Option<bool>,
}

/// The app object as Okta writes it, for the fields we keep.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppWire {
    id: String,
    label: Option<String>,
    status: Status,
    sign_on_mode: Option<String>,
    credentials: Option<Value>,
    settings: Option<Value>,
}

impl From<AppWire> for App {
    fn from(w: AppWire) -> Self {
        let client_id = w
            .credentials
            .as_ref()
            .and_then(|c| c.pointer("/oauthClient/client_id")?.as_str())
            .map(str::to_owned);
        let dpop = w.settings.as_ref().and_then(|s| {
            s.pointer("/oauthClient/dpop_bound_access_tokens")?
                .as_bool()
        });
        App {
            id: w.id,
            label: w.label,
            status: w.status,
            sign_on_mode: w.sign_on_mode,
            client_id,
            dpop_bound_access_tokens: dpop,
        }
    }
}

impl OktaAdmin {
    /// Registers an API service app (`POST /oauth2/v1/clients`, scope
    /// `okta.clients.register` or `okta.clients.manage`): `name`, the client
    /// credentials grant, `private_key_jwt` with the public keys `keys`
    /// (give each a `kid`). The new app has no scope grants and no admin
    /// role; [`create_service_app`](Self::create_service_app) does the
    /// rest.
    ///
    /// Okta refuses bad metadata with `400 invalid_client_metadata`
    /// ([`Error::OAuth`]). Fails with [`Error::Config`] without keys, or
    /// with a key holding private members (a [`Jwk`] never does).
    pub async fn register_client(
        &self,
        name: &str,
        keys: &[Jwk],
    ) -> Result<RegisteredClient, Error> {
        if keys.is_empty() {
            return Err(Error::Config(
                "a private_key_jwt client needs at least one public key".into(),
            ));
        }
        let body = json!({
            "client_name": name,
            "grant_types": ["client_credentials"],
            "response_types": ["token"],
            "token_endpoint_auth_method": "private_key_jwt",
            "application_type": "service",
            "jwks": { "keys": keys },
        });
        self.call_json(
            Method::POST,
            "oauth2/v1/clients",
            Some(&body),
            "a client registration",
        )
        .await
    }

    /// The apps of the org (`GET /api/v1/apps`, scope `okta.apps.read`),
    /// every page; with `label_prefix`, those whose label starts with it
    /// (Okta's `q`).
    pub async fn list_apps(&self, label_prefix: Option<&str>) -> Result<Vec<App>, Error> {
        let mut url = self.url("api/v1/apps");
        if let Some(q) = label_prefix {
            url.query_pairs_mut().append_pair("q", q);
        }
        let apps: Vec<AppWire> = self.list(url, "a list of apps").await?;
        Ok(apps.into_iter().map(App::from).collect())
    }

    /// The app `app_id` (`GET /api/v1/apps/{appId}`, scope `okta.apps.read`).
    pub async fn get_app(&self, app_id: &str) -> Result<App, Error> {
        let path = format!("api/v1/apps/{}", id(app_id, "app id")?);
        let app: AppWire = self
            .call_json(Method::GET, &path, None::<&()>, "an app")
            .await?;
        Ok(app.into())
    }

    /// Sets whether the app's token requests must prove possession of a key
    /// with DPoP (`settings.oauthClient.dpop_bound_access_tokens`, scope
    /// `okta.apps.manage`): reads the whole app object, sets the field and
    /// writes it back (`PUT /api/v1/apps/{appId}` replaces the whole app, so
    /// a body without the field would turn DPoP off). Returns the app as
    /// Okta answered the `PUT`.
    ///
    /// The app object travels as Okta sent it; for an app with a client
    /// secret that includes the secret, whose copies in the JSON parser are
    /// not wiped.
    pub async fn set_app_dpop(&self, app_id: &str, required: bool) -> Result<App, Error> {
        let path = format!("api/v1/apps/{}", id(app_id, "app id")?);
        let mut app: Value = self
            .call_json(Method::GET, &path, None::<&()>, "an app")
            .await?;
        let Some(fields) = app.as_object_mut() else {
            return Err(Error::MalformedResponse {
                status: Some(http::StatusCode::OK),
                reason: "the app is not a json object".into(),
            });
        };
        let settings = object(fields.entry("settings"))?;
        let client = object(settings.entry("oauthClient"))?;
        client.insert("dpop_bound_access_tokens".into(), Value::Bool(required));
        let app: AppWire = self
            .call_json(Method::PUT, &path, Some(&app), "an app")
            .await?;
        Ok(app.into())
    }

    /// Activates the app (`POST /api/v1/apps/{appId}/lifecycle/activate`,
    /// scope `okta.apps.manage`); an active app is left so.
    pub async fn activate_app(&self, app_id: &str) -> Result<(), Error> {
        let path = format!("api/v1/apps/{}/lifecycle/activate", id(app_id, "app id")?);
        self.call_empty(Method::POST, &path).await
    }

    /// Deactivates the app (`POST /api/v1/apps/{appId}/lifecycle/deactivate`,
    /// scope `okta.apps.manage`): it gets no more tokens, and its tokens are
    /// refused. An inactive app is left so.
    pub async fn deactivate_app(&self, app_id: &str) -> Result<(), Error> {
        let path = format!("api/v1/apps/{}/lifecycle/deactivate", id(app_id, "app id")?);
        self.call_empty(Method::POST, &path).await
    }

    /// Deletes the app (`DELETE /api/v1/apps/{appId}`, scope
    /// `okta.apps.manage`), with its keys, grants and roles. Okta deletes
    /// only an inactive app (`403 E0000056` otherwise):
    /// [`deactivate_app`](Self::deactivate_app) first.
    pub async fn delete_app(&self, app_id: &str) -> Result<(), Error> {
        let path = format!("api/v1/apps/{}", id(app_id, "app id")?);
        self.call_empty(Method::DELETE, &path).await
    }
}

/// The object under `entry`, made if absent or `null`.
fn object(entry: serde_json::map::Entry<'_>) -> Result<&mut serde_json::Map<String, Value>, Error> {
    let value = entry.or_insert(Value::Null);
    if value.is_null() {
        *value = Value::Object(serde_json::Map::new());
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Error::MalformedResponse {
            status: Some(http::StatusCode::OK),
            reason: "the app's settings are not json objects".into(),
        }),
    }
}
