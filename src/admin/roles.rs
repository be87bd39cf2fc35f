//! Admin roles of a client (`/oauth2/v1/clients/{clientId}/roles`): what
//! lets a service app's tokens reach the management API at all (its rights
//! are its granted scopes intersected with its roles).

use std::fmt;

use http::Method;
use serde::{Deserialize, Serialize};

use super::apps::Status;
use super::call::id;
use super::client::OktaAdmin;
use crate::error::Error;

/// An admin role to assign to a client: one of Okta's standard role types
/// (the names of Okta's management API specification), a custom role on a
/// resource set, or a type this version does not name.
///
/// On the wire it is Okta's assignment body: `{"type": "HELP_DESK_ADMIN"}`,
/// or `{"type": "CUSTOM", "role": …, "resource-set": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RoleWire", into = "RoleWire")]
#[non_exhaustive]
pub enum AdminRole {
    /// `SUPER_ADMIN`: everything, including other admins' roles.
    SuperAdmin,
    /// `ORG_ADMIN`: the org's users, groups, apps and settings.
    OrgAdmin,
    /// `APP_ADMIN`: apps.
    AppAdmin,
    /// `USER_ADMIN` (Okta's "Group Administrator"): users and groups.
    UserAdmin,
    /// `HELP_DESK_ADMIN`: password and factor resets.
    HelpDeskAdmin,
    /// `READ_ONLY_ADMIN`: reads everything, changes nothing.
    ReadOnlyAdmin,
    /// `MOBILE_ADMIN`: devices (older orgs).
    MobileAdmin,
    /// `API_ACCESS_MANAGEMENT_ADMIN`: authorization servers.
    ApiAccessManagementAdmin,
    /// `REPORT_ADMIN`: reports and the System Log.
    ReportAdmin,
    /// `GROUP_MEMBERSHIP_ADMIN`: group memberships.
    GroupMembershipAdmin,
    /// `ACCESS_CERTIFICATIONS_ADMIN` (Identity Governance).
    AccessCertificationsAdmin,
    /// `ACCESS_REQUESTS_ADMIN` (Identity Governance).
    AccessRequestsAdmin,
    /// `WORKFLOWS_ADMIN`: Okta Workflows.
    WorkflowsAdmin,
    /// `CUSTOM`: a custom role (`cr0…`, or its label) on a resource set
    /// (`iam…`, or its label).
    Custom {
        /// The custom role's id or label.
        role: String,
        /// The resource set's id or label.
        resource_set: String,
    },
    /// A standard role type this version does not name, sent as it is.
    Other(String),
}

/// The standard role types and their variants.
const STANDARD: [(&str, AdminRole); 13] = [
    ("SUPER_ADMIN", AdminRole::SuperAdmin),
    ("ORG_ADMIN", AdminRole::OrgAdmin),
    ("APP_ADMIN", AdminRole::AppAdmin),
    ("USER_ADMIN", AdminRole::UserAdmin),
    ("HELP_DESK_ADMIN", AdminRole::HelpDeskAdmin),
    ("READ_ONLY_ADMIN", AdminRole::ReadOnlyAdmin),
    ("MOBILE_ADMIN", AdminRole::MobileAdmin),
    (
        "API_ACCESS_MANAGEMENT_ADMIN",
        AdminRole::ApiAccessManagementAdmin,
    ),
    ("REPORT_ADMIN", AdminRole::ReportAdmin),
    ("GROUP_MEMBERSHIP_ADMIN", AdminRole::GroupMembershipAdmin),
    (
        "ACCESS_CERTIFICATIONS_ADMIN",
        AdminRole::AccessCertificationsAdmin,
    ),
    ("ACCESS_REQUESTS_ADMIN", AdminRole::AccessRequestsAdmin),
    ("WORKFLOWS_ADMIN", AdminRole::WorkflowsAdmin),
];

impl AdminRole {
    /// The role for Okta's `type`: a standard one, or [`Other`](Self::Other).
    /// (`CUSTOM` needs its role and resource set: see [`Custom`](Self::Custom).)
    pub fn from_type(role_type: &str) -> Self {
        STANDARD
            .iter()
            .find(|(name, _)| *name == role_type)
            .map_or_else(
                || AdminRole::Other(role_type.to_owned()),
                |(_, r)| r.clone(),
            )
    }

    /// Okta's `type` for it: `SUPER_ADMIN`, …, `CUSTOM`, or the
    /// [`Other`](Self::Other) type.
    pub fn role_type(&self) -> &str {
        match self {
            AdminRole::Custom { .. } => "CUSTOM",
            AdminRole::Other(t) => t,
            standard => STANDARD
                .iter()
                .find(|(_, r)| r == standard)
                .map_or("", |(name, _)| name),
        }
    }

