//! Client role assignments (`/oauth2/v1/clients/{clientId}/roles`): the
//! admin roles that let a service app's tokens reach the management API.

use serde_json::{Value, json};

use super::super::app::ServiceApp;
use super::super::reply::Reply;
use super::super::state::State;
use super::{Call, invalid, iso8601, malformed, not_found, okta_id, with_causes};

/// The standard admin role types Okta assigns to clients, with their
/// labels (Okta's management API specification).
pub const STANDARD_ROLES: &[(&str, &str)] = &[
    (
        "ACCESS_CERTIFICATIONS_ADMIN",
        "Access Certifications Administrator",
    ),
    ("ACCESS_REQUESTS_ADMIN", "Access Requests Administrator"),
    (
        "API_ACCESS_MANAGEMENT_ADMIN",
        "API Access Management Administrator",
    ),
    ("APP_ADMIN", "Application Administrator"),
    ("GROUP_MEMBERSHIP_ADMIN", "Group Membership Administrator"),
    ("HELP_DESK_ADMIN", "Help Desk Administrator"),
    ("ORG_ADMIN", "Organizational Administrator"),
    ("READ_ONLY_ADMIN", "Read Only Administrator"),
    ("REPORT_ADMIN", "Report Administrator"),
    ("SUPER_ADMIN", "Super Organization administrator"),
    ("USER_ADMIN", "Group Administrator"),
    ("WORKFLOWS_ADMIN", "Workflows Administrator"),
];

/// The admin role an app registered with
/// [`MockOkta::register_service_app`](super::super::MockOkta::register_service_app)
/// holds unless [`ServiceApp::without_admin_role`] says otherwise:
/// `SUPER_ADMIN`.
pub const DEFAULT_ADMIN_ROLE: &str = "SUPER_ADMIN";

/// One role assigned to a client.
#[derive(Debug, Clone)]
pub(crate) struct RoleAssignment {
    /// Okta's id of the assignment (`irb…`).
    pub(crate) id: String,
    /// A standard role type, or `CUSTOM`.
    pub(crate) role_type: String,
    /// A custom role's id and resource set.
    pub(crate) custom: Option<(String, String)>,
    pub(crate) created: u64,
}

impl RoleAssignment {
    pub(crate) fn standard(role_type: &str, now: u64) -> Self {
        Self {
            id: okta_id("irb"),
            role_type: role_type.to_owned(),
            custom: None,
            created: now,
        }
    }

    fn json(&self, base: &str, client_id: &str) -> Value {
        let label = match &self.custom {
            Some((role, _)) => role.as_str(),
            None => STANDARD_ROLES
                .iter()
                .find(|(t, _)| *t == self.role_type)
                .map_or(self.role_type.as_str(), |(_, label)| label),
        };
        let mut value = json!({
            "id": self.id,
            "label": label,
            "type": self.role_type,
            "status": "ACTIVE",
            "created": iso8601(self.created),
            "lastUpdated": iso8601(self.created),
            "assignmentType": "CLIENT",
            "_links": { "assignee": { "href": format!("{base}/oauth2/v1/clients/{client_id}") } },
        });
        if let (Some((role, resource_set)), Value::Object(map)) = (&self.custom, &mut value) {
            map.insert("role".into(), json!(role));
            map.insert("resource-set".into(), json!(resource_set));
        }
        value
    }
}

fn client<'s>(state: &'s mut State, id: &str) -> Result<&'s mut ServiceApp, Reply> {
    state
        .apps
        .get_mut(id)
        .ok_or_else(|| not_found(id, "Client"))
}

pub(crate) fn list(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match client(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let roles: Vec<Value> = app
        .admin
        .roles
        .iter()
        .map(|r| r.json(call.base, &app.client_id))
        .collect();
    Reply::json(200, &Value::Array(roles))
}

/// `POST`: `{"type": STANDARD}` or `{"type": "CUSTOM", "role", "resource-set"}`
/// → **200** with the assignment; the same role twice is Okta's `409
/// E0000090`.
pub(crate) fn assign(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match client(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(body @ Value::Object(_)) = call.body else {
        return malformed();
    };
    let text = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let role_type = match text("type") {
        None => return invalid("type", "type: The field cannot be left blank."),
        Some("CUSTOM") => "CUSTOM",
        Some(t) => match STANDARD_ROLES.iter().find(|(s, _)| *s == t) {
            Some((standard, _)) => standard,
            None => return invalid("type", "type: The role type is not a standard role type."),
        },
    };
    let custom = if role_type == "CUSTOM" {
        match (text("role"), text("resource-set")) {
            (Some(role), Some(set)) => Some((role.to_owned(), set.to_owned())),
            (None, _) => return invalid("role", "role: A custom role assignment names its role."),
            (_, None) => {
                return invalid(
                    "resource-set",
                    "resource-set: A custom role assignment names its resource set.",
                );
            }
        }
    } else {
        None
    };
    let duplicate = app
        .admin
        .roles
        .iter()
        .any(|r| r.role_type == role_type && r.custom == custom);
    if duplicate {
        return with_causes(
            409,
            "E0000090",
            "Duplicate role assignment exception.",
            "The role is already assigned to the client.",
        );
    }
    let assignment = RoleAssignment {
        custom,
        ..RoleAssignment::standard(role_type, call.now)
    };
    let answer = assignment.json(call.base, &app.client_id);
    app.admin.roles.push(assignment);
    Reply::json(200, &answer)
}

pub(crate) fn get(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match client(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    match app.admin.roles.iter().find(|r| r.id == call.target.item) {
        Some(role) => Reply::json(200, &role.json(call.base, &app.client_id)),
        None => not_found(&call.target.item, "RoleAssignment"),
    }
}

pub(crate) fn unassign(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match client(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let before = app.admin.roles.len();
    app.admin.roles.retain(|r| r.id != call.target.item);
    if app.admin.roles.len() == before {
        return not_found(&call.target.item, "RoleAssignment");
    }
    Reply::empty(204)
}
