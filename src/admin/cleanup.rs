//! Provisioning's undo: what a failed [`OktaAdmin::create_service_app`]
//! had made, deactivating and deleting it, and the [`Leftover`]s an error
//! lists when that cannot be done or is not wanted.

use super::client::OktaAdmin;
use super::error::{Cleanup, Leftover};
use super::grants::ScopeGrant;
use super::roles::RoleAssignment;
use crate::error::Error;

/// What the steps after the registration made, for the error.
#[derive(Default)]
pub(super) struct Made {
    pub(super) grants: Vec<ScopeGrant>,
    pub(super) roles: Vec<RoleAssignment>,
}

impl OktaAdmin {
    /// Deactivates and deletes the app: what became of it, and whether it
    /// is still active.
    pub(super) async fn undo(&self, client_id: &str) -> (Cleanup, bool) {
        if let Err(e) = self.deactivate_app(client_id).await {
            return (Cleanup::UndoFailed(e), true);
        }
        if let Err(e) = self.delete_app(client_id).await {
            return (Cleanup::UndoFailed(e), false);
        }
        (Cleanup::Undone, false)
    }
}

/// The app and what was granted and assigned to it.
pub(super) fn leftovers(client_id: &str, active: bool, made: &Made) -> Vec<Leftover> {
    let app = Leftover::App {
        client_id: client_id.to_owned(),
        active,
    };
    let grants = made.grants.iter().map(|g| Leftover::Grant {
        client_id: client_id.to_owned(),
        scope: g.scope_id.clone(),
    });
    let roles = made.roles.iter().map(|r| Leftover::Role {
        client_id: client_id.to_owned(),
        role: r.role.clone(),
    });
    std::iter::once(app).chain(grants).chain(roles).collect()
}

/// Whether a failed request may have been carried out all the same: its
/// answer was lost or unreadable.
pub(super) fn answer_lost(e: &Error) -> bool {
    match e {
        Error::Transport(_) | Error::Timeout => true,
        Error::MalformedResponse { status, .. } => status.is_none_or(|s| s.is_success()),
        _ => e.status().is_some_and(|s| s.is_server_error()),
    }
}
