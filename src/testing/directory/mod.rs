//! The fake org's directory: its users and groups, what a test adds to
//! them, and the routes that read them (`/api/v1/users…`,
//! `/api/v1/groups…`). The fixtures and the answers are documented in
//! [`fixtures`](super::fixtures).

mod groups;
mod pagination;
mod routes;
mod users;

pub use groups::MockGroup;
pub(crate) use routes::serve;
pub use routes::{
    GROUP_MEMBERS_PAGE_LIMIT, GROUPS_PAGE_LIMIT, GROUPS_QUERY_LIMIT, USERS_PAGE_LIMIT,
    USERS_QUERY_LIMIT,
};
pub use users::{
    DEFAULT_FIRST_NAME, DEFAULT_LAST_NAME, DEFAULT_USER_STATUS, DEFAULT_USER_TYPE_ID, MockUser,
    UserStatus,
};

use groups::{GroupKind, GroupRecord};
use users::UserRecord;

use super::MockOkta;
use super::admin::okta_id;
use crate::error::Error;

/// The id of the built-in admin user: the super admin every API token of the
/// fake org belongs to, and the answer to `GET /api/v1/users/me`.
pub const ADMIN_USER_ID: &str = "00u1mockadmin";

/// The login (and email) of the built-in admin user, Ada Admin.
pub const ADMIN_USER_LOGIN: &str = "admin@example.com";

/// The id of the built-in end user, Ulla User.
pub const END_USER_ID: &str = "00u2mockuser";

/// The login (and email) of the built-in end user.
pub const END_USER_LOGIN: &str = "user@example.com";

/// The id of the built-in `Everyone` group, whose members are all users.
pub const EVERYONE_GROUP_ID: &str = "00g1mockeveryone";

/// When the built-in users and group were created: 2024-01-01T00:00:00Z.
const FIXTURES_CREATED: u64 = 1_704_067_200;

/// When the built-in admin last signed in: 2024-06-01T12:00:00Z.
const ADMIN_LAST_LOGIN: u64 = 1_717_243_200;

/// The users and groups of the fake org, in the order they were added.
pub(crate) struct Directory {
    users: Vec<UserRecord>,
    groups: Vec<GroupRecord>,
}

impl Default for Directory {
    /// The built-in fixtures: two users and the `Everyone` group.
    fn default() -> Self {
        let mut admin = UserRecord::new(
            ADMIN_USER_ID.to_owned(),
            MockUser::new(ADMIN_USER_LOGIN)
                .first_name("Ada")
                .last_name("Admin"),
            FIXTURES_CREATED,
        );
        admin.last_login = Some(ADMIN_LAST_LOGIN);
        let user = UserRecord::new(
            END_USER_ID.to_owned(),
            MockUser::new(END_USER_LOGIN)
                .first_name("Ulla")
                .last_name("User"),
            FIXTURES_CREATED,
        );
        let everyone = GroupRecord::new(
            EVERYONE_GROUP_ID.to_owned(),
            GroupKind::BuiltIn,
            MockGroup::new("Everyone").description("All users in your organization"),
            FIXTURES_CREATED,
        );
        Self {
            users: vec![admin, user],
            groups: vec![everyone],
        }
    }
}

impl Directory {
    /// The user with this id, or else this login (case-insensitive), or else
    /// this login's part before the `@` when one user only has it (Okta's
    /// "login shortname").
    fn find_user(&self, key: &str) -> Option<&UserRecord> {
        if let Some(user) = self.users.iter().find(|u| u.id == key) {
            return Some(user);
        }
        if let Some(user) = self
            .users
            .iter()
            .find(|u| u.login().eq_ignore_ascii_case(key))
        {
            return Some(user);
        }
        let mut short = self.users.iter().filter(|u| {
            u.login()
                .split_once('@')
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case(key))
        });
        match (short.next(), short.next()) {
            (Some(user), None) => Some(user),
            _ => None,
        }
    }

    fn group(&self, id: &str) -> Option<&GroupRecord> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// Members of `group` in directory order.
    fn members<'a>(&'a self, group: &GroupRecord) -> Vec<&'a UserRecord> {
        self.users
            .iter()
            .filter(|u| group.has_member(&u.id))
            .collect()
    }

    /// When `group`'s members last changed: for `Everyone`, when the last
    /// user was added.
    fn membership_updated(&self, group: &GroupRecord) -> u64 {
        match group.kind {
            GroupKind::BuiltIn => self
                .users
                .iter()
                .map(|u| u.created)
                .fold(group.membership_updated, u64::max),
            GroupKind::Okta => group.membership_updated,
        }
    }
}

