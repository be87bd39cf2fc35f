//! The five steps of a [`KeyRotation`], each alone: what it reads of the
//! app's keys, what it refuses, and what it skips because it is done.

use super::plan::{KeyRotation, SECRET_SOURCE};
use super::report::{RotationStep, StepReport};
use super::{KeyRegistry, MAX_APP_KEYS};
use crate::admin::AppKey;
use crate::error::Error;
use crate::jose::Jwk;
use crate::key::SigningKey;
use crate::service_app::ServiceAppSource;
use crate::token::TokenSource;

impl KeyRotation {
    pub(super) async fn add_key<R: KeyRegistry + ?Sized>(
        &self,
        registry: &R,
    ) -> Result<StepReport, Error> {
        const STEP: RotationStep = RotationStep::AddKey;
        let keys = registry.list_keys(&self.app_id).await?;
        if let Some(key) = self.new_on(&keys)? {
            if key.is_active() {
                return Ok(StepReport::skipped(STEP, "on the app already, active"));
            }
            registry.activate_key(&self.app_id, &key.id).await?;
            return Ok(StepReport::done(STEP, "on the app already, activated"));
        }
        // Neither key on the app: not a re-run of a finished rotation (the
        // old key gone, the new one there) but a wrong old kid, whose real
        // key would stay active while the report says it is gone.
        if self.old_on(&keys).is_none() {
            return Err(Error::Config(format!(
                "the app holds no key with the old kid {}: name the key to retire by the kid \
                 it has on the app (nothing was changed)",
                self.old_kid
            )));
        }
        if keys.len() >= MAX_APP_KEYS {
            return Err(Error::Config(format!(
                "the app holds {MAX_APP_KEYS} keys, Okta's maximum: delete an inactive one first"
            )));
        }
        registry
            .add_key(&self.app_id, &self.new_key.public_jwk())
            .await?;
        Ok(StepReport::done(STEP, "added, active"))
    }

    pub(super) async fn switch<R: KeyRegistry + ?Sized>(
        &self,
        registry: &R,
        source: &ServiceAppSource,
    ) -> Result<(StepReport, Option<SigningKey>), Error> {
        const STEP: RotationStep = RotationStep::Switch;
        if self.signs_with_new_key(source)? {
            let done = StepReport::skipped(STEP, "the source signs with the new key already");
            return Ok((done, None));
        }
        let keys = registry.list_keys(&self.app_id).await?;
        if !self.new_on(&keys)?.is_some_and(AppKey::is_active) {
            return Err(Error::Config(
                "the new key is not active on the app: run the add key step first".into(),
            ));
        }
        let old = source.rotate_key(self.new_key.clone())?;
        let done = StepReport::done(STEP, "the source signs with the new key");
        Ok((done, Some(old)))
    }

    pub(super) async fn prove(&self, source: &ServiceAppSource) -> Result<StepReport, Error> {
        if !self.signs_with_new_key(source)? {
            return Err(Error::Config(
                "the source does not sign with the new key: run the switch step first".into(),
            ));
        }
        // The source itself, not a cache: this is a token request.
        source.token().await?;
        Ok(StepReport::done(
            RotationStep::Prove,
            "a token fetched with the new key",
        ))
    }

    pub(super) async fn deactivate_old<R: KeyRegistry + ?Sized>(
        &self,
        registry: &R,
        source: &ServiceAppSource,
    ) -> Result<StepReport, Error> {
        const STEP: RotationStep = RotationStep::DeactivateOld;
        let current = source
            .signing_key()
            .ok_or_else(|| Error::Config(SECRET_SOURCE.into()))?;
        if current.kid() == Some(self.old_kid.as_str()) {
            return Err(Error::Config(
                "the source still signs with the old key: run the switch step first".into(),
            ));
        }
        let keys = registry.list_keys(&self.app_id).await?;
        let Some(old) = self.old_on(&keys) else {
            return Ok(StepReport::skipped(STEP, "not on the app"));
        };
        if !old.is_active() {
            return Ok(StepReport::skipped(STEP, "inactive already"));
        }
        if !self.new_on(&keys)?.is_some_and(AppKey::is_active) {
            return Err(Error::Config(
                "the new key is not active on the app, so the old key is the last active one: \
                 run the add key step first"
                    .into(),
            ));
        }
        registry.deactivate_key(&self.app_id, &old.id).await?;
        Ok(StepReport::done(STEP, "deactivated"))
    }

    pub(super) async fn delete_old<R: KeyRegistry + ?Sized>(
        &self,
        registry: &R,
    ) -> Result<StepReport, Error> {
        const STEP: RotationStep = RotationStep::DeleteOld;
        let keys = registry.list_keys(&self.app_id).await?;
        let Some(old) = self.old_on(&keys) else {
            return Ok(StepReport::skipped(STEP, "not on the app"));
        };
        if old.is_active() {
            return Err(Error::Config(
                "the old key is still active: run the deactivate old key step first".into(),
            ));
        }
        registry.delete_key(&self.app_id, &old.id).await?;
        Ok(StepReport::done(STEP, "deleted"))
    }

    /// Whether `source` signs with the new key now (same key, same `kid`).
    fn signs_with_new_key(&self, source: &ServiceAppSource) -> Result<bool, Error> {
        let current = source
            .signing_key()
            .ok_or_else(|| Error::Config(SECRET_SOURCE.into()))?;
        Ok(
            current.kid() == self.new_key.kid()
                && current.thumbprint() == self.new_key.thumbprint(),
        )
    }

    /// The app's key with the new `kid`, if any; an error if that `kid`
    /// names another key.
    fn new_on<'k>(&self, keys: &'k [AppKey]) -> Result<Option<&'k AppKey>, Error> {
        let Some(key) = keys.iter().find(|k| k.kid.as_deref() == self.new_key.kid()) else {
            return Ok(None);
        };
        // A key this crate cannot read (no `jwk`) is not the new key either.
        if key.jwk.as_ref().map(Jwk::thumbprint) != Some(self.new_key.thumbprint()) {
            return Err(Error::Config(format!(
                "the app holds another key under the new kid {}: give the new key a kid of its own",
                self.new_kid()
            )));
        }
        Ok(Some(key))
    }

    /// The app's key with the old `kid`, if any.
    fn old_on<'k>(&self, keys: &'k [AppKey]) -> Option<&'k AppKey> {
        keys.iter()
            .find(|k| k.kid.as_deref() == Some(self.old_kid.as_str()))
    }
}
