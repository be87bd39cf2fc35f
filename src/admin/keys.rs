//! An app's public keys (`/api/v1/apps/{appId}/credentials/jwks`): the
//! building blocks of key rotation.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::apps::Status;
use super::call::id;
use super::client::OktaAdmin;
use crate::error::Error;
use crate::jose::Jwk;

/// One public key of an app, as the JWKS API shows it; also what a
/// [`KeyRotation`](crate::rotation::KeyRotation) reads through
/// [`KeyRegistry`](crate::rotation::KeyRegistry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppKey {
    /// Okta's id of the key (`pks…`), which the key's paths use; distinct
    /// from its `kid`.
    pub id: String,
    /// Its `kid`, which client assertions name in their header.
    pub kid: Option<String>,
    /// Whether assertions signed with it are accepted.
    pub status: Status,
    /// The public key, when Okta's answer holds one this crate reads (RSA,
    /// EC P-256 or P-384).
    pub jwk: Option<Jwk>,
}

/// A key as Okta writes it: its public members beside these.
#[derive(Deserialize)]
struct KeyWire {
    id: String,
    kid: Option<String>,
    status: Status,
}

impl AppKey {
    /// Whether assertions signed with it are accepted (`ACTIVE`).
    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    fn from_okta(value: Value) -> Result<Self, Error> {
        let jwk = value.to_string().parse::<Jwk>().ok();
        let wire: KeyWire =
            serde_json::from_value(value).map_err(|_| Error::MalformedResponse {
                status: Some(http::StatusCode::OK),
                reason: "not a json web key: missing or mistyped members".into(),
            })?;
        Ok(AppKey {
            id: wire.id,
            kid: wire.kid,
            status: wire.status,
            jwk,
        })
    }
}

impl OktaAdmin {
    /// The app's keys (`GET /api/v1/apps/{appId}/credentials/jwks`, scope
    /// `okta.apps.read`), active and inactive.
    pub async fn list_keys(&self, app_id: &str) -> Result<Vec<AppKey>, Error> {
        let path = format!("api/v1/apps/{}/credentials/jwks", id(app_id, "app id")?);
        let keys: Vec<Value> = self
            .call_json(Method::GET, &path, None::<&()>, "a list of keys")
            .await?;
        keys.into_iter().map(AppKey::from_okta).collect()
    }

    /// Adds `jwk` (a public key; give it a `kid` unique within the app) to
    /// the app, active (`POST /api/v1/apps/{appId}/credentials/jwks`, scope
    /// `okta.apps.manage`): assertions signed with it are accepted at once.
    /// Okta's rules: unique `kid`s, RSA of at least 2048 bits, at most 50
    /// keys (`400 E0000001` otherwise).
    pub async fn add_key(&self, app_id: &str, jwk: &Jwk) -> Result<AppKey, Error> {
        self.add(app_id, jwk, None).await
    }

    /// Adds `jwk` to the app as an inactive key, to be activated later with
    /// [`activate_key`](Self::activate_key). See [`add_key`](Self::add_key).
    pub async fn add_inactive_key(&self, app_id: &str, jwk: &Jwk) -> Result<AppKey, Error> {
        self.add(app_id, jwk, Some("INACTIVE")).await
    }

    async fn add(&self, app_id: &str, jwk: &Jwk, status: Option<&str>) -> Result<AppKey, Error> {
        let path = format!("api/v1/apps/{}/credentials/jwks", id(app_id, "app id")?);
        let mut body = serde_json::to_value(jwk)
            .map_err(|_| Error::Config("the key cannot be written as json".into()))?;
        if let (Some(status), Value::Object(map)) = (status, &mut body) {
            map.insert("status".into(), Value::String(status.into()));
        }
        let key: Value = self
            .call_json(Method::POST, &path, Some(&body), "a json web key")
            .await?;
        AppKey::from_okta(key)
    }

    /// The app's key `key_id` (Okta's `pks…` id, not the `kid`).
    pub async fn get_key(&self, app_id: &str, key_id: &str) -> Result<AppKey, Error> {
        let path = key_path(app_id, key_id, "")?;
        let key: Value = self
            .call_json(Method::GET, &path, None::<&()>, "a json web key")
            .await?;
        AppKey::from_okta(key)
    }

    /// Activates the key `key_id`: assertions signed with it are accepted
    /// again (scope `okta.apps.manage`).
    pub async fn activate_key(&self, app_id: &str, key_id: &str) -> Result<AppKey, Error> {
        let path = key_path(app_id, key_id, "/lifecycle/activate")?;
        let key: Value = self
            .call_json(Method::POST, &path, None::<&()>, "a json web key")
            .await?;
        AppKey::from_okta(key)
    }

    /// Deactivates the key `key_id`: assertions signed with it are refused
    /// from now on (scope `okta.apps.manage`). Okta refuses to deactivate
    /// the app's only active key (`400 E0000001`).
    pub async fn deactivate_key(&self, app_id: &str, key_id: &str) -> Result<AppKey, Error> {
        let path = key_path(app_id, key_id, "/lifecycle/deactivate")?;
        let key: Value = self
            .call_json(Method::POST, &path, None::<&()>, "a json web key")
            .await?;
        AppKey::from_okta(key)
    }

    /// Deletes the key `key_id` (scope `okta.apps.manage`). Only an inactive
    /// key can be deleted (`400 E0000001` otherwise):
    /// [`deactivate_key`](Self::deactivate_key) first.
    pub async fn delete_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        let path = key_path(app_id, key_id, "")?;
        self.call_empty(Method::DELETE, &path).await
    }
}

fn key_path(app_id: &str, key_id: &str, rest: &str) -> Result<String, Error> {
    Ok(format!(
        "api/v1/apps/{}/credentials/jwks/{}{rest}",
        id(app_id, "app id")?,
        id(key_id, "key id")?
    ))
}
