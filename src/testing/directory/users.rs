//! Users: the [`MockUser`] builder, the fake org's record of a user, and the
//! user object Okta returns for it.

use std::fmt;

use serde_json::{Map, Value, json};

use super::super::admin::iso8601;

/// The `firstName` of a [`MockUser`] unless set: `Test`.
pub const DEFAULT_FIRST_NAME: &str = "Test";

/// The `lastName` of a [`MockUser`] unless set: `User`.
pub const DEFAULT_LAST_NAME: &str = "User";

/// The status of a [`MockUser`] unless set: [`UserStatus::Active`].
pub const DEFAULT_USER_STATUS: UserStatus = UserStatus::Active;

/// The `type.id` of every user: the org's default user type.
pub const DEFAULT_USER_TYPE_ID: &str = "oty1mockdefaulttype0";

/// A user's status, as Okta's `status` member writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserStatus {
    /// `ACTIVE`.
    Active,
    /// `STAGED`: created, never activated.
    Staged,
    /// `PROVISIONED`: activated, without credentials yet.
    Provisioned,
    /// `RECOVERY`.
    Recovery,
    /// `PASSWORD_EXPIRED`.
    PasswordExpired,
    /// `LOCKED_OUT`.
    LockedOut,
    /// `SUSPENDED`.
    Suspended,
    /// `DEPROVISIONED`: deactivated; `GET /api/v1/users` leaves it out, as
    /// Okta's does without `search` or `filter`.
    Deprovisioned,
}

impl UserStatus {
    /// The status as Okta writes it (`ACTIVE`, `STAGED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Staged => "STAGED",
            Self::Provisioned => "PROVISIONED",
            Self::Recovery => "RECOVERY",
            Self::PasswordExpired => "PASSWORD_EXPIRED",
            Self::LockedOut => "LOCKED_OUT",
            Self::Suspended => "SUSPENDED",
            Self::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Whether a user in this status was activated once (`activated` set).
    fn was_activated(self) -> bool {
        !matches!(self, Self::Staged | Self::Provisioned)
    }

    /// The lifecycle links Okta offers a user in this status: `activate`
    /// for `STAGED` and `DEPROVISIONED` users only, `reactivate` for
    /// `PROVISIONED` and `RECOVERY` ones, `suspend` for `ACTIVE` ones only
    /// (Okta's User Lifecycle API).
    fn lifecycle(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Staged => &[
                ("activate", "lifecycle/activate"),
                ("deactivate", "lifecycle/deactivate"),
            ],
            Self::Provisioned => &[
                ("reactivate", "lifecycle/reactivate"),
                ("deactivate", "lifecycle/deactivate"),
            ],
            Self::Deprovisioned => &[("activate", "lifecycle/activate")],
            Self::Suspended => &[
                ("unsuspend", "lifecycle/unsuspend"),
                ("deactivate", "lifecycle/deactivate"),
            ],
            Self::LockedOut => &[
                ("unlock", "lifecycle/unlock"),
                ("deactivate", "lifecycle/deactivate"),
            ],
            // One list, so the three differ only where Okta's do: a user
            // in recovery is reactivated, an active one can be suspended.
            Self::Recovery => &SIGNED_UP[..SIGNED_UP.len() - 1],
            Self::Active => &SIGNED_UP[1..],
            Self::PasswordExpired => &SIGNED_UP[1..SIGNED_UP.len() - 1],
        }
    }
}

/// The links of a user who has signed up (`RECOVERY`, `ACTIVE`,
/// `PASSWORD_EXPIRED`), ordered so that each status takes a window of it:
/// `reactivate` (recovery only), the links all three share, then `suspend`
/// (active only).
const SIGNED_UP: &[(&str, &str)] = &[
    ("reactivate", "lifecycle/reactivate"),
    ("deactivate", "lifecycle/deactivate"),
    ("resetPassword", "lifecycle/reset_password"),
    ("resetFactors", "lifecycle/reset_factors"),
    ("expirePassword", "lifecycle/expire_password"),
    ("forgotPassword", "credentials/forgot_password"),
    (
        "changeRecoveryQuestion",
        "credentials/change_recovery_question",
    ),
    ("changePassword", "credentials/change_password"),
    ("suspend", "lifecycle/suspend"),
];

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user to add to the fake org with
/// [`MockOkta::add_user`](crate::testing::MockOkta::add_user).
///
/// ```
/// use okta_auth::testing::{MockUser, UserStatus};
///
/// let user = MockUser::new("grace@example.com")
///     .first_name("Grace")
///     .last_name("Hopper")
///     .status(UserStatus::Staged)
///     .profile("department", "Engineering");
/// # let _ = user;
/// ```
#[derive(Debug, Clone)]
pub struct MockUser {
    pub(crate) login: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    pub(crate) status: UserStatus,
    extra: Map<String, Value>,
}

impl MockUser {
    /// A user signing in as `login` (Okta's logins look like email
    /// addresses; the fake org takes any non-empty login).
    pub fn new(login: impl Into<String>) -> Self {
        Self {
            login: login.into(),
            first_name: DEFAULT_FIRST_NAME.to_owned(),
            last_name: DEFAULT_LAST_NAME.to_owned(),
            email: None,
            status: DEFAULT_USER_STATUS,
            extra: Map::new(),
        }
    }

    /// The profile's `firstName`. Defaults to [`DEFAULT_FIRST_NAME`].
    pub fn first_name(mut self, first_name: impl Into<String>) -> Self {
        self.first_name = first_name.into();
        self
    }

    /// The profile's `lastName`. Defaults to [`DEFAULT_LAST_NAME`].
    pub fn last_name(mut self, last_name: impl Into<String>) -> Self {
        self.last_name = last_name.into();
        self
    }

