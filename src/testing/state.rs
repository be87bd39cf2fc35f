//! The fake org's state, shared by every route, and its clock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use http::{HeaderMap, Method};
use secrecy::SecretString;
use serde_json::Value;
use tokio::runtime::Handle;

use super::app::ServiceApp;
use super::custom_server::ServerState;
use super::rate_bucket::Buckets;
use super::reply::Fault;

/// How many requests [`MockOkta::received`](super::MockOkta::received)
/// keeps: the last 256.
pub const RECEIVED_LIMIT: usize = 256;

/// One request the fake org received, as it went over the wire, with its
/// JWTs decoded (not re-verified) for assertions in tests.
///
/// The `Authorization` and `DPoP` header values are marked sensitive, so
/// `Debug` does not print them; a `client_secret` or `client_assertion` form
/// value is replaced by `[redacted]` (the assertion's header and claims are
/// kept decoded, in `assertion_header` and `assertion_claims`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The request method.
    pub method: Method,
    /// The path, as sent (still percent-encoded).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The form fields of a token request, in order, with the values of
    /// `client_secret` and `client_assertion` replaced by `[redacted]`.
    pub form: Vec<(String, String)>,
    /// The client the request spoke for, when it said (assertion `iss`,
    /// `client_id` or basic-auth user).
    pub client_id: Option<String>,
    /// The client assertion's JOSE header, decoded.
    pub assertion_header: Option<Value>,
    /// The client assertion's claims, decoded.
    pub assertion_claims: Option<Value>,
    /// The DPoP proof's JOSE header, decoded.
    pub proof_header: Option<Value>,
    /// The DPoP proof's claims, decoded.
    pub proof_claims: Option<Value>,
    /// The JSON body of a request to a management route of
    /// [`AdminRoute`](super::AdminRoute) or a mounted
    /// [`ApiRoute`](super::ApiRoute), as sent; `None` for other
    /// requests and for bodies that are empty or not JSON. (Header values,
    /// `Authorization` included, are never copied into it.)
    pub body: Option<Value>,
    /// The status the fake org answered with.
    pub status: u16,
    /// The `X-Okta-Request-Id` of the answer.
    pub request_id: String,
}

/// A client of a custom authorization server using `client_secret_basic`.
pub(crate) struct SecretClient {
    pub(crate) secret: SecretString,
    pub(crate) scopes: Vec<String>,
}

/// An access token the fake org issued.
pub(crate) struct IssuedToken {
    /// The client it was issued to.
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    /// Unix seconds.
    pub(crate) expires_at: u64,
    /// The RFC 7638 thumbprint of the DPoP key it is bound to.
    pub(crate) jkt: Option<String>,
    pub(crate) revoked: bool,
    /// The custom authorization server that issued it; `None` for the org
    /// authorization server, the only one whose tokens the management API
    /// accepts.
    pub(crate) server: Option<String>,
}

/// Everything the routes share, behind one lock.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) api_tokens: HashSet<String>,
    pub(crate) apps: HashMap<String, ServiceApp>,
    /// The management API's own records: API token metadata, route faults.
    pub(crate) admin: super::admin::AdminState,
    /// Custom authorization server id → its clients, keys and counters.
    pub(crate) custom_servers: HashMap<String, ServerState>,
    /// How many of the committed signing key fixtures were handed out.
    pub(crate) fixture_keys_used: usize,
    pub(crate) issued: HashMap<String, IssuedToken>,
    pub(crate) assertion_jtis: HashSet<String>,
    pub(crate) proof_jtis: HashSet<String>,
    pub(crate) nonce: String,
    pub(crate) require_resource_nonce: bool,
    pub(crate) token_requests: HashMap<String, usize>,
    pub(crate) api_requests: usize,
    pub(crate) received: VecDeque<ReceivedRequest>,
    pub(crate) token_faults: VecDeque<Fault>,
    pub(crate) api_faults: VecDeque<Fault>,
    pub(crate) jwks_faults: VecDeque<Fault>,
    /// The current rate-limit window: (start, unix seconds; requests in it).
    /// Counts every answer but the management API's when `buckets` is set.
    pub(crate) rate_window: (u64, u64),
    /// The management API's real buckets, once set.
    pub(crate) buckets: Option<Buckets>,
    /// How many management API requests the buckets answered with `429`.
    pub(crate) rate_limited: usize,
    /// Users and groups.
    pub(crate) directory: super::directory::Directory,
    /// The routes tests mounted.
    pub(crate) mounted: super::mounted::Mounted,
}

impl State {
    pub(crate) fn record(&mut self, request: ReceivedRequest) {
        if self.received.len() >= RECEIVED_LIMIT {
            self.received.pop_front();
        }
        self.received.push_back(request);
    }
}

/// The state plus what never changes after start.
pub(crate) struct Shared {
    /// `http://127.0.0.1:{port}`, no trailing slash.
    pub(crate) base: String,
    /// The runtime that started the mock: its clock (paused in tests) is the
    /// fake org's clock, although wiremock answers on its own thread.
    handle: Option<Handle>,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(base: String, handle: Option<Handle>) -> Self {
        let state = State {
            nonce: new_nonce(),
            ..State::default()
        };
        Self {
            base,
            handle,
            state: Mutex::new(state),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Unix seconds on the test's clock.
    pub(crate) fn now(&self) -> u64 {
        match &self.handle {
            Some(handle) => {
                let _runtime = handle.enter();
                crate::clock::unix_now()
            }
            None => crate::clock::unix_now(),
        }
    }

    /// The wall clock on the test's clock, for `Date`.
    pub(crate) fn system_now(&self) -> std::time::SystemTime {
        match &self.handle {
            Some(handle) => {
                let _runtime = handle.enter();
                crate::clock::system_now()
            }
            None => crate::clock::system_now(),
        }
    }
}

/// A fresh random DPoP nonce.
pub(crate) fn new_nonce() -> String {
    format!("mock-nonce-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh random opaque token or id.
pub(crate) fn random_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}
