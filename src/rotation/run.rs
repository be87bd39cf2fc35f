//! Running a [`KeyRotation`]: every step in order
//! ([`run`](KeyRotation::run)) or one alone
//! ([`run_step`](KeyRotation::run_step)), in the `okta_key_rotation` span,
//! an event per step, a [`RotationError`] when one fails, and the switch
//! undone when the proof fails.

use tracing::Instrument;

use super::KeyRegistry;
use super::plan::KeyRotation;
use super::report::{RotationError, RotationReport, RotationStep, StepReport};
use crate::error::Error;
use crate::key::SigningKey;
use crate::service_app::ServiceAppSource;

impl KeyRotation {
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
            // Escaped (`Debug`): a kid set in code may hold anything.
            new_kid = ?self.new_kid(),
            old_kid = ?self.old_kid.as_str(),
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
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::admin::{AppKey, Status};
    use crate::jose::Jwk;
    use crate::org::OrgUrl;

    /// An app holding the old key (`kid` `old`) alone, whose writes all
    /// time out.
    struct OldKeyOnly;

    #[async_trait]
    impl KeyRegistry for OldKeyOnly {
        async fn list_keys(&self, _: &str) -> Result<Vec<AppKey>, Error> {
            Ok(vec![AppKey {
                id: "pksOld".into(),
                kid: Some("old".into()),
                status: Status::Active,
                jwk: None,
            }])
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
        let registry: &dyn KeyRegistry = &OldKeyOnly;
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
        let error = rotation.run(&OldKeyOnly, &source).await.unwrap_err();
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
