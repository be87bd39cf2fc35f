//! The fake org's management routes for service apps: dynamic client
//! registration, the Apps API (apps, their JSON Web Keys, their scope
//! grants), client role assignments and API tokens, with Okta's rules and
//! authorization.
//!
//! - Every route answers like the rest of the management API: it is
//!   counted in [`MockOkta::api_requests`](super::MockOkta::api_requests),
//!   logged (with its JSON body), takes the faults of
//!   [`MockOkta::fail_next_api_requests`](super::MockOkta::fail_next_api_requests)
//!   and, first, its own ([`MockOkta::fail_next_admin_requests`](super::MockOkta::fail_next_admin_requests)).
//! - A request is authenticated as on `/api/v1/users` ([`api::authenticate`]),
//!   then authorized ([`authz`]): an API token may do everything; an access
//!   token needs one of the route's scopes ([`AdminRoute::scopes`]) and its
//!   client an admin role.
//! - Apps live in the one registry the token endpoint reads, so a client
//!   registered here gets tokens at once, for its granted scopes only, and
//!   signs with its active keys only.

mod api_tokens;
mod apps;
pub(crate) mod authz;
mod clients;
mod grants;
mod inspect;
mod keys;
mod roles;
mod routes;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::api::{self, Grant};
use super::app::ServiceApp;
use super::reply::{Endpoint, Fault, Reply, answer};
use super::state::{Shared, State, random_id};

use api_tokens::ApiTokenRecord;
pub(crate) use api_tokens::registered as api_token_registered;
pub(crate) use apps::AppRecord;
pub use clients::DEFAULT_REGISTERED_DPOP;
pub use inspect::{AppGrant, AppInfo, AppKey, AppRole, Status};
pub(crate) use keys::ClientKey;
pub use roles::{DEFAULT_ADMIN_ROLE, STANDARD_ROLES};
pub use routes::AdminRoute;
use routes::Target;

/// The paths the management routes live under, as a `path_regex`.
pub(crate) const PATHS: &str = r"^/(oauth2/v1/clients|api/v1/apps|api/v1/api-tokens)(/.*)?$";

/// The management API's records beside the apps.
#[derive(Default)]
pub(crate) struct AdminState {
    /// Faults queued per route.
    faults: HashMap<AdminRoute, VecDeque<Fault>>,
    /// The metadata of each API token ever registered, by its secret.
    pub(crate) api_tokens: HashMap<String, ApiTokenRecord>,
}

impl AdminState {
    pub(crate) fn queue_faults(&mut self, route: AdminRoute, n: usize, fault: Fault) {
        let queue = self.faults.entry(route).or_default();
        queue.extend(std::iter::repeat_n(fault, n));
    }
}

/// The wiremock responder for the management routes.
pub(crate) struct AdminEndpoint(pub(crate) Arc<Shared>);

impl Respond for AdminEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let now = shared.now();
        let mut state = shared.lock();
        let mut log = api::received(request);
        log.body = serde_json::from_slice(&request.body).ok();
        state.api_requests += 1;
        let route = routes::parse(&request.method, request.url.path());
        // A fault queued for the route goes first: hand it to the
        // management API's queue, which `answer` serves from its front.
        if let Ok((route, _)) = &route
            && let Some(fault) = state
                .admin
                .faults
                .get_mut(route)
                .and_then(VecDeque::pop_front)
        {
            state.api_faults.push_front(fault);
        }
        answer(shared, &mut state, Endpoint::Api, log, now, |state| {
            serve(shared, state, request, route, now)
        })
    }
}

/// One authorized request, as the route handlers see it.
pub(crate) struct Call<'a> {
    /// The org URL, `http://127.0.0.1:{port}`: the issuer of the org
    /// authorization server.
    pub(crate) base: &'a str,
    pub(crate) now: u64,
    /// The JSON body; `None` when absent or not JSON.
    pub(crate) body: Option<&'a Value>,
    pub(crate) grant: &'a Grant,
    pub(crate) target: &'a Target,
    pub(crate) query: Option<&'a str>,
}

