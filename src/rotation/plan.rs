//! [`KeyRotation`]: the plan and its steps.

use std::fmt;

use tracing::Instrument;

use super::report::{RotationError, RotationReport, RotationStep, StepReport};
use super::{KeyRegistry, MAX_APP_KEYS};
use crate::admin::AppKey;
use crate::error::Error;
use crate::jose::Jwk;
use crate::key::SigningKey;
use crate::service_app::ServiceAppSource;
use crate::token::TokenSource;

const SECRET_SOURCE: &str =
    "the source authenticates with a client secret: only a private key can be rotated";

/// A staged, re-runnable rotation of a service app's client-assertion key
/// with no downtime: add the new key, switch the live
/// [`ServiceAppSource`] to it, prove it with a token, deactivate the old
/// key, delete it. See the [module docs](super) for each step's rules.
///
/// ```no_run
/// use okta_auth::rotation::{KeyRegistry, KeyRotation};
/// use okta_auth::{ServiceAppSource, SigningKey};
///
/// # async fn run(registry: &dyn KeyRegistry, source: ServiceAppSource) -> Result<(), okta_auth::Error> {
/// // `source` is the one the service uses (its clones share the key).
/// let new_key = SigningKey::generate_p256().with_kid("orders-2025-06");
/// let rotation = KeyRotation::for_source(&source, new_key)?;
/// let report = rotation.run(registry, &source).await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KeyRotation {
    app_id: String,
    old_kid: String,
    new_key: SigningKey,
}

impl KeyRotation {
    /// A rotation of app `app_id` (a service app's client id) from the key
    /// whose `kid` is `old_kid` to `new_key`.
    ///
    /// Fails with [`Error::Config`] when `app_id` or `old_kid` is empty,
    /// `new_key` has no `kid` (an app holding two keys needs them to tell
    /// which signed an assertion), or its `kid` is `old_kid`.
    pub fn new(
        app_id: impl Into<String>,
        old_kid: impl Into<String>,
        new_key: SigningKey,
    ) -> Result<Self, Error> {
        let (app_id, old_kid) = (app_id.into(), old_kid.into());
        let config = |msg: &str| Err(Error::Config(msg.into()));
        if app_id.trim().is_empty() {
            return config("the app id to rotate the key of is empty");
        }
        if old_kid.is_empty() {
            return config("the kid of the key to retire is empty");
        }
        match new_key.kid() {
            None | Some("") => {
                return config("the new key needs a kid (SigningKey::with_kid)");
            }
            Some(kid) if kid == old_kid => {
                return config("the new key needs a kid of its own, not the old key's");
            }
            Some(_) => {}
        }
        Ok(Self {
            app_id,
            old_kid,
            new_key,
        })
    }

    /// A rotation of `source`'s app (its client id, which is the app id of
    /// an Okta service app) from the key it signs with now to `new_key`.
    ///
    /// Fails with [`Error::Config`] when the source has no private key
    /// (a client secret) or its key has no `kid` (use
    /// [`KeyRotation::new`] to name the key to retire), and as
    /// [`KeyRotation::new`] does. To run a rotation again after its switch
    /// step, keep this value (or use [`KeyRotation::new`]): the source no
    /// longer signs with the old key.
    pub fn for_source(source: &ServiceAppSource, new_key: SigningKey) -> Result<Self, Error> {
        let current = source
            .signing_key()
            .ok_or_else(|| Error::Config(SECRET_SOURCE.into()))?;
        let old_kid = current.kid().ok_or_else(|| {
            Error::Config(
                "the source's key has no kid: name the key to retire with KeyRotation::new".into(),
            )
        })?;
        Self::new(source.client_id(), old_kid, new_key)
    }

    /// The app whose key is rotated.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The `kid` of the key retired.
    pub fn old_kid(&self) -> &str {
        &self.old_kid
    }

    /// The `kid` of the new key.
    pub fn new_kid(&self) -> &str {
        // Checked by `new`.
        self.new_key.kid().unwrap_or_default()
    }

    /// The new key.
    pub fn new_key(&self) -> &SigningKey {
        &self.new_key
    }

