//! The fake org's users and groups, the routes that read them, and the
//! routes a test mounts: what [`MockOkta`] holds from the start, what the
//! builders default to, and what each route answers. (Documentation only.)
//!
//! # Built-in fixtures
//!
//! | | id | login or name | who |
//! |---|---|---|---|
//! | user | [`ADMIN_USER_ID`] (`00u1mockadmin`) | [`ADMIN_USER_LOGIN`] (`admin@example.com`), Ada Admin | the org's super admin: the user of every API token (`SSWS`), the answer to `GET /api/v1/users/me`, the `userId` of `/api/v1/api-tokens`; `ACTIVE`, last signed in `2024-06-01T12:00:00.000Z` |
//! | user | [`END_USER_ID`] (`00u2mockuser`) | [`END_USER_LOGIN`] (`user@example.com`), Ulla User | an `ACTIVE` user who never signed in (`lastLogin: null`) |
//! | group | [`EVERYONE_GROUP_ID`] (`00g1mockeveryone`) | `Everyone` ("All users in your organization") | `BUILT_IN`: every user, added ones included, is a member |
//!
//! All three were created `2024-01-01T00:00:00.000Z`. They are listed first,
//! in this order.
//!
//! # Adding users and groups
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), okta_auth::Error> {
//! use okta_auth::testing::{MockGroup, MockOkta, MockUser, UserStatus};
//!
//! let okta = MockOkta::start().await;
//! let grace = okta.add_user(
//!     MockUser::new("grace@example.com")
//!         .first_name("Grace")
//!         .last_name("Hopper")
//!         .profile("department", "Engineering"),
//! )?;
//! let new_hire = okta.add_user(MockUser::new("new@example.com").status(UserStatus::Staged))?;
//! let team = okta.add_group(MockGroup::new("Engineering").description("Builders"))?;
//! okta.add_to_group(&team, &grace)?;
//! okta.add_to_group(&team, &new_hire)?;
//! # Ok(()) }
//! ```
//!
//! - [`MockOkta::add_user`] takes a [`MockUser`]: a login, `firstName`
//!   [`DEFAULT_FIRST_NAME`], `lastName` [`DEFAULT_LAST_NAME`], `email` the
//!   login, status [`DEFAULT_USER_STATUS`], no further profile members
//!   unless [`MockUser::profile`] adds them. The user is created now on the
//!   fake org's clock, gets an id `00u` + 17 characters, is listed after the
//!   users already there and belongs to `Everyone`. A duplicate login is
//!   refused, as by Okta.
//! - [`MockOkta::add_group`] takes a name or a [`MockGroup`]: an
//!   `OKTA_GROUP` with `description: null` unless set, id `00g…`, no
//!   members. A duplicate name is refused, as by Okta.
//! - [`MockOkta::add_to_group`] adds a member (again: no change); the
//!   members of `Everyone` cannot be changed.
//!
//! # The user object
//!
//! Every user has all the members of Okta's `User` (Okta's management API
//! specification): `id`, `status`, `created`, `activated`, `statusChanged`,
//! `lastLogin`, `lastUpdated`, `passwordChanged`, `type: {id}`
//! ([`DEFAULT_USER_TYPE_ID`]), `profile` (`login`, `email`, `firstName`,
//! `lastName`, `mobilePhone: null`, `secondEmail: null`, and the members the
//! test added), `credentials` (`provider: {type: OKTA, name: OKTA}`, and
//! `password: {}` once activated) and `_links`. Times are written as Okta
//! writes them (`2024-01-01T00:00:00.000Z`); an added user's are its
//! creation:
//!
//! | status | `activated`, `passwordChanged` | `statusChanged` | `lastLogin` |
//! |---|---|---|---|
//! | `STAGED` | `null` | `null` | `null` |
//! | `PROVISIONED` | `null` | created | `null` |
//! | any other | created | created | `null` (the built-in admin: set) |
//!
//! In a list `_links` holds `self` only, as Okta's; a single user also gets
//! its lifecycle and credential links for its status (`suspend`,
//! `deactivate`, `resetPassword`, … for an active user; `activate` for a
//! staged or deprovisioned one, `reactivate` for a provisioned one or one
//! in recovery), `schema` and `type`. A group has Okta's `Group` members:
//! `id`, `created`, `lastUpdated`, `lastMembershipUpdated`, `objectClass:
//! ["okta:user_group"]`, `type` (`BUILT_IN`, `OKTA_GROUP`), `profile`
//! (`name`, `description`) and `_links` (`logo`, `users`, `apps`).
//!
//! # Routes
//!
//! | route | scope an access token needs (one of) | answer |
//! |---|---|---|
//! | `GET /api/v1/users` | `okta.users.read`, `okta.users.manage` | every user but `DEPROVISIONED` ones, paged ([`USERS_PAGE_LIMIT`]); `?q=` one page of those whose `firstName`, `lastName` or `email` starts with it ([`USERS_QUERY_LIMIT`] by default) |
//! | `GET /api/v1/users/{id}` | `okta.users.read`, `okta.users.manage` | the user with that id, login, or login before the `@` (Okta's "shortname"; percent-decoded); `404 E0000007` |
//! | `GET /api/v1/users/me` | `okta.users.read.self`, `okta.users.read`, `okta.users.manage` | the built-in admin |
//! | `GET /api/v1/groups` | `okta.groups.read`, `okta.groups.manage` | every group, paged ([`GROUPS_PAGE_LIMIT`]); `?q=` one page of those whose name starts with it ([`GROUPS_QUERY_LIMIT`] by default) |
//! | `GET /api/v1/groups/{id}` | `okta.groups.read`, `okta.groups.manage` | the group; `404 E0000007` |
//! | `GET /api/v1/groups/{id}/users` | `okta.groups.read`, `okta.groups.manage` | its members, paged ([`GROUP_MEMBERS_PAGE_LIMIT`]) |
//!
//! Authorization is the management API's: an API token may read
//! everything; an access token (`Bearer`, or `DPoP` with a valid proof)
//! needs one of the route's scopes (else `403 E0000006` with Okta's
//! `insufficient_scope` challenge, `Bearer authorization_uri="…",
//! realm="…", scope="…", error="insufficient_scope",
//! error_description="…", resource="…"`, whose `scope` is the first the
//! table lists for the route: `okta.users.read` on `/api/v1/users`) and
//! its client an admin role (else `403 E0000006`). Another method on these
//! paths is `405 E0000022`; any other path under `/api/v1/` is
//! `404 E0000007`.
//!
//! # Pagination
//!
//! As Okta's: `limit` sets the page size (the list's default when absent,
//! its maximum when larger), `after` is the cursor from the previous page's
//! `next` link, and every list answer carries
//! `Link: <{org}/api/v1/users?limit=200>; rel="self"` (the request as
//! sent) and, when more follow, a second `Link` header line
//! `<{org}/api/v1/users?after=00u…&limit=200>; rel="next"` (the request's
//! other parameters first). Lists are in the order things were added, so a
//! client that follows `next` sees every item once. The last page has no
//! `next`.
//!
//! # Routes of the test's own
//!
//! [`MockOkta::mount`] mounts an [`ApiRoute`]: a method, a path template
//! (`/api/v1/users/{id}/factors`, a last `*` for a prefix), the scopes of
//! which an access token needs one ([`DEFAULT_ROUTE_SCOPES`]: API tokens
//! only) and an answer ([`ApiResponse`], or a closure over the
//! [`ApiRequest`], which says who called: [`Caller`]). A request that
//! matches is checked exactly as the routes above, counted, logged, and
//! subject to the API's faults and rate limits, then answered by the route.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use okta_auth::reqwest;
//! use okta_auth::http::{Method, StatusCode};
//! use okta_auth::testing::{ApiResponse, ApiRoute, MockOkta, MockUser};
//! use okta_auth::serde_json::json;
//!
//! let okta = MockOkta::start().await;
//! let id = okta.add_user(MockUser::new("grace@example.com"))?;
//! okta.mount(
//!     ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
//!         .scopes(["okta.users.read", "okta.users.manage"])
//!         .respond(ApiResponse::json(StatusCode::OK, json!([{ "factorType": "sms" }]))),
//! )?;
//! okta.register_api_token("00test-token");
//! let url = okta.org_url().endpoint(&format!("api/v1/users/{id}/factors"));
//! let response = reqwest::Client::new()
//!     .get(url)
//!     .header("Authorization", "SSWS 00test-token")
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```
//!
//! # Decisions where Okta is not fully specified
//!
//! - `GET /api/v1/users/me` with a service app's access token (no user
//!   behind it) answers the built-in admin too, as for an API token; Okta
//!   documents `me` for API tokens and sessions only.
//! - The `after` cursor is the id of the previous page's last item (clients
//!   must not rely on it); one naming no item of the list, and a `limit`
//!   that is not a positive integer, are `400 E0000001`.
//! - `search` and `filter` are refused (`400 E0000001` naming the
//!   parameter) rather than ignored, so that a test never reads an
//!   unfiltered list as a filtered one; `q` works as above.
//! - `GET /api/v1/groups/{id}/users` has no documented maximum; the fake
//!   org caps it at its default, [`GROUP_MEMBERS_PAGE_LIMIT`].
//! - A group's `_links` have no `self`, as in Okta's examples.
//! - A mounted route answers before the built-in routes; a request whose
//!   path matches but whose method does not goes on to the built-in routes
//!   (for most paths Okta's `404`).
//!
//! [`MockOkta`]: super::MockOkta
//! [`MockOkta::add_user`]: super::MockOkta::add_user
//! [`MockOkta::add_group`]: super::MockOkta::add_group
//! [`MockOkta::add_to_group`]: super::MockOkta::add_to_group
//! [`MockOkta::mount`]: super::MockOkta::mount
//! [`MockUser`]: super::MockUser
//! [`MockUser::profile`]: super::MockUser::profile
//! [`MockGroup`]: super::MockGroup
//! [`ApiRoute`]: super::ApiRoute
//! [`ApiResponse`]: super::ApiResponse
//! [`ApiRequest`]: super::ApiRequest
//! [`Caller`]: super::Caller
//! [`ADMIN_USER_ID`]: super::ADMIN_USER_ID
//! [`ADMIN_USER_LOGIN`]: super::ADMIN_USER_LOGIN
//! [`END_USER_ID`]: super::END_USER_ID
//! [`END_USER_LOGIN`]: super::END_USER_LOGIN
//! [`EVERYONE_GROUP_ID`]: super::EVERYONE_GROUP_ID
//! [`DEFAULT_FIRST_NAME`]: super::DEFAULT_FIRST_NAME
//! [`DEFAULT_LAST_NAME`]: super::DEFAULT_LAST_NAME
//! [`DEFAULT_USER_STATUS`]: super::DEFAULT_USER_STATUS
//! [`DEFAULT_USER_TYPE_ID`]: super::DEFAULT_USER_TYPE_ID
//! [`DEFAULT_ROUTE_SCOPES`]: super::DEFAULT_ROUTE_SCOPES
//! [`USERS_PAGE_LIMIT`]: super::USERS_PAGE_LIMIT
//! [`USERS_QUERY_LIMIT`]: super::USERS_QUERY_LIMIT
//! [`GROUPS_PAGE_LIMIT`]: super::GROUPS_PAGE_LIMIT
//! [`GROUPS_QUERY_LIMIT`]: super::GROUPS_QUERY_LIMIT
//! [`GROUP_MEMBERS_PAGE_LIMIT`]: super::GROUP_MEMBERS_PAGE_LIMIT