fn serve(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    route: Result<(AdminRoute, Target), Reply>,
    now: u64,
) -> Reply {
    let (route, target) = match route {
        Ok(route) => route,
        Err(reply) => return reply,
    };
    let grant = match api::authenticate(shared, state, request, now) {
        Ok(grant) => grant,
        Err(reply) => return reply,
    };
    if let Err(reply) = authz::permit(shared, state, &grant, route.scopes(), request.url.path()) {
        return reply;
    }
    let body: Option<Value> = serde_json::from_slice(&request.body).ok();
    let call = Call {
        base: &shared.base,
        now,
        body: body.as_ref(),
        grant: &grant,
        target: &target,
        query: request.url.query(),
    };
    use AdminRoute as R;
    match route {
        R::RegisterClient => clients::register(&call, state),
        R::ListApps => apps::list(&call, state),
        R::GetApp => apps::get(&call, state),
        R::ReplaceApp => apps::replace(&call, state),
        R::ActivateApp => apps::set_active(&call, state, true),
        R::DeactivateApp => apps::set_active(&call, state, false),
        R::DeleteApp => apps::delete(&call, state),
        R::ListKeys => keys::list(&call, state),
        R::AddKey => keys::add(&call, state),
        R::GetKey => keys::get(&call, state),
        R::ActivateKey => keys::set_active(&call, state, true),
        R::DeactivateKey => keys::set_active(&call, state, false),
        R::DeleteKey => keys::delete(&call, state),
        R::ListGrants => grants::list(&call, state),
        R::GrantScope => grants::grant(&call, state),
        R::GetGrant => grants::get(&call, state),
        R::RevokeGrant => grants::revoke(&call, state),
        R::ListRoles => roles::list(&call, state),
        R::AssignRole => roles::assign(&call, state),
        R::GetRole => roles::get(&call, state),
        R::UnassignRole => roles::unassign(&call, state),
        R::ListApiTokens => api_tokens::list(&call, state),
        R::GetApiToken => api_tokens::get(&call, state),
        R::RevokeApiToken => api_tokens::revoke(&call, state),
        R::RevokeCurrentApiToken => api_tokens::revoke_current(&call, state),
    }
}

/// Fills in what registration through
/// [`MockOkta::register_service_app`](super::MockOkta::register_service_app)
/// gives an app: its label, timestamps, a grant record for each `okta.*`
/// scope (issuer: the org) and, unless told otherwise, the
/// [`DEFAULT_ADMIN_ROLE`].
pub(crate) fn adopt(app: &mut ServiceApp, base: &str, now: u64) {
    let record = &mut app.admin;
    record.label.clone_from(&app.client_id);
    record.created = now;
    record.last_updated = now;
    for key in &mut app.keys {
        key.created = now;
        key.last_updated = now;
    }
    record.grants = app
        .scopes
        .iter()
        .filter(|s| s.starts_with("okta."))
        .map(|s| grants::ScopeGrant::new(s, base, None, now))
        .collect();
    record.roles = if app.admin_role {
        vec![roles::RoleAssignment::standard(DEFAULT_ADMIN_ROLE, now)]
    } else {
        Vec::new()
    };
}

/// An Okta-style id: a three-character prefix and 17 more characters
/// (`0oa…` apps, `pks…` keys, `oag…` grants, `irb…` role assignments,
/// `00T…` API tokens).
pub(crate) fn okta_id(prefix: &str) -> String {
    let random = random_id("");
    format!("{prefix}{}", &random[..17])
}

/// Okta's `E0000001`: `Api validation failed: {field}`, with one cause.
pub(crate) fn invalid(field: &str, cause: &str) -> Reply {
    with_causes(
        400,
        "E0000001",
        &format!("Api validation failed: {field}"),
        cause,
    )
}

/// An Okta error document with one cause.
pub(crate) fn with_causes(status: u16, code: &str, summary: &str, cause: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": random_id("oae"),
            "errorCauses": [{ "errorSummary": cause }],
        }),
    )
}

/// Okta's `E0000003`, for a body that is not the JSON object expected.
pub(crate) fn malformed() -> Reply {
    Reply::okta(400, "E0000003", "The request body was not well-formed.")
}

/// Okta's 404 for a missing resource of `kind` (`AppInstance`, …).
pub(crate) fn not_found(id: &str, kind: &str) -> Reply {
    Reply::okta(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} ({kind})"),
    )
}

/// The app with client id (= app id) `id`, or Okta's 404.
pub(crate) fn app_mut<'s>(state: &'s mut State, id: &str) -> Result<&'s mut ServiceApp, Reply> {
    state
        .apps
        .get_mut(id)
        .ok_or_else(|| not_found(id, "AppInstance"))
}

/// Who made a change, as Okta's `createdBy` names it.
pub(crate) fn actor(grant: &Grant) -> (String, &'static str) {
    match grant {
        Grant::ApiToken(_) => (api_tokens::TOKEN_USER.to_owned(), "User"),
        Grant::Token { client_id, .. } => (client_id.clone(), "Client"),
    }
}

/// `unix` seconds as Okta writes times, `2023-04-06T21:32:33.000Z`.
pub(crate) fn iso8601(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // Howard Hinnant's `civil_from_days`, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `ACTIVE` or `INACTIVE`.
pub(crate) fn status(active: bool) -> &'static str {
    if active { "ACTIVE" } else { "INACTIVE" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_okta_writes_them() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_680_816_753), "2023-04-06T21:32:33.000Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(4_107_542_399), "2100-02-28T23:59:59.000Z");
    }

    #[test]
    fn ids_look_like_oktas() {
        let id = okta_id("0oa");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("0oa"));
        assert_ne!(id, okta_id("0oa"));
    }
}
