//! What a rotation did: [`RotationReport`], and [`RotationError`] when it
//! stopped.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;

/// One step of a [`KeyRotation`](super::KeyRotation), in the order
/// [`run`](super::KeyRotation::run) takes them ([`RotationStep::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RotationStep {
    /// Register the new public key with the app, active.
    AddKey,
    /// Make the live source sign with the new key.
    Switch,
    /// Fetch a token signed with the new key.
    Prove,
    /// Deactivate the old key.
    DeactivateOld,
    /// Delete the old key.
    DeleteOld,
}

impl RotationStep {
    /// Every step, in order.
    pub const ALL: [RotationStep; 5] = [
        RotationStep::AddKey,
        RotationStep::Switch,
        RotationStep::Prove,
        RotationStep::DeactivateOld,
        RotationStep::DeleteOld,
    ];

    /// Its name in events and messages: `add key`, `switch`, `prove`,
    /// `deactivate old key`, `delete old key`.
    pub fn as_str(self) -> &'static str {
        match self {
            RotationStep::AddKey => "add key",
            RotationStep::Switch => "switch",
            RotationStep::Prove => "prove",
            RotationStep::DeactivateOld => "deactivate old key",
            RotationStep::DeleteOld => "delete old key",
        }
    }
}

impl fmt::Display for RotationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a step changed something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepOutcome {
    /// The step did its work.
    Done,
    /// There was nothing left to do (an earlier run did it).
    Skipped,
}

impl StepOutcome {
    /// `done` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Done => "done",
            StepOutcome::Skipped => "skipped",
        }
    }
}

/// What one step did, and why in a few words (`added`, `already active`,
/// `not on the app`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StepReport {
    /// The step.
    pub step: RotationStep,
    /// Done or skipped.
    pub outcome: StepOutcome,
    /// What was done, or why nothing was.
    pub detail: &'static str,
}

impl StepReport {
    pub(super) fn done(step: RotationStep, detail: &'static str) -> Self {
        Self {
            step,
            outcome: StepOutcome::Done,
            detail,
        }
    }

    pub(super) fn skipped(step: RotationStep, detail: &'static str) -> Self {
        Self {
            step,
            outcome: StepOutcome::Skipped,
            detail,
        }
    }
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.step,
            self.outcome.as_str(),
            self.detail
        )
    }
}

/// What a [`KeyRotation`](super::KeyRotation) run did, step by step. Its
/// `Display` prints one line per step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationReport {
    /// The app rotated.
    pub app_id: String,
    /// The `kid` of the key the app moved to.
    pub new_kid: String,
    /// The `kid` of the key retired.
    pub old_kid: String,
    /// The steps taken, in order.
    pub steps: Vec<StepReport>,
}

impl RotationReport {
    /// The steps that did their work.
    pub fn done(&self) -> Vec<RotationStep> {
        self.with(StepOutcome::Done)
    }

    /// The steps that had nothing left to do.
    pub fn skipped(&self) -> Vec<RotationStep> {
        self.with(StepOutcome::Skipped)
    }

    fn with(&self, outcome: StepOutcome) -> Vec<RotationStep> {
        self.steps
            .iter()
            .filter(|s| s.outcome == outcome)
            .map(|s| s.step)
            .collect()
    }
}

impl fmt::Display for RotationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key rotation of app {} from kid {} to kid {}",
            self.app_id, self.old_kid, self.new_kid
        )?;
        for step in &self.steps {
            write!(f, "\n  {step}")?;
        }
        Ok(())
    }
}

/// Why a rotation stopped: the step, what was done before it, and the
/// cause (its [`source`](std::error::Error::source)); inside
/// [`Error::Rotation`]. Run the rotation again once the cause is fixed (or
/// at once for a transient one, [`Error::is_transient`]): the steps done
/// are skipped.
#[derive(Debug, Clone, thiserror::Error)]
#[error("key rotation of app {} stopped at the {step} step", .report.app_id)]
pub struct RotationError {
    step: RotationStep,
    report: RotationReport,
    switched_back: bool,
    #[source]
    cause: Arc<Error>,
}

impl RotationError {
    pub(super) fn new(
        step: RotationStep,
        report: RotationReport,
        switched_back: bool,
        cause: Error,
    ) -> Self {
        Self {
            step,
            report,
            switched_back,
            cause: Arc::new(cause),
        }
    }

    /// The step that failed.
    pub fn step(&self) -> RotationStep {
        self.step
    }

    /// The steps done (or skipped) before it.
    pub fn report(&self) -> &RotationReport {
        &self.report
    }

    /// Whether the source was switched back to the old key: the proof
    /// failed after this run had switched it.
    pub fn switched_back(&self) -> bool {
        self.switched_back
    }

    /// What went wrong.
    pub fn cause(&self) -> &Error {
        &self.cause
    }
}
