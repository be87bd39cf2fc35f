//! Routes a test mounts on the fake org ([`MockOkta::mount`]): its own
//! answers, behind Okta's authentication and authorization.
//!
//! - One wiremock mock, mounted at start before every built-in route, takes
//!   a request when a mounted route's method and path template match it
//!   (the route mounted last first); everything else goes on to the
//!   built-in routes as before.
//! - The request is counted, logged (with its JSON body), takes the
//!   management API's faults and rate-limit bucket, and is authenticated
//!   and authorized exactly as the built-in API routes are
//!   ([`api::authenticate`], `authz::permit`) — all under the lock.
//! - Only then, with the lock released (so a responder may call
//!   [`MockOkta`] itself), the route's responder makes the answer, which
//!   gets the usual headers.

mod template;

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::Value;
use wiremock::{Match, Request, Respond, ResponseTemplate};

use super::admin::authz;
use super::api::{self, Grant};
use super::directory::ADMIN_USER_ID;
use super::reply::{Endpoint, Reply, admit};
use super::state::{Shared, State};
use super::{MockOkta, ReceivedRequest};
use crate::error::Error;
use template::Template;

/// The scopes a mounted route needs unless told: none, so that only API
/// tokens (`SSWS`) may call it (see [`ApiRoute::scopes`]).
pub const DEFAULT_ROUTE_SCOPES: &[&str] = &[];

/// The status of a mounted route's answer unless told: `200 OK`, with the
/// body `{}`.
pub const DEFAULT_ROUTE_STATUS: StatusCode = StatusCode::OK;

type Responder = Arc<dyn Fn(&ApiRequest) -> ApiResponse + Send + Sync>;

/// A path template's parameters: `(name, decoded value)`, in order.
type Params = Vec<(String, String)>;

/// A route of the test's own, mounted on the fake org with
/// [`MockOkta::mount`]: a method, a path template, the scopes an access
/// token needs, and the answer.
///
/// The path is a template: literal segments, `{name}` for any one segment
/// (read it with [`ApiRequest::param`]), and a last `*` for anything that
/// follows (a prefix). Segments are compared percent-decoded, as Okta
/// reads paths.
///
/// ```
/// use okta_auth::http::{Method, StatusCode};
/// use okta_auth::testing::{ApiResponse, ApiRoute};
/// use okta_auth::serde_json::json;
///
/// let factors = ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
///     .scopes(["okta.users.read", "okta.users.manage"])
///     .respond_with(|request| {
///         let id = request.param("id").unwrap_or_default();
///         ApiResponse::json(StatusCode::OK, json!([{ "id": "sms1", "userId": id }]))
///     });
/// # let _ = factors;
/// ```
#[derive(Clone)]
pub struct ApiRoute {
    method: Method,
    path: String,
    scopes: Vec<String>,
    responder: Responder,
}

impl ApiRoute {
    /// A route for `method` on `path` (a template, see above).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            scopes: DEFAULT_ROUTE_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            responder: Arc::new(|_| ApiResponse::default()),
        }
    }

    /// The scopes of which an access token (`Bearer` or `DPoP`) needs one:
    /// without, Okta's `403 E0000006` with an `insufficient_scope`
    /// challenge whose `scope` names the first (list the least first, as
    /// Okta's challenge names `okta.users.read`, not `…manage`). Its client also needs an admin role, as on every Okta
    /// management route. API tokens need no scope. Defaults to
    /// [`DEFAULT_ROUTE_SCOPES`] (API tokens only).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Answers every authorized request with `response`. Defaults to
    /// [`DEFAULT_ROUTE_STATUS`] with `{}`.
    pub fn respond(self, response: ApiResponse) -> Self {
        self.respond_with(move |_| response.clone())
    }

    /// Answers every authorized request with what `responder` makes of it.
    /// It runs on the fake org's server thread, without the fake org's lock
    /// held: it may call [`MockOkta`]. Defaults to [`DEFAULT_ROUTE_STATUS`]
    /// with `{}`.
    pub fn respond_with<F>(mut self, responder: F) -> Self
    where
        F: Fn(&ApiRequest) -> ApiResponse + Send + Sync + 'static,
    {
        self.responder = Arc::new(responder);
        self
    }
}

impl fmt::Debug for ApiRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRoute")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Who made an authorized request to a mounted route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caller {
    /// An API token (`SSWS`), acting as its user.
    #[non_exhaustive]
    ApiToken {
        /// The token's user: the org's super admin,
        /// [`ADMIN_USER_ID`](super::ADMIN_USER_ID).
        user_id: String,
    },
    /// A service app's access token (`Bearer`, or `DPoP` with a valid
    /// proof) from the org authorization server.
    #[non_exhaustive]
    ServiceApp {
        /// The app's client id.
        client_id: String,
        /// The token's scopes.
        scopes: Vec<String>,
    },
}

/// An authorized request to a mounted route, as its responder sees it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiRequest {
    /// The request method.
    pub method: Method,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The query string, as sent.
    pub query: Option<String>,
    /// The template's `{name}` parameters, percent-decoded, in order.
    pub params: Vec<(String, String)>,
    /// The request headers; `Authorization` and `DPoP` are marked
    /// sensitive, so `Debug` does not print them.
    pub headers: HeaderMap,
    /// The body, as sent.
    pub body: Vec<u8>,
    /// Who is calling.
    pub caller: Caller,
}

