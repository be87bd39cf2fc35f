//! What a test can ask [`MockOkta`] about its apps, and faults per
//! management route.

use super::super::MockOkta;
use super::super::app::ServiceApp;
use super::super::reply::Fault;
use super::AdminRoute;
use crate::jose::Jwk;

/// Whether an app or a key is in use (`ACTIVE`) or not (`INACTIVE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `ACTIVE`.
    Active,
    /// `INACTIVE`.
    Inactive,
}

impl Status {
    fn of(active: bool) -> Self {
        if active {
            Status::Active
        } else {
            Status::Inactive
        }
    }
}

/// An app of the fake org as it is now, from [`MockOkta::app`]: registered
/// through the API or with [`MockOkta::register_service_app`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppInfo {
    /// The client id, which is also the app id (`0oa…` for registered
    /// clients).
    pub client_id: String,
    /// Its label (a registered client's `client_name`).
    pub label: String,
    /// Whether the app is active.
    pub status: Status,
    /// `settings.oauthClient.dpop_bound_access_tokens`: whether its token
    /// requests need a DPoP proof.
    pub dpop_bound_access_tokens: bool,
    /// Its keys, oldest first.
    pub keys: Vec<AppKey>,
    /// Its scope grants on the org authorization server, oldest first.
    pub grants: Vec<AppGrant>,
    /// Its admin roles, oldest first.
    pub roles: Vec<AppRole>,
    /// Every scope it may request, on any authorization server.
    pub scopes: Vec<String>,
}

/// A key of an [`AppInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppKey {
    /// Okta's id of the key (`pks…`), used in the JWKS API's paths.
    pub id: String,
    /// Its `kid`.
    pub kid: Option<String>,
    /// Whether assertions signed with it are accepted.
    pub status: Status,
    /// The public key.
    pub jwk: Jwk,
}

/// A scope grant of an [`AppInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppGrant {
    /// Okta's id of the grant (`oag…`).
    pub id: String,
    /// The scope granted (`okta.users.read`).
    pub scope_id: String,
    /// The authorization server it is granted on: the org.
    pub issuer: String,
}

/// An admin role of an [`AppInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppRole {
    /// Okta's id of the assignment (`irb…`).
    pub id: String,
    /// The role type: one of [`STANDARD_ROLES`](super::STANDARD_ROLES), or
    /// `CUSTOM`.
    pub role_type: String,
    /// A custom role's id.
    pub role: Option<String>,
    /// A custom role's resource set.
    pub resource_set: Option<String>,
}

impl AppInfo {
    fn of(app: &ServiceApp) -> Self {
        let record = &app.admin;
        Self {
            client_id: app.client_id.clone(),
            label: record.label.clone(),
            status: Status::of(record.active),
            dpop_bound_access_tokens: app.require_dpop,
            keys: app
                .keys
                .iter()
                .map(|k| AppKey {
                    id: k.id.clone(),
                    kid: k.jwk.kid().map(str::to_owned),
                    status: Status::of(k.active),
                    jwk: k.jwk.clone(),
                })
                .collect(),
            grants: record
                .grants
                .iter()
                .map(|g| AppGrant {
                    id: g.id.clone(),
                    scope_id: g.scope_id.clone(),
                    issuer: g.issuer.clone(),
                })
                .collect(),
            roles: record
                .roles
                .iter()
                .map(|r| AppRole {
                    id: r.id.clone(),
                    role_type: r.role_type.clone(),
                    role: r.custom.as_ref().map(|(role, _)| role.clone()),
                    resource_set: r.custom.as_ref().map(|(_, set)| set.clone()),
                })
                .collect(),
            scopes: app.scopes.clone(),
        }
    }
}

impl MockOkta {
    /// The client ids of every app of the fake org, sorted: those
    /// registered through `POST /oauth2/v1/clients` and with
    /// [`register_service_app`](Self::register_service_app), until deleted.
    pub fn apps(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.shared.lock().apps.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The app `client_id` as it is now (keys, grants, roles, DPoP
    /// setting, status), or `None` if the org has no such app.
    pub fn app(&self, client_id: &str) -> Option<AppInfo> {
        self.shared.lock().apps.get(client_id).map(AppInfo::of)
    }

    /// Whether `token` is a registered API token not revoked (through
    /// [`revoke`](Self::revoke) or the API).
    pub fn api_token_is_active(&self, token: &str) -> bool {
        self.shared.lock().api_tokens.contains(token)
    }

    /// Answers the next `n` requests to `route` with `fault`, after those
    /// already queued for it: to fail one step of a flow ("the grants
    /// step"). These faults go before those of
    /// [`fail_next_api_requests`](Self::fail_next_api_requests), which the
    /// management routes take too. A faulted request is counted and logged
    /// but not processed (except [`Fault::Delay`]).
    pub fn fail_next_admin_requests(&self, route: AdminRoute, n: usize, fault: Fault) {
        self.shared.lock().admin.queue_faults(route, n, fault);
    }
}
