//! Okta's authorization on the management API: an API token carries its
//! super admin's rights; an access token's rights are its scopes
//! intersected with its client's admin roles.

use super::super::api::Grant;
use super::super::reply::Reply;
use super::super::state::{Shared, State};

/// Okta's `403 E0000006`.
pub(crate) fn forbidden() -> Reply {
    Reply::okta(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    )
}

/// Whether `grant` may call a route that needs one of `needed` (an empty
/// `needed`: API tokens only). An access token without one of the scopes
/// gets `403 E0000006` with Okta's `insufficient_scope` challenge, naming
/// the first of `needed` in its `scope`; one whose client has no admin
/// role gets `403 E0000006` alone.
pub(crate) fn permit(
    shared: &Shared,
    state: &State,
    grant: &Grant,
    needed: &[&str],
    path: &str,
) -> Result<(), Reply> {
    let Grant::Token { client_id, scopes } = grant else {
        return Ok(());
    };
    let Some(first) = needed.first() else {
        return Err(forbidden());
    };
    if !needed.iter().any(|n| scopes.iter().any(|s| s == n)) {
        // Okta's challenge names one scope, the least that would do
        // (`okta.users.read` on `/api/v1/users`, which `okta.users.manage`
        // also opens): the route's first.
        let base = &shared.base;
        return Err(forbidden().header(
            "www-authenticate",
            &format!(
                "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", \
                 scope=\"{first}\", error=\"insufficient_scope\", \
                 error_description=\"The access token provided does not contain the required \
                 scopes.\", resource=\"{path}\""
            ),
        ));
    }
    let has_role = state
        .apps
        .get(client_id)
        .is_some_and(|app| !app.admin.roles.is_empty());
    if !has_role {
        return Err(forbidden());
    }
    Ok(())
}

/// Whether the app `client_id` still exists and is active: the tokens of a
/// deactivated or deleted app are refused.
pub(crate) fn client_is_active(state: &State, client_id: &str) -> bool {
    state
        .apps
        .get(client_id)
        .is_some_and(|app| app.admin.active)
}