    /// Runs every step in order ([`RotationStep::ALL`]) against the app
    /// through `registry`, switching `source` (and so every clone of it).
    /// Steps already done are skipped, so a rotation that stopped can be
    /// run again.
    ///
    /// On failure returns [`Error::Rotation`] with the step, the steps done
    /// before it and the cause, and stops: nothing after that step is
    /// tried. When the proof fails after this run switched the source, the
    /// source is switched back to the key it had
    /// ([`RotationError::switched_back`]), which is still active.
    pub async fn run<R: KeyRegistry + ?Sized>(
        &self,
        registry: &R,
        source: &ServiceAppSource,
    ) -> Result<RotationReport, Error> {
        let span = self.span();
        async {
            let mut report = self.report();
            // The key this run switched away from, to put back if the proof
            // fails.
            let mut switched_from = None;
            for step in RotationStep::ALL {
                match self.logged(step, registry, source).await {
                    Ok((done, previous)) => {
                        if previous.is_some() {
                            switched_from = previous;
                        }
                        report.steps.push(done);
                    }
                    Err(cause) => {
                        let switched_back = step == RotationStep::Prove
                            && switched_from.is_some_and(|old| source.rotate_key(old).is_ok());
                        if switched_back {
                            tracing::warn!(
                                "the new key was not proven: switched back to the old key"
                            );
                        }
                        return Err(Error::Rotation(Box::new(RotationError::new(
                            step,
                            report,
                            switched_back,
                            cause,
                        ))));
                    }
                }
            }
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// Runs one step alone, with the same checks as in [`run`](Self::run)
    /// (it refuses a step whose predecessors are not done, e.g. deactivating
    /// the old key while the new one is not active). For a caller that
    /// wants to pause between steps, for example to roll the new key out to
    /// other replicas between the switch and the deactivation. A failed
    /// step is an [`Error::Rotation`] with an empty report; nothing is
    /// switched back.
    pub async fn run_step<R: KeyRegistry + ?Sized>(
        &self,
        step: RotationStep,
        registry: &R,
        source: &ServiceAppSource,
    ) -> Result<StepReport, Error> {
        self.logged(step, registry, source)
            .instrument(self.span())
            .await
            .map(|(done, _)| done)
            .map_err(|cause| {
                Error::Rotation(Box::new(RotationError::new(
                    step,
                    self.report(),
                    false,
                    cause,
                )))
            })
    }

    fn span(&self) -> tracing::Span {
        tracing::info_span!(
            "okta_key_rotation",
            app_id = self.app_id.as_str(),
            new_kid = self.new_kid(),
            old_kid = self.old_kid.as_str(),
        )
    }

    fn report(&self) -> RotationReport {
        RotationReport {
            app_id: self.app_id.clone(),
            new_kid: self.new_kid().to_owned(),
            old_kid: self.old_kid.clone(),
            steps: Vec::new(),
        }
    }

    /// One step, with its event; also the key a switch replaced.
    async fn logged<R: KeyRegistry + ?Sized>(
        &self,
        step: RotationStep,
        registry: &R,
        source: &ServiceAppSource,
    ) -> Result<(StepReport, Option<SigningKey>), Error> {
        let result = match step {
            RotationStep::AddKey => self.add_key(registry).await.map(|r| (r, None)),
            RotationStep::Switch => self.switch(registry, source).await,
            RotationStep::Prove => self.prove(source).await.map(|r| (r, None)),
            RotationStep::DeactivateOld => self
                .deactivate_old(registry, source)
                .await
                .map(|r| (r, None)),
            RotationStep::DeleteOld => self.delete_old(registry).await.map(|r| (r, None)),
        };
        match &result {
            Ok((done, _)) => tracing::info!(
                step = step.as_str(),
                outcome = done.outcome.as_str(),
                detail = done.detail,
                "okta key rotation step"
            ),
            Err(error) => tracing::warn!(
                step = step.as_str(),
                %error,
                "okta key rotation step failed"
            ),
        }
        result
    }

    async fn add_key<R: KeyRegistry + ?Sized>(&self, registry: &R) -> Result<StepReport, Error> {
        const STEP: RotationStep = RotationStep::AddKey;
        let keys = registry.list_keys(&self.app_id).await?;
        if let Some(key) = self.new_on(&keys)? {
            if key.is_active() {
                return Ok(StepReport::skipped(STEP, "on the app already, active"));
            }
            registry.activate_key(&self.app_id, &key.id).await?;
            return Ok(StepReport::done(STEP, "on the app already, activated"));
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

    async fn switch<R: KeyRegistry + ?Sized>(
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

    async fn prove(&self, source: &ServiceAppSource) -> Result<StepReport, Error> {
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

    async fn deactivate_old<R: KeyRegistry + ?Sized>(
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

    async fn delete_old<R: KeyRegistry + ?Sized>(&self, registry: &R) -> Result<StepReport, Error> {
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

impl fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRotation")
            .field("app_id", &self.app_id)
            .field("old_kid", &self.old_kid)
            // SigningKey's Debug shows the kind, algorithm and kid only.
            .field("new_key", &self.new_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::org::OrgUrl;

    /// An app with no keys at all.
    struct NoKeys;

    #[async_trait]
    impl KeyRegistry for NoKeys {
        async fn list_keys(&self, _: &str) -> Result<Vec<AppKey>, Error> {
            Ok(Vec::new())
        }
        async fn add_key(&self, _: &str, _: &Jwk) -> Result<AppKey, Error> {
            Err(Error::Timeout)
        }
        async fn activate_key(&self, _: &str, _: &str) -> Result<(), Error> {
            Err(Error::Timeout)
        }
        async fn deactivate_key(&self, _: &str, _: &str) -> Result<(), Error> {
            Err(Error::Timeout)
        }
        async fn delete_key(&self, _: &str, _: &str) -> Result<(), Error> {
            Err(Error::Timeout)
        }
    }

    fn assert_send<T: Send>(_: &T) {}

    /// A rotation can run on a spawned task, with a `dyn` registry too.
    #[test]
    fn run_and_run_step_are_send() {
        let org: OrgUrl = "https://example.okta.com".parse().unwrap();
        let source = ServiceAppSource::builder(org, "0oaApp")
            .private_key(SigningKey::generate_p256().with_kid("old"))
            .scopes(["okta.users.read"])
            .build()
            .unwrap();
        let rotation =
            KeyRotation::for_source(&source, SigningKey::generate_p256().with_kid("new")).unwrap();
        let registry: &dyn KeyRegistry = &NoKeys;
        assert_send(&rotation.run(registry, &source));
        assert_send(&rotation.run_step(RotationStep::Prove, registry, &source));
        assert_eq!(
            (rotation.app_id(), rotation.old_kid(), rotation.new_kid()),
            ("0oaApp", "old", "new")
        );
        let debug = format!("{rotation:?}");
        assert!(
            debug.contains("\"new\"") && debug.contains("\"old\""),
            "{debug}"
        );
    }

    /// A failed step's error names the step and the app, keeps the cause
    /// as its source, and answers the questions for it.
    #[tokio::test]
    async fn a_failed_step_is_a_rotation_error() {
        let org: OrgUrl = "https://example.okta.com".parse().unwrap();
        let source = ServiceAppSource::builder(org, "0oaApp")
            .private_key(SigningKey::generate_p256().with_kid("old"))
            .scopes(["okta.users.read"])
            .build()
            .unwrap();
        let rotation =
            KeyRotation::for_source(&source, SigningKey::generate_p256().with_kid("new")).unwrap();
        let error = rotation.run(&NoKeys, &source).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "key rotation of app 0oaApp stopped at the add key step"
        );
        let cause = std::error::Error::source(&error).unwrap();
        assert_eq!(cause.to_string(), Error::Timeout.to_string());
        assert!(error.is_transient());
        let Error::Rotation(e) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(e.step(), RotationStep::AddKey);
        assert!(e.report().steps.is_empty());
        assert!(!e.switched_back());
    }
}
