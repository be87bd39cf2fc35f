//! [`OktaAdmin`] as the [`KeyRegistry`] a rotation runs against: the
//! rotation depends on the admin API, never the other way round.

use async_trait::async_trait;

use super::KeyRegistry;
use crate::admin::{AppKey, OktaAdmin};
use crate::error::Error;
use crate::jose::Jwk;

/// The rotation's registry is the admin API: each call is the inherent
/// method of the same name, through the same request path.
#[async_trait]
impl KeyRegistry for OktaAdmin {
    async fn list_keys(&self, app_id: &str) -> Result<Vec<AppKey>, Error> {
        OktaAdmin::list_keys(self, app_id).await
    }

    async fn add_key(&self, app_id: &str, jwk: &Jwk) -> Result<AppKey, Error> {
        OktaAdmin::add_key(self, app_id, jwk).await
    }

    async fn activate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        OktaAdmin::activate_key(self, app_id, key_id)
            .await
            .map(drop)
    }

    async fn deactivate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        OktaAdmin::deactivate_key(self, app_id, key_id)
            .await
            .map(drop)
    }

    async fn delete_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        OktaAdmin::delete_key(self, app_id, key_id).await
    }
}
