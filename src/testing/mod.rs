//! A strict fake Okta org on loopback, for integration tests. **For tests
//! only** (feature `test-util`).
//!
//! [`MockOkta`] runs a [wiremock] server that answers like an Okta org:
//!
//! - the token endpoints `POST /oauth2/v1/token` (org authorization server)
//!   and `POST /oauth2/{id}/v1/token` (custom ones) run the client
//!   credentials grant with Okta's checks and errors: `private_key_jwt`
//!   client assertions verified against the registered keys (`kid`, `iss`,
//!   `sub`, exact `aud`, `exp` ≤ 1 h, `iat`, `jti` never reused), known and
//!   granted scopes, DPoP (RFC 9449) proofs with the `use_dpop_nonce`
//!   handshake, and `client_secret_basic` on custom authorization servers
//!   only;
//! - custom authorization servers ([`CustomServer`]) issue JWT access
//!   tokens as Okta's do: `RS256` with a `kid`, claims `ver`, `jti`, `iss`,
//!   `aud`, `iat`, `exp`, `cid`, `scp`, `sub`, and `cnf.jkt` when
//!   DPoP-bound ([`AccessTokenClaims`] lists them); each serves its metadata
//!   (`/oauth2/{id}/.well-known/oauth-authorization-server` and
//!   `…/openid-configuration`) and its JWKS (`/oauth2/{id}/v1/keys`, with
//!   `Cache-Control: max-age`), rotates its signing key on demand
//!   ([`MockOkta::rotate_signing_key`]), and mints tokens with chosen claims
//!   for resource-server tests ([`MockOkta::mint_access_token`]);
//! - the management API accepts `SSWS` API tokens, and `Bearer` and `DPoP`
//!   tokens (the latter with a valid proof) of the org authorization server
//!   whose client holds an admin role, one `Authorization` header per
//!   request, and answers everything else with Okta's `E0000011` 401 and a
//!   `WWW-Authenticate` challenge (`403 E0000006` for a missing scope or
//!   role);
//! - its directory (`GET /api/v1/users`, `…/users/{id}`, `…/users/me`,
//!   `/api/v1/groups`, `…/groups/{id}`, `…/groups/{id}/users`) answers with
//!   Okta's full user and group objects, paged with `limit`, `after` and
//!   `Link: <…>; rel="next"`, over two built-in users, the `Everyone` group
//!   and what the test adds ([`MockOkta::add_user`],
//!   [`MockOkta::add_group`]); a test mounts its own routes behind the same
//!   authorization ([`MockOkta::mount`]); [`fixtures`] documents both;
//! - the management routes for service apps ([`AdminRoute`]): dynamic
//!   client registration (`POST /oauth2/v1/clients`), the Apps API
//!   (`/api/v1/apps/{id}`, its lifecycle, its JSON Web Keys
//!   `…/credentials/jwks` and scope grants `…/grants`), client role
//!   assignments (`/oauth2/v1/clients/{id}/roles`) and API tokens
//!   (`/api/v1/api-tokens`, `…/current`), with Okta's rules, answers and
//!   authorization: an access token needs the route's `okta.*` scope and
//!   its client an admin role ([`AdminRoute`] has the table);
//! - any other path gets Okta's `404` (`E0000007`);
//! - every answer carries `Date`, `X-Okta-Request-Id` and the
//!   `X-Rate-Limit-*` headers: a fixed [`RATE_LIMIT`], never enforced, or,
//!   once [`MockOkta::rate_limit`] is set, the management API's real
//!   buckets, which answer `429` when empty.
//!
//! Tests can count and inspect what arrived ([`MockOkta::received`],
//! [`MockOkta::jwks_requests`], [`MockOkta::rate_limited_requests`]) and the
//! apps as they are now ([`MockOkta::app`]), expire or revoke tokens, rotate
//! the DPoP nonce, give the API real rate limits ([`MockOkta::rate_limit`])
//! and inject faults ([`Fault`]) at the token endpoints, the API (per route
//! with [`MockOkta::fail_next_admin_requests`]) and the JWKS endpoints.
//!
//! The fake org reads the clock of the tokio runtime that started it, so
//! `#[tokio::test(start_paused = true)]` and `tokio::time::advance` move
//! its time too (token expiry, `iat`/`exp` checks, rate-limit resets).
//!
//! # Example: a complete integration test
//!
//! ```
//! use okta_auth::serde_json;
//! use okta_auth::reqwest;
//! use okta_auth::http::Method;
//! use okta_auth::testing::MockOkta;
//! use okta_auth::{ApiTokenSource, TokenSource};
//!
//! // In your crate: #[tokio::test] async fn lists_users() { … }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let okta = MockOkta::start().await;
//! okta.register_api_token("00test-api-token");
//!
//! // The code under test, pointed at the fake org.
//! let source = ApiTokenSource::new("00test-api-token")?;
//! let url = okta.org_url().endpoint("api/v1/users");
//! let headers = source.token().await?.authorize(&Method::GET, &url)?;
//! let response = reqwest::Client::new().get(url).headers(headers).send().await?;
//!
//! assert_eq!(response.status(), 200);
//! assert_eq!(okta.api_requests(), 1);
//! let users: Vec<serde_json::Value> = response.json().await?;
//! assert_eq!(users[0]["profile"]["login"], "admin@example.com");
//!
//! // A token the org no longer knows gets Okta's 401.
//! okta.revoke("00test-api-token");
//! let url = okta.org_url().endpoint("api/v1/users/me");
//! let headers = source.token().await?.authorize(&Method::GET, &url)?;
//! let response = reqwest::Client::new().get(url).headers(headers).send().await?;
//! assert_eq!(response.status(), 401);
//! # Ok(()) }
//! ```
//!
//! A service app is registered with its public key; the client then gets
//! tokens from [`MockOkta::token_endpoint`]:
//!
//! ```no_run
//! # async fn run(public_jwk: okta_auth::Jwk) -> Result<(), okta_auth::Error> {
//! use okta_auth::testing::{MockOkta, ServiceApp};
//!
//! let okta = MockOkta::start().await;
//! okta.register_service_app(
//!     ServiceApp::new("0oa-service")
//!         .jwk(public_jwk) // with a kid
//!         .scopes(["okta.users.read"])
//!         .dpop(true, true),
//! )?;
//! // … drive your client against okta.org_url() …
//! assert_eq!(okta.token_requests("0oa-service"), 0);
//! # Ok(()) }
//! ```
//!
//! # Decisions where Okta is not fully specified
//!
//! For the directory and mounted routes, see [`fixtures`].
//!
#![doc = include_str!("decisions.md")]

