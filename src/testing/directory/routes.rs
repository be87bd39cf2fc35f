//! The directory's routes: which path names which, the scopes each needs,
//! and their answers.

use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::Value;
use wiremock::Request;

use super::super::admin::authz;
use super::super::admin::{invalid, not_found};
use super::super::api::Grant;
use super::super::reply::Reply;
use super::super::state::{Shared, State};
use super::groups::GroupRecord;
use super::pagination::{Limits, ListQuery, links, page};
use super::users::{UserRecord, UserStatus};
use super::{ADMIN_USER_ID, Directory};

/// The page size of `GET /api/v1/users`, by default and at most: 200, as
/// Okta's.
pub const USERS_PAGE_LIMIT: usize = 200;

/// The default `limit` of `GET /api/v1/users?q=…` (which Okta does not
/// page): 10.
pub const USERS_QUERY_LIMIT: usize = 10;

/// The page size of `GET /api/v1/groups`, by default and at most: 10 000,
/// as Okta's.
pub const GROUPS_PAGE_LIMIT: usize = 10_000;

/// The default `limit` of `GET /api/v1/groups?q=…` (which Okta does not
/// page): 300.
pub const GROUPS_QUERY_LIMIT: usize = 300;

/// The page size of `GET /api/v1/groups/{id}/users`, by default and at
/// most: 1 000, Okta's default.
pub const GROUP_MEMBERS_PAGE_LIMIT: usize = 1_000;

const USERS_READ: &[&str] = &["okta.users.read", "okta.users.manage"];
const SELF_READ: &[&str] = &[
    "okta.users.read.self",
    "okta.users.read",
    "okta.users.manage",
];
const GROUPS_READ: &[&str] = &["okta.groups.read", "okta.groups.manage"];

/// A directory route and the id or login it names (percent-decoded).
enum Route {
    ListUsers,
    Me,
    GetUser(String),
    ListGroups,
    GetGroup(String),
    GroupMembers(String),
}

/// The route `method path` names and the scopes (one of) it needs; Okta's
/// 404 for a path that names none, 405 (`E0000022`) for a method other
/// than `GET`.
fn parse(method: &Method, path: &str) -> Result<(Route, &'static [&'static str]), Reply> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let found = match segments.as_slice() {
        ["api", "v1", "users"] => (Route::ListUsers, USERS_READ),
        ["api", "v1", "users", "me"] => (Route::Me, SELF_READ),
        ["api", "v1", "users", id] if !id.is_empty() => (Route::GetUser(decode(id)), USERS_READ),
        ["api", "v1", "groups"] => (Route::ListGroups, GROUPS_READ),
        ["api", "v1", "groups", id] if !id.is_empty() => (Route::GetGroup(decode(id)), GROUPS_READ),
        ["api", "v1", "groups", id, "users"] if !id.is_empty() => {
            (Route::GroupMembers(decode(id)), GROUPS_READ)
        }
        _ => {
            return Err(Reply::okta(
                404,
                "E0000007",
                &format!("Not found: Resource not found: {path} (Resource)"),
            ));
        }
    };
    if method != Method::GET {
        return Err(Reply::okta(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
        .header("allow", "GET"));
    }
    Ok(found)
}

/// Answers an authenticated request to the directory (or any other path
/// of `/api/v1/` but the management routes: Okta's 404).
pub(crate) fn serve(shared: &Shared, state: &mut State, request: &Request, grant: &Grant) -> Reply {
    let path = request.url.path();
    let (route, needed) = match parse(&request.method, path) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    if let Err(reply) = authz::permit(shared, state, grant, needed, path) {
        return reply;
    }
    let list = Listing {
        directory: &state.directory,
        base: &shared.base,
        path,
        query: ListQuery::new(&request.url),
    };
    let answer = match route {
        Route::ListUsers => list.users(),
        // An API token's user; a service app has none and gets the same
        // super admin (see the fixtures' decisions).
        Route::Me => list.one_user(ADMIN_USER_ID),
        Route::GetUser(key) => list.one_user(&key),
        Route::ListGroups => list.groups(),
        Route::GetGroup(id) => list.group(&id).map(|group| {
            let updated = list.directory.membership_updated(group);
            Reply::json(200, &group.json(list.base, updated))
        }),
        Route::GroupMembers(id) => list.group(&id).and_then(|group| {
            let members = list.directory.members(group);
            list.users_page(&members, GROUP_MEMBERS_PAGE_LIMIT)
        }),
    };
    answer.unwrap_or_else(|reply| reply)
}