impl MockOkta {
    /// Adds a user to the fake org (created now, on the fake org's clock)
    /// and returns its id (`00u…`). It is listed after the users already
    /// there and is a member of `Everyone`.
    ///
    /// Fails with [`Error::Config`] when the login is empty or another user
    /// has it (compared without case), as Okta refuses a duplicate login.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), okta_auth::Error> {
    /// use okta_auth::testing::{MockOkta, MockUser};
    ///
    /// let okta = MockOkta::start().await;
    /// let grace = okta.add_user(MockUser::new("grace@example.com").first_name("Grace"))?;
    /// let team = okta.add_group("Engineering")?;
    /// okta.add_to_group(&team, &grace)?;
    /// # Ok(()) }
    /// ```
    pub fn add_user(&self, user: MockUser) -> Result<String, Error> {
        let now = self.shared.now();
        let mut state = self.shared.lock();
        let directory = &mut state.directory;
        if user.login.is_empty() {
            return Err(Error::Config("a user needs a login".into()));
        }
        if directory
            .users
            .iter()
            .any(|u| u.login().eq_ignore_ascii_case(&user.login))
        {
            return Err(Error::Config(format!(
                "a user with login {:?} already exists",
                user.login
            )));
        }
        let id = okta_id("00u");
        directory.users.push(UserRecord::new(id.clone(), user, now));
        Ok(id)
    }

    /// Adds an `OKTA_GROUP` (created now, without members) and returns its
    /// id (`00g…`); a name converts into a [`MockGroup`].
    ///
    /// Fails with [`Error::Config`] when the name is empty or another group
    /// has it, as Okta refuses a duplicate group name.
    pub fn add_group(&self, group: impl Into<MockGroup>) -> Result<String, Error> {
        let group = group.into();
        let now = self.shared.now();
        let mut state = self.shared.lock();
        let directory = &mut state.directory;
        if group.name.is_empty() {
            return Err(Error::Config("a group needs a name".into()));
        }
        if directory.groups.iter().any(|g| g.name() == group.name) {
            return Err(Error::Config(format!(
                "a group named {:?} already exists",
                group.name
            )));
        }
        let id = okta_id("00g");
        directory
            .groups
            .push(GroupRecord::new(id.clone(), GroupKind::Okta, group, now));
        Ok(id)
    }

    /// Makes user `user_id` a member of group `group_id` (again: no
    /// change, as Okta's `PUT` is idempotent).
    ///
    /// Fails with [`Error::Config`] for an unknown user or group, and for
    /// `Everyone`, whose members Okta manages (all users).
    pub fn add_to_group(&self, group_id: &str, user_id: &str) -> Result<(), Error> {
        let now = self.shared.now();
        let mut state = self.shared.lock();
        let directory = &mut state.directory;
        if !directory.users.iter().any(|u| u.id == user_id) {
            return Err(Error::Config(format!("no user has id {user_id:?}")));
        }
        let group = directory
            .groups
            .iter_mut()
            .find(|g| g.id == group_id)
            .ok_or_else(|| Error::Config(format!("no group has id {group_id:?}")))?;
        if group.kind == GroupKind::BuiltIn {
            return Err(Error::Config(format!(
                "the members of built-in group {:?} cannot be changed",
                group.name()
            )));
        }
        if !group.has_member(user_id) {
            group.members.push(user_id.to_owned());
            group.membership_updated = now;
        }
        Ok(())
    }
}