mod access_token;
mod admin;
mod api;
mod app;
mod assertion;
mod client_auth;
mod custom_server;
mod directory;
mod discovery;
pub mod fixtures;
mod jwt;
mod mounted;
mod proof;
mod rate_bucket;
mod reply;
mod scopes;
mod server_admin;
mod state;
mod token_endpoint;

use std::fmt;
use std::sync::Arc;

use secrecy::SecretString;
use url::Url;
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer};

use crate::error::Error;
use crate::org::OrgUrl;

pub use access_token::{AccessTokenClaims, EXPIRED_AGO, MINTED_CLIENT_ID, MINTED_SCOPE};
pub use admin::{
    AdminRoute, AppGrant, AppInfo, AppKey, AppRole, DEFAULT_ADMIN_ROLE, DEFAULT_REGISTERED_DPOP,
    STANDARD_ROLES, Status,
};
pub use app::{DEFAULT_TOKEN_LIFETIME, MAX_KEYS, MIN_RSA_BITS, ServiceApp};
pub use assertion::{CLOCK_SKEW, OKTA_MAX_ASSERTION_LIFETIME};
pub use custom_server::{CustomServer, DEFAULT_AUDIENCE_PREFIX, JWKS_MAX_AGE};
pub use directory::{
    ADMIN_USER_ID, ADMIN_USER_LOGIN, DEFAULT_FIRST_NAME, DEFAULT_LAST_NAME, DEFAULT_USER_STATUS,
    DEFAULT_USER_TYPE_ID, END_USER_ID, END_USER_LOGIN, EVERYONE_GROUP_ID, GROUP_MEMBERS_PAGE_LIMIT,
    GROUPS_PAGE_LIMIT, GROUPS_QUERY_LIMIT, MockGroup, MockUser, USERS_PAGE_LIMIT,
    USERS_QUERY_LIMIT, UserStatus,
};
pub use mounted::{
    ApiRequest, ApiResponse, ApiRoute, Caller, DEFAULT_ROUTE_SCOPES, DEFAULT_ROUTE_STATUS,
};
pub use proof::MAX_PROOF_AGE;
pub use rate_bucket::OKTA_RATE_WINDOW;
pub use reply::{Fault, OVERSIZED_BODY_LEN, RATE_LIMIT};
pub use state::{RECEIVED_LIMIT, ReceivedRequest};