/// One read of the directory.
struct Listing<'a> {
    directory: &'a Directory,
    /// The org URL.
    base: &'a str,
    /// The request's path, as sent.
    path: &'a str,
    query: ListQuery,
}

impl Listing<'_> {
    fn one_user(&self, key: &str) -> Result<Reply, Reply> {
        match self.directory.find_user(key) {
            Some(user) => Ok(Reply::json(200, &user.json(self.base, true))),
            None => Err(not_found(key, "User")),
        }
    }

    fn group(&self, id: &str) -> Result<&GroupRecord, Reply> {
        self.directory
            .group(id)
            .ok_or_else(|| not_found(id, "UserGroup"))
    }

    /// A list answer: the objects, Okta's `Link` headers.
    fn answer(&self, items: Vec<Value>, limit: usize, next: Option<&str>) -> Reply {
        let reply = Reply::json(200, &Value::Array(items));
        links(reply, self.base, self.path, &self.query, limit, next)
    }

    /// `search` and `filter` take expressions the fake org does not
    /// evaluate: refused, so that a test never reads an unfiltered list as
    /// filtered.
    fn refuse_expressions(&self) -> Result<(), Reply> {
        for name in ["search", "filter"] {
            if self.query.get(name).is_some() {
                return Err(invalid(
                    name,
                    &format!("{name}: The fake org does not evaluate `{name}`; use `q`."),
                ));
            }
        }
        Ok(())
    }

    /// `GET /api/v1/users`: all but `DEPROVISIONED` users, paged; with `q`,
    /// those whose first name, last name or email starts with it, one
    /// page only.
    fn users(&self) -> Result<Reply, Reply> {
        self.refuse_expressions()?;
        let listed = self
            .directory
            .users
            .iter()
            .filter(|u| u.status != UserStatus::Deprovisioned);
        let Some(q) = self.query.get("q") else {
            let users: Vec<&UserRecord> = listed.collect();
            return self.users_page(&users, USERS_PAGE_LIMIT);
        };
        let limit = self.query.limit(Limits {
            default: USERS_QUERY_LIMIT,
            max: USERS_PAGE_LIMIT,
        })?;
        let users = listed
            .filter(|u| {
                ["firstName", "lastName", "email"]
                    .iter()
                    .any(|member| starts_with(u.text(member), q))
            })
            .take(limit)
            .map(|u| u.json(self.base, false))
            .collect();
        Ok(self.answer(users, limit, None))
    }

    /// A page of `users` (`limit` by default and at most `max`) after the
    /// request's cursor.
    fn users_page(&self, users: &[&UserRecord], max: usize) -> Result<Reply, Reply> {
        let limit = self.query.limit(Limits { default: max, max })?;
        let (users, next) = page(users, |u| &u.id, &self.query, limit)?;
        let users = users.iter().map(|u| u.json(self.base, false)).collect();
        Ok(self.answer(users, limit, next.as_deref()))
    }

    /// `GET /api/v1/groups`: every group, paged; with `q`, those whose
    /// name starts with it, one page only.
    fn groups(&self) -> Result<Reply, Reply> {
        self.refuse_expressions()?;
        let json = |g: &&GroupRecord| g.json(self.base, self.directory.membership_updated(g));
        let all: Vec<&GroupRecord> = self.directory.groups.iter().collect();
        if let Some(q) = self.query.get("q") {
            let limit = self.query.limit(Limits {
                default: GROUPS_QUERY_LIMIT,
                max: GROUPS_PAGE_LIMIT,
            })?;
            let groups = all
                .iter()
                .filter(|g| starts_with(g.name(), q))
                .take(limit)
                .map(json)
                .collect();
            return Ok(self.answer(groups, limit, None));
        }
        let limit = self.query.limit(Limits {
            default: GROUPS_PAGE_LIMIT,
            max: GROUPS_PAGE_LIMIT,
        })?;
        let (groups, next) = page(&all, |g| &g.id, &self.query, limit)?;
        let groups = groups.iter().map(json).collect();
        Ok(self.answer(groups, limit, next.as_deref()))
    }
}

/// Whether `text` starts with `prefix`, without case.
fn starts_with(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}