    /// The profile's `email`. Defaults to the login.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The user's status. Defaults to [`DEFAULT_USER_STATUS`].
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = status;
        self
    }

    /// One more profile member (`department`, `mobilePhone`, a custom
    /// attribute…), written as given; it replaces a standard member of the
    /// same name, `login` excepted. Defaults to none beyond Okta's base
    /// profile.
    pub fn profile(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

/// A user of the fake org.
#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub(crate) id: String,
    pub(crate) status: UserStatus,
    /// Unix seconds.
    pub(crate) created: u64,
    pub(crate) last_login: Option<u64>,
    pub(crate) profile: Map<String, Value>,
}

impl UserRecord {
    pub(crate) fn new(id: String, user: MockUser, created: u64) -> Self {
        let mut profile = Map::new();
        profile.insert("firstName".into(), user.first_name.into());
        profile.insert("lastName".into(), user.last_name.into());
        profile.insert("mobilePhone".into(), Value::Null);
        profile.insert("secondEmail".into(), Value::Null);
        let email = user.email.unwrap_or_else(|| user.login.clone());
        profile.insert("email".into(), email.into());
        profile.extend(user.extra);
        profile.insert("login".into(), user.login.into());
        Self {
            id,
            status: user.status,
            created,
            last_login: None,
            profile,
        }
    }

    pub(crate) fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// A profile member as text (`""` when absent or not a string).
    pub(crate) fn text(&self, member: &str) -> &str {
        self.profile
            .get(member)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Okta's user object. `all_links`: the links of a single user (its
    /// lifecycle and credential operations); a list carries `self` only.
    pub(crate) fn json(&self, base: &str, all_links: bool) -> Value {
        let time = |t: u64| Value::String(iso8601(t));
        let activated = self.status.was_activated();
        let when = |set: bool| if set { time(self.created) } else { Value::Null };
        let href = format!("{base}/api/v1/users/{}", self.id);
        let mut links = Map::new();
        links.insert("self".into(), json!({ "href": href }));
        if all_links {
            for (name, tail) in self.status.lifecycle() {
                links.insert(
                    (*name).into(),
                    json!({ "href": format!("{href}/{tail}"), "method": "POST" }),
                );
            }
            links.insert(
                "schema".into(),
                json!({ "href": format!("{base}/api/v1/meta/schemas/user/osc1mockdefault") }),
            );
            links.insert(
                "type".into(),
                json!({ "href": format!("{base}/api/v1/meta/types/user/{DEFAULT_USER_TYPE_ID}") }),
            );
        }
        let mut credentials = Map::new();
        if activated {
            credentials.insert("password".into(), json!({}));
        }
        credentials.insert("provider".into(), json!({ "type": "OKTA", "name": "OKTA" }));
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "created": time(self.created),
            "activated": when(activated),
            "statusChanged": when(self.status != UserStatus::Staged),
            "lastLogin": self.last_login.map_or(Value::Null, time),
            "lastUpdated": time(self.created),
            "passwordChanged": when(activated),
            "type": { "id": DEFAULT_USER_TYPE_ID },
            "profile": self.profile,
            "credentials": credentials,
            "_links": links,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_user_has_no_activation_or_password_yet() {
        let user = MockUser::new("s@example.com").status(UserStatus::Staged);
        let json = UserRecord::new("00uS".into(), user, 0).json("http://o", true);
        assert_eq!(json["status"], "STAGED");
        for member in ["activated", "statusChanged", "passwordChanged", "lastLogin"] {
            assert!(json[member].is_null(), "{member}");
        }
        assert!(json["credentials"].get("password").is_none());
        assert_eq!(json["credentials"]["provider"]["type"], "OKTA");
        assert!(json["_links"]["activate"]["href"].is_string());
        assert!(json["_links"].get("suspend").is_none());
    }

    #[test]
    fn only_an_active_user_can_be_suspended() {
        for status in [
            UserStatus::Active,
            UserStatus::Recovery,
            UserStatus::PasswordExpired,
            UserStatus::Staged,
            UserStatus::Provisioned,
            UserStatus::Suspended,
            UserStatus::LockedOut,
            UserStatus::Deprovisioned,
        ] {
            let offered = status.lifecycle().iter().any(|(rel, _)| *rel == "suspend");
            assert_eq!(offered, status == UserStatus::Active, "{status}");
        }
    }

    #[test]
    fn signed_up_users_share_their_links_but_for_reactivate_and_suspend() {
        let rels = |status: UserStatus| -> Vec<&str> {
            status.lifecycle().iter().map(|(rel, _)| *rel).collect()
        };
        let shared = rels(UserStatus::PasswordExpired);
        assert_eq!(shared.len(), 7);
        assert!(shared.contains(&"resetPassword") && shared.contains(&"deactivate"));
        assert_eq!(
            rels(UserStatus::Recovery),
            [&["reactivate"][..], &shared].concat()
        );
        assert_eq!(
            rels(UserStatus::Active),
            [&shared[..], &["suspend"]].concat()
        );
    }

    #[test]
    fn the_login_cannot_be_replaced_by_a_profile_member() {
        let user = MockUser::new("a@example.com")
            .profile("login", "b@example.com")
            .profile("firstName", "Ann");
        let record = UserRecord::new("00uA".into(), user, 0);
        assert_eq!(record.login(), "a@example.com");
        assert_eq!(record.text("firstName"), "Ann");
        assert_eq!(record.text("email"), "a@example.com");
        let list = record.json("http://o", false);
        assert_eq!(list["_links"].as_object().map(Map::len), Some(1));
    }
}
