//! Groups: the [`MockGroup`] builder, the fake org's record of a group, and
//! the group object Okta returns for it.

use serde_json::{Map, Value, json};

use super::super::admin::iso8601;

/// A group to add to the fake org with
/// [`MockOkta::add_group`](crate::testing::MockOkta::add_group); a group
/// name converts into one.
///
/// ```
/// use okta_auth::testing::MockGroup;
///
/// let group = MockGroup::new("Engineering").description("Everyone who ships");
/// # let _ = group;
/// ```
#[derive(Debug, Clone)]
pub struct MockGroup {
    pub(crate) name: String,
    description: Option<String>,
    extra: Map<String, Value>,
}

impl MockGroup {
    /// An `OKTA_GROUP` named `name` (Okta's group names are unique).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            extra: Map::new(),
        }
    }

    /// The profile's `description`. Defaults to none (`null`).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// One more profile member (a custom group attribute), written as
    /// given; `name` excepted. Defaults to none.
    pub fn profile(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }
}

impl From<&str> for MockGroup {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl From<String> for MockGroup {
    fn from(name: String) -> Self {
        Self::new(name)
    }
}

/// Who manages a group's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    /// `BUILT_IN`: the `Everyone` group, whose members are all users.
    BuiltIn,
    /// `OKTA_GROUP`: members added one by one.
    Okta,
}

/// A group of the fake org.
#[derive(Debug, Clone)]
pub(crate) struct GroupRecord {
    pub(crate) id: String,
    pub(crate) kind: GroupKind,
    /// Unix seconds.
    pub(crate) created: u64,
    /// Unix seconds: the last change of members.
    pub(crate) membership_updated: u64,
    pub(crate) profile: Map<String, Value>,
    /// Member user ids (an `OKTA_GROUP`'s; `Everyone` has every user).
    pub(crate) members: Vec<String>,
}

impl GroupRecord {
    pub(crate) fn new(id: String, kind: GroupKind, group: MockGroup, created: u64) -> Self {
        let mut profile = Map::new();
        profile.insert(
            "description".into(),
            group.description.map_or(Value::Null, Value::String),
        );
        profile.extend(group.extra);
        profile.insert("name".into(), group.name.into());
        Self {
            id,
            kind,
            created,
            membership_updated: created,
            profile,
            members: Vec::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.profile
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Whether user `id` is a member.
    pub(crate) fn has_member(&self, id: &str) -> bool {
        self.kind == GroupKind::BuiltIn || self.members.iter().any(|m| m == id)
    }

    /// Okta's group object; `membership_updated` as the directory knows it
    /// (for `Everyone`, the last user added).
    pub(crate) fn json(&self, base: &str, membership_updated: u64) -> Value {
        let href = format!("{base}/api/v1/groups/{}", self.id);
        let logo = |size: &str| {
            json!({
                "name": size,
                "href": format!("{base}/img/logos/groups/okta-{size}.png"),
                "type": "image/png",
            })
        };
        json!({
            "id": self.id,
            "created": iso8601(self.created),
            "lastUpdated": iso8601(self.created),
            "lastMembershipUpdated": iso8601(membership_updated),
            "objectClass": ["okta:user_group"],
            "type": match self.kind {
                GroupKind::BuiltIn => "BUILT_IN",
                GroupKind::Okta => "OKTA_GROUP",
            },
            "profile": self.profile,
            "_links": {
                "logo": [logo("medium"), logo("large")],
                "users": { "href": format!("{href}/users") },
                "apps": { "href": format!("{href}/apps") },
            },
        })
    }
}