use state::{SecretClient, Shared, new_nonce};

/// A fake Okta org on loopback. See the [module docs](self).
///
/// Dropping it stops the server.
pub struct MockOkta {
    server: MockServer,
    shared: Arc<Shared>,
    org: OrgUrl,
}

impl MockOkta {
    /// Starts a fake org on a free loopback port. Its clock is the clock of
    /// the calling tokio runtime.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let base = server.uri().trim_end_matches('/').to_owned();
        let handle = tokio::runtime::Handle::try_current().ok();
        let shared = Arc::new(Shared::new(base.clone(), handle));
        Mock::given(path_regex(r"^/oauth2/([A-Za-z0-9]+/)?v1/token$"))
            .respond_with(token_endpoint::TokenEndpoint(Arc::clone(&shared)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(discovery::PATHS))
            .respond_with(discovery::Discovery(Arc::clone(&shared)))
            .mount(&server)
            .await;
        Mock::given(mounted::MountedMatch(Arc::clone(&shared)))
            .respond_with(mounted::MountedEndpoint(Arc::clone(&shared)))
            .with_priority(1) // before every built-in route
            .mount(&server)
            .await;
        Mock::given(path_regex(admin::PATHS))
            .respond_with(admin::AdminEndpoint(Arc::clone(&shared)))
            .with_priority(4) // before the rest of `/api/v1/`
            .mount(&server)
            .await;
        Mock::given(path_regex(r"^/api/v1/"))
            .respond_with(api::ApiEndpoint(Arc::clone(&shared)))
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(api::Fallback(Arc::clone(&shared)))
            .with_priority(u8::MAX)
            .mount(&server)
            .await;
        // wiremock's uri is always `http://{loopback ip}:{port}`, which
        // `OrgUrl` accepts.
        let org = OrgUrl::parse(&base)
            .unwrap_or_else(|_| unreachable!("a loopback http url is a valid org url"));
        Self {
            server,
            shared,
            org,
        }
    }

    /// The base URI, `http://127.0.0.1:{port}` (no trailing slash).
    pub fn uri(&self) -> String {
        self.shared.base.clone()
    }

    /// The org URL of the fake org.
    pub fn org_url(&self) -> OrgUrl {
        self.org.clone()
    }

    /// The token endpoint of the org authorization server,
    /// `{uri}/oauth2/v1/token`.
    pub fn token_endpoint(&self) -> Url {
        self.org.token_endpoint()
    }

    /// Registers an API token, accepted as `Authorization: SSWS {token}`.
    pub fn register_api_token(&self, token: impl Into<String>) {
        let (token, now) = (token.into(), self.shared.now());
        let mut state = self.shared.lock();
        admin::api_token_registered(&mut state, &token, now);
        state.api_tokens.insert(token);
    }

    /// Registers an API service app. Fails with [`Error::Key`] as Okta
    /// does when adding keys: RSA keys under [`MIN_RSA_BITS`], curves other
    /// than P-256/P-384, duplicate `kid`s, more than [`MAX_KEYS`] keys.
    /// Registering a client id again replaces the app.
    ///
    /// The app is active, holds a grant (issuer: the org) for each of its
    /// `okta.*` scopes and the admin role [`DEFAULT_ADMIN_ROLE`] (unless
    /// [`ServiceApp::without_admin_role`]), and the management routes
    /// manage it like an app registered through the API.
    pub fn register_service_app(&self, mut app: ServiceApp) -> Result<(), Error> {
        app.validate()?;
        admin::adopt(&mut app, &self.shared.base, self.shared.now());
        self.shared.lock().apps.insert(app.client_id.clone(), app);
        Ok(())
    }

    /// Registers a client of custom authorization server `server_id` that
    /// authenticates with `client_secret_basic` and may get `scopes`. The
    /// server must be registered. (Secrets are refused on the org
    /// authorization server, as by Okta.)
    pub fn register_secret_client<I, S>(
        &self,
        server_id: &str,
        client_id: impl Into<String>,
        secret: impl Into<String>,
        scopes: I,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut state = self.shared.lock();
        let server = state
            .custom_servers
            .get_mut(server_id)
            .ok_or_else(|| custom_server::not_registered(server_id))?;
        server.clients.insert(
            client_id.into(),
            SecretClient {
                secret: SecretString::from(secret.into()),
                scopes: scopes.into_iter().map(Into::into).collect(),
            },
        );
        Ok(())
    }