impl ApiRequest {
    /// The template parameter `name` (`{name}` in the route's path).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON; `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The answer of a mounted route. The fake org adds `Date`,
/// `X-Okta-Request-Id` and the `X-Rate-Limit-*` headers, as to all its
/// answers.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    status: StatusCode,
    body: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiResponse {
    /// `status` with a JSON body.
    pub fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// `status` without a body (`204 No Content`, …).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    /// Okta's error document (`errorCode`, `errorSummary`, `errorLink`,
    /// `errorId`, `errorCauses`), e.g. `404`, `E0000007`, `Not found:
    /// Resource not found: … (User)`.
    pub fn okta_error(status: StatusCode, code: &str, summary: &str) -> Self {
        let body = serde_json::json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": super::state::random_id("oae"),
            "errorCauses": [],
        });
        Self::json(status, body)
    }

    /// Adds a header line (kept beside others of the same name, as
    /// `Link` needs).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    fn into_reply(self) -> Reply {
        let status = self.status.as_u16();
        let reply = match &self.body {
            Some(body) => Reply::json(status, body),
            None => Reply::empty(status),
        };
        self.headers
            .into_iter()
            .fold(reply, |reply, (name, value)| {
                reply.append_header(name, value)
            })
    }
}

impl Default for ApiResponse {
    /// [`DEFAULT_ROUTE_STATUS`] with `{}`.
    fn default() -> Self {
        Self::json(DEFAULT_ROUTE_STATUS, Value::Object(serde_json::Map::new()))
    }
}

/// A route as mounted.
struct MountedRoute {
    method: Method,
    template: Template,
    scopes: Vec<String>,
    responder: Responder,
}

/// The mounted routes, oldest first.
#[derive(Default)]
pub(crate) struct Mounted(Vec<Arc<MountedRoute>>);

impl Mounted {
    /// The route that takes `request` (the last mounted that matches) and
    /// the path's parameters.
    fn find(&self, request: &Request) -> Option<(Arc<MountedRoute>, Params)> {
        self.0.iter().rev().find_map(|route| {
            if route.method != request.method {
                return None;
            }
            let params = route.template.matches(request.url.path())?;
            Some((Arc::clone(route), params))
        })
    }
}

impl MockOkta {
    /// Mounts a route of the test's own on the fake org: a request to it is
    /// authenticated and authorized as Okta's management API would
    /// (`SSWS`, `Bearer`, or `DPoP` with its proof; the route's scopes and
    /// an admin role for access tokens; Okta's `401`/`403` answers), takes
    /// the API's faults and rate limits, is counted in
    /// [`api_requests`](Self::api_requests) and logged in
    /// [`received`](Self::received), and only then answered by the route.
    ///
    /// A mounted route goes before the built-in ones, so it can also replace
    /// one; of two that match, the one mounted last answers.
    ///
    /// Fails with [`Error::Config`] for a malformed path template (not
    /// starting with `/`, a query, `{}`, a `*` before the end).
    pub fn mount(&self, route: ApiRoute) -> Result<(), Error> {
        let template = Template::parse(&route.path)?;
        self.shared.lock().mounted.0.push(Arc::new(MountedRoute {
            method: route.method,
            template,
            scopes: route.scopes,
            responder: route.responder,
        }));
        Ok(())
    }
}

/// The wiremock matcher: whether a mounted route takes the request.
pub(crate) struct MountedMatch(pub(crate) Arc<Shared>);

impl Match for MountedMatch {
    fn matches(&self, request: &Request) -> bool {
        self.0.lock().mounted.find(request).is_some()
    }
}

/// The wiremock responder for mounted routes.
pub(crate) struct MountedEndpoint(pub(crate) Arc<Shared>);

impl Respond for MountedEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let now = shared.now();
        let mut log: ReceivedRequest = api::received(request);
        log.body = serde_json::from_slice(&request.body).ok();
        let headers = log.headers.clone();
        let mut state = shared.lock();
        state.api_requests += 1;
        let mut admission = admit(&mut state, Endpoint::Api, &log.path, now);
        let outcome = match admission.early.take() {
            Some(reply) => Err(reply),
            None => authorize(shared, &mut state, request, now),
        };
        let (grant, route, params) = match outcome {
            Ok(authorized) => authorized,
            Err(reply) => return admission.conclude(shared, &mut state, reply, log),
        };
        drop(state);
        let caller = match grant {
            Grant::ApiToken(_) => Caller::ApiToken {
                user_id: ADMIN_USER_ID.to_owned(),
            },
            Grant::Token { client_id, scopes } => Caller::ServiceApp { client_id, scopes },
        };
        let api_request = ApiRequest {
            method: request.method.clone(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            params,
            headers,
            body: request.body.clone(),
            caller,
        };
        let response = (route.responder)(&api_request);
        let mut state = shared.lock();
        admission.conclude(shared, &mut state, response.into_reply(), log)
    }
}

/// A route, the request's credential and the route's scopes, checked as on
/// every management route; Okta's `401`/`403` otherwise.
fn authorize(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    now: u64,
) -> Result<(Grant, Arc<MountedRoute>, Params), Reply> {
    let path = request.url.path();
    // The matcher found the route under an earlier lock, and nothing
    // unmounts one: it is still there.
    let Some((route, params)) = state.mounted.find(request) else {
        return Err(Reply::okta(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {path} (Resource)"),
        ));
    };
    let grant = api::authenticate(shared, state, request, now)?;
    let needed: Vec<&str> = route.scopes.iter().map(String::as_str).collect();
    authz::permit(shared, state, &grant, &needed, path)?;
    Ok((grant, route, params))
}
