//! Scope grants (`/api/v1/apps/{appId}/grants`): the `okta.*` scopes an
//! app may request from the org authorization server, one grant each.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::apps::Status;
use super::call::id;
use super::client::OktaAdmin;
use crate::error::Error;

/// One scope granted to an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScopeGrant {
    /// Okta's id of the grant (`oag…`).
    pub id: String,
    /// The scope granted, e.g. `okta.users.read`.
    pub scope_id: String,
    /// The authorization server it is granted on: the org (`https://{org}`).
    pub issuer: String,
    /// Whether the grant is in effect.
    pub status: Status,
    /// The app's client id.
    #[serde(default)]
    pub client_id: Option<String>,
}

impl OktaAdmin {
    /// Grants `scope` (an `okta.*` scope) to the app on the org
    /// authorization server (`POST /api/v1/apps/{appId}/grants` with the org
    /// as `issuer`, scope `okta.appGrants.manage`): the app may request it
    /// from now on. One call per scope; granting a scope twice is
    /// `400 E0000001`.
    pub async fn grant_scope(&self, app_id: &str, scope: &str) -> Result<ScopeGrant, Error> {
        let path = format!("api/v1/apps/{}/grants", id(app_id, "app id")?);
        let body = json!({ "issuer": self.org_url().issuer(), "scopeId": scope });
        self.call_json(Method::POST, &path, Some(&body), "a scope grant")
            .await
    }

    /// The app's scope grants (`GET /api/v1/apps/{appId}/grants`, scope
    /// `okta.appGrants.read`).
    pub async fn list_grants(&self, app_id: &str) -> Result<Vec<ScopeGrant>, Error> {
        let path = format!("api/v1/apps/{}/grants", id(app_id, "app id")?);
        self.list(self.url(&path), "a list of scope grants").await
    }

    /// The app's grant `grant_id` (`oag…`).
    pub async fn get_grant(&self, app_id: &str, grant_id: &str) -> Result<ScopeGrant, Error> {
        let path = grant_path(app_id, grant_id)?;
        self.call_json(Method::GET, &path, None::<&()>, "a scope grant")
            .await
    }

    /// Revokes the grant `grant_id` (scope `okta.appGrants.manage`): the app
    /// may no longer request its scope (tokens it holds keep working until
    /// they expire).
    pub async fn revoke_grant(&self, app_id: &str, grant_id: &str) -> Result<(), Error> {
        let path = grant_path(app_id, grant_id)?;
        self.call_empty(Method::DELETE, &path).await
    }
}

fn grant_path(app_id: &str, grant_id: &str) -> Result<String, Error> {
    Ok(format!(
        "api/v1/apps/{}/grants/{}",
        id(app_id, "app id")?,
        id(grant_id, "grant id")?
    ))
}