    /// Refuses what Okta could not take: an empty type, role or resource set.
    fn check(&self) -> Result<(), Error> {
        let empty = match self {
            AdminRole::Custom { role, resource_set } => {
                role.trim().is_empty() || resource_set.trim().is_empty()
            }
            AdminRole::Other(t) => t.trim().is_empty() || t == "CUSTOM",
            _ => false,
        };
        if empty {
            return Err(Error::Config(
                "an admin role needs a type (a custom one: a role and a resource set)".into(),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for AdminRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminRole::Custom { role, resource_set } => {
                write!(f, "CUSTOM {role} on {resource_set}")
            }
            other => f.write_str(other.role_type()),
        }
    }
}

/// An admin role as Okta writes it.
#[derive(Serialize, Deserialize)]
struct RoleWire {
    #[serde(rename = "type")]
    role_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(
        rename = "resource-set",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    resource_set: Option<String>,
}

impl TryFrom<RoleWire> for AdminRole {
    type Error = &'static str;

    fn try_from(w: RoleWire) -> Result<Self, Self::Error> {
        if w.role_type != "CUSTOM" {
            return Ok(AdminRole::from_type(&w.role_type));
        }
        match (w.role, w.resource_set) {
            (Some(role), Some(resource_set)) => Ok(AdminRole::Custom { role, resource_set }),
            _ => Err("a CUSTOM role names its role and resource-set"),
        }
    }
}

impl From<AdminRole> for RoleWire {
    fn from(role: AdminRole) -> Self {
        let role_type = role.role_type().to_owned();
        match role {
            AdminRole::Custom { role, resource_set } => RoleWire {
                role_type,
                role: Some(role),
                resource_set: Some(resource_set),
            },
            _ => RoleWire {
                role_type,
                role: None,
                resource_set: None,
            },
        }
    }
}

/// A role assigned to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleAssignment {
    /// Okta's id of the assignment (`irb…`), which unassigning takes.
    pub id: String,
    /// The role.
    #[serde(flatten)]
    pub role: AdminRole,
    /// Okta's label for it ("Super Organization Administrator").
    #[serde(default)]
    pub label: Option<String>,
    /// Whether the assignment is in effect.
    pub status: Status,
    /// `CLIENT` for a client's role.
    #[serde(default)]
    pub assignment_type: Option<String>,
}

impl OktaAdmin {
    /// Assigns `role` to the client (`POST /oauth2/v1/clients/{clientId}/roles`,
    /// scope `okta.roles.manage`; Okta answers `200`). A role already
    /// assigned is `409 E0000090`.
    pub async fn assign_role(
        &self,
        client_id: &str,
        role: &AdminRole,
    ) -> Result<RoleAssignment, Error> {
        role.check()?;
        let path = format!("oauth2/v1/clients/{}/roles", id(client_id, "client id")?);
        self.call_json(Method::POST, &path, Some(role), "a role assignment")
            .await
    }

    /// The client's roles (`GET /oauth2/v1/clients/{clientId}/roles`, scope
    /// `okta.roles.read`).
    pub async fn list_roles(&self, client_id: &str) -> Result<Vec<RoleAssignment>, Error> {
        let path = format!("oauth2/v1/clients/{}/roles", id(client_id, "client id")?);
        self.list(self.url(&path), "a list of role assignments")
            .await
    }

    /// The client's role assignment `assignment_id` (`irb…`).
    pub async fn get_role(
        &self,
        client_id: &str,
        assignment_id: &str,
    ) -> Result<RoleAssignment, Error> {
        let path = role_path(client_id, assignment_id)?;
        self.call_json(Method::GET, &path, None::<&()>, "a role assignment")
            .await
    }

    /// Unassigns the role assignment `assignment_id` from the client (scope
    /// `okta.roles.manage`).
    pub async fn unassign_role(&self, client_id: &str, assignment_id: &str) -> Result<(), Error> {
        let path = role_path(client_id, assignment_id)?;
        self.call_empty(Method::DELETE, &path).await
    }
}

fn role_path(client_id: &str, assignment_id: &str) -> Result<String, Error> {
    Ok(format!(
        "oauth2/v1/clients/{}/roles/{}",
        id(client_id, "client id")?,
        id(assignment_id, "role assignment id")?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roles_are_oktas_assignment_bodies_both_ways() {
        for (name, role) in &STANDARD {
            assert_eq!(role.role_type(), *name);
            assert_eq!(&AdminRole::from_type(name), role);
            assert_eq!(serde_json::to_value(role).unwrap(), json!({ "type": name }));
        }
        let custom = AdminRole::Custom {
            role: "cr0abc".into(),
            resource_set: "iamxyz".into(),
        };
        let body = json!({ "type": "CUSTOM", "role": "cr0abc", "resource-set": "iamxyz" });
        assert_eq!(serde_json::to_value(&custom).unwrap(), body);
        assert_eq!(serde_json::from_value::<AdminRole>(body).unwrap(), custom);
        assert_eq!(
            AdminRole::from_type("NEW_ADMIN"),
            AdminRole::Other("NEW_ADMIN".into())
        );
        assert!(serde_json::from_value::<AdminRole>(json!({ "type": "CUSTOM" })).is_err());
        assert!(AdminRole::Other(String::new()).check().is_err());
        assert!(AdminRole::SuperAdmin.check().is_ok());
    }

    #[test]
    fn an_assignment_reads_as_okta_answers_it() {
        let answer = json!({
            "id": "irb1", "label": "Custom", "type": "CUSTOM", "status": "ACTIVE",
            "assignmentType": "CLIENT", "role": "cr0a", "resource-set": "iamb",
            "created": "2024-01-01T00:00:00.000Z", "_links": {}
        });
        let a: RoleAssignment = serde_json::from_value(answer).unwrap();
        assert_eq!(a.id, "irb1");
        assert_eq!(a.status, Status::Active);
        assert_eq!(a.assignment_type.as_deref(), Some("CLIENT"));
        assert_eq!(
            a.role,
            AdminRole::Custom {
                role: "cr0a".into(),
                resource_set: "iamb".into()
            }
        );
    }
}
