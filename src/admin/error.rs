//! [`ProvisionError`]: which step of provisioning failed, why, and what
//! became of what it had created.

use std::fmt;

use super::roles::AdminRole;
use crate::error::Error;

/// A step of [`OktaAdmin::create_service_app`](crate::OktaAdmin::create_service_app),
/// in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProvisionStep {
    /// Generating the app's private key.
    GenerateKey,
    /// Registering the client (`POST /oauth2/v1/clients`).
    Register,
    /// Setting the app's DPoP requirement (`GET`, then `PUT
    /// /api/v1/apps/{appId}`).
    SetDpop,
    /// Granting this scope (`POST /api/v1/apps/{appId}/grants`).
    Grant(String),
    /// Assigning this role (`POST /oauth2/v1/clients/{clientId}/roles`).
    AssignRole(AdminRole),
    /// Fetching a token with the new app, to prove it works.
    ProveToken,
}

impl fmt::Display for ProvisionStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProvisionStep::GenerateKey => f.write_str("generating the key"),
            ProvisionStep::Register => f.write_str("registering the client"),
            ProvisionStep::SetDpop => f.write_str("setting its dpop requirement"),
            ProvisionStep::Grant(scope) => write!(f, "granting {scope}"),
            ProvisionStep::AssignRole(role) => write!(f, "assigning the role {role}"),
            ProvisionStep::ProveToken => f.write_str("fetching a token with it"),
        }
    }
}

/// What became of what provisioning had created when it failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cleanup {
    /// Nothing had been created (the key or the registration failed, and
    /// Okta's answer to the registration said so).
    NothingCreated,
    /// The registration's answer was lost (a timeout, a broken connection,
    /// a `5xx`, an unreadable answer): Okta may have created an app all the
    /// same, whose id was never learned. Look for apps labelled with the
    /// spec's name ([`OktaAdmin::list_apps`](crate::OktaAdmin::list_apps))
    /// before running it again.
    Uncertain,
    /// The app was deactivated and deleted, and its keys, grants and roles
    /// with it: nothing is left.
    Undone,
    /// Everything created is left as it was, as the spec asked
    /// ([`keep_on_failure`](super::ServiceAppSpec::keep_on_failure)): see
    /// [`ProvisionError::left_behind`].
    Kept,
    /// Undoing failed too, with this error: what
    /// [`ProvisionError::left_behind`] lists is still there.
    UndoFailed(Error),
}

/// Something provisioning created and did not remove.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Leftover {
    /// The app, active (it can get tokens for the scopes granted so far) or
    /// not.
    App {
        /// Its client id (also its app id).
        client_id: String,
        /// Whether it is still active.
        active: bool,
    },
    /// A scope granted to the app.
    Grant {
        /// The app's client id.
        client_id: String,
        /// The scope.
        scope: String,
    },
    /// A role assigned to the app.
    Role {
        /// The app's client id.
        client_id: String,
        /// The role.
        role: AdminRole,
    },
}

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leftover::App { client_id, active } => {
                let state = if *active { "active" } else { "inactive" };
                write!(f, "the {state} app {client_id}")
            }
            Leftover::Grant { scope, .. } => write!(f, "its grant of {scope}"),
            Leftover::Role { role, .. } => write!(f, "its role {role}"),
        }
    }
}

/// Why [`OktaAdmin::create_service_app`](crate::OktaAdmin::create_service_app)
/// failed: the step, the client id if one was created, the cause (the
/// [`source`](std::error::Error::source)), and what became of what had been
/// created ([`cleanup`](Self::cleanup), [`left_behind`](Self::left_behind)).
/// Nothing is left behind without being listed here. It holds no secret.
#[derive(Debug, Clone)]
pub struct ProvisionError {
    pub(super) name: String,
    pub(super) step: ProvisionStep,
    pub(super) client_id: Option<String>,
    pub(super) cause: Error,
    pub(super) cleanup: Cleanup,
    pub(super) left_behind: Vec<Leftover>,
}

impl ProvisionError {
    /// The step that failed.
    pub fn step(&self) -> &ProvisionStep {
        &self.step
    }

    /// The client id of the app created, if the registration got that far.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// Why the step failed (also the [`source`](std::error::Error::source)).
    pub fn cause(&self) -> &Error {
        &self.cause
    }

    /// What became of what had been created.
    pub fn cleanup(&self) -> &Cleanup {
        &self.cleanup
    }

    /// What is still in the org: the app and what was granted and assigned
    /// to it, when it was [kept](Cleanup::Kept) or the
    /// [undo failed](Cleanup::UndoFailed); empty otherwise.
    pub fn left_behind(&self) -> &[Leftover] {
        &self.left_behind
    }
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "provisioning the service app {:?} failed while {}",
            self.name, self.step
        )?;
        if let Some(id) = &self.client_id {
            write!(f, " (client id {id})")?;
        }
        let left = || {
            self.left_behind
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.cleanup {
            Cleanup::NothingCreated => f.write_str("; nothing was created"),
            Cleanup::Uncertain => write!(
                f,
                "; the registration's answer was lost: okta may have created an app labelled \
                 {:?}, look for it",
                self.name
            ),
            Cleanup::Undone => f.write_str("; the app was deactivated and deleted"),
            Cleanup::Kept => write!(f, "; kept as asked: {}", left()),
            Cleanup::UndoFailed(e) => {
                write!(f, "; undoing failed too ({e}), left behind: {}", left())
            }
        }
    }
}

impl std::error::Error for ProvisionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}