    /// Makes DPoP resource requests (`/api/v1/…`) demand the current nonce:
    /// without it they get `401` with `WWW-Authenticate: DPoP
    /// error="use_dpop_nonce"` and a `DPoP-Nonce` header. Okta's management
    /// API does not do this today. Defaults to `false`.
    pub fn require_resource_nonce(&self, require: bool) {
        self.shared.lock().require_resource_nonce = require;
    }

    /// The DPoP nonce proofs must carry now.
    pub fn current_nonce(&self) -> String {
        self.shared.lock().nonce.clone()
    }

    /// Replaces the DPoP nonce; proofs with the old one get
    /// `use_dpop_nonce` from now on. Returns the new nonce.
    pub fn rotate_nonce(&self) -> String {
        let nonce = new_nonce();
        self.shared.lock().nonce = nonce.clone();
        nonce
    }

    /// How many token requests spoke for `client_id` (faulted and rejected
    /// ones included).
    pub fn token_requests(&self, client_id: &str) -> usize {
        self.shared
            .lock()
            .token_requests
            .get(client_id)
            .copied()
            .unwrap_or(0)
    }

    /// How many management API requests arrived (rejected and faulted ones
    /// included).
    pub fn api_requests(&self) -> usize {
        self.shared.lock().api_requests
    }

    /// Gives each endpoint family of the management API a real rate-limit
    /// bucket of `limit_per_window` requests per `window` (rounded up to
    /// whole seconds; [`OKTA_RATE_WINDOW`] is Okta's minute): answers carry
    /// its `X-Rate-Limit-Limit`, `-Remaining` (after this request) and
    /// `-Reset` (the window's end, in Unix seconds of the fake org's clock),
    /// and an empty bucket answers `429` with Okta's `E0000047` document
    /// until the reset. See the [module docs](self) for the rules. Setting it
    /// again starts every bucket afresh. Without it (the default) nothing is
    /// limited and answers report [`RATE_LIMIT`].
    pub fn rate_limit(&self, limit_per_window: u64, window: std::time::Duration) {
        self.shared.lock().buckets = Some(rate_bucket::Buckets::new(limit_per_window, window));
    }

    /// How many management API requests the rate-limit buckets
    /// ([`MockOkta::rate_limit`]) answered with `429` (injected
    /// [`Fault::RateLimited`] answers not included).
    pub fn rate_limited_requests(&self) -> usize {
        self.shared.lock().rate_limited
    }

    /// The last [`RECEIVED_LIMIT`] requests the fake org answered, oldest
    /// first.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().received.iter().cloned().collect()
    }

    /// Expires every access token issued so far: the API answers them with
    /// 401.
    pub fn expire_all_tokens(&self) {
        let now = self.shared.now();
        for token in self.shared.lock().issued.values_mut() {
            token.expires_at = token.expires_at.min(now);
        }
    }

    /// Revokes an issued access token or a registered API token, given its
    /// secret; `false` if the org knew no such token.
    pub fn revoke(&self, token_secret: &str) -> bool {
        let mut state = self.shared.lock();
        let api = state.api_tokens.remove(token_secret);
        let issued = match state.issued.get_mut(token_secret) {
            Some(token) => {
                token.revoked = true;
                true
            }
            None => false,
        };
        api || issued
    }

    /// Answers the next `n` token requests (any client, any authorization
    /// server) with `fault`, after those already queued.
    pub fn fail_next_token_requests(&self, n: usize, fault: Fault) {
        let mut state = self.shared.lock();
        state.token_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Answers the next `n` management API requests with `fault`, after
    /// those already queued.
    pub fn fail_next_api_requests(&self, n: usize, fault: Fault) {
        let mut state = self.shared.lock();
        state.api_faults.extend(std::iter::repeat_n(fault, n));
    }
}

impl fmt::Debug for MockOkta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockOkta")
            .field("uri", &self.shared.base)
            .field("server", &self.server.address())
            .finish_non_exhaustive()
    }
}
