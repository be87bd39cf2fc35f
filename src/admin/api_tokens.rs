//! API tokens (`/api/v1/api-tokens`): their metadata (Okta never shows a
//! token's secret again), and their revocation, including the token making
//! the call: the last step of moving from an API token to a service app.

use http::Method;
use serde::{Deserialize, Serialize};

use super::call::id;
use super::client::OktaAdmin;
use crate::error::Error;

/// What Okta shows of an API token: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApiTokenInfo {
    /// Okta's id of the token (`00T…`).
    pub id: String,
    /// Its name, as given in the Admin UI.
    pub name: String,
    /// The admin it acts for.
    #[serde(default)]
    pub user_id: Option<String>,
    /// What made it (`Okta API`).
    #[serde(default)]
    pub client_name: Option<String>,
    /// When it was made (ISO 8601).
    #[serde(default)]
    pub created: Option<String>,
    /// When it expires unless used (ISO 8601): each use renews it.
    #[serde(default)]
    pub expires_at: Option<String>,
}

impl OktaAdmin {
    /// The org's API tokens (`GET /api/v1/api-tokens`, scope
    /// `okta.apiTokens.read`).
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiTokenInfo>, Error> {
        self.list(self.url("api/v1/api-tokens"), "a list of api tokens")
            .await
    }

    /// The API token `token_id` (`00T…`).
    pub async fn get_api_token(&self, token_id: &str) -> Result<ApiTokenInfo, Error> {
        let path = format!("api/v1/api-tokens/{}", id(token_id, "api token id")?);
        self.call_json(Method::GET, &path, None::<&()>, "an api token")
            .await
    }

    /// Revokes the API token `token_id` (`DELETE /api/v1/api-tokens/{id}`,
    /// scope `okta.apiTokens.manage`): requests with it get `401` from now
    /// on.
    pub async fn revoke_api_token(&self, token_id: &str) -> Result<(), Error> {
        let path = format!("api/v1/api-tokens/{}", id(token_id, "api token id")?);
        self.call_empty(Method::DELETE, &path).await
    }

    /// Revokes the API token this admin calls with
    /// (`DELETE /api/v1/api-tokens/current`): the last step of a migration
    /// to a service app. Every later call with it (from this admin too) gets
    /// `401 E0000011`. Only an API token
    /// ([`ApiTokenSource`](crate::ApiTokenSource)) has a "current" one: a
    /// service app's token gets `403 E0000006`.
    pub async fn revoke_current_api_token(&self) -> Result<(), Error> {
        self.call_empty(Method::DELETE, "api/v1/api-tokens/current")
            .await
    }
}
