//! [`OktaAdmin`]: the Okta management API for service apps — registering
//! them, their keys, scope grants and admin roles, API tokens — and
//! [`create_service_app`](OktaAdmin::create_service_app), which provisions
//! a least-privilege, DPoP-bound service app in one call.
//!
//! # How it works
//!
//! - **One request path.** A management call is one more authorized
//!   request to the org, sent through the same code as `OktaAuth`'s (the
//!   middleware is not needed): the source's token on the request and on no
//!   other origin; the `401` policy (a new token once, and only if it
//!   differs; a fresh DPoP proof for a nonce or a replayed `jti`; nothing
//!   for a broken proof); every `DPoP-Nonce` remembered; redirects followed
//!   within the org with a fresh proof, elsewhere without credentials (and
//!   an answer from elsewhere is an error, not Okta's answer). A
//!   `429` is waited out by the crate's one rule (`X-Rate-Limit-Reset −
//!   Date + 1 s`, at most [`DEFAULT_RATE_LIMIT_MAX_WAIT`], plus up to a
//!   second of jitter) and retried at most [`DEFAULT_RATE_LIMIT_RETRIES`]
//!   times, with Okta's `X-Okta-Retry-For` and `X-Okta-Retry-Count` and a
//!   fresh proof.
//! - **Who calls.** Any [`TokenSource`](crate::TokenSource): an admin's
//!   API token ([`ApiTokenSource`](crate::ApiTokenSource)), or a service app
//!   ([`ServiceAppSource`](crate::ServiceAppSource)) granted the management
//!   scopes (`okta.clients.manage`, `okta.apps.manage`,
//!   `okta.appGrants.manage`, `okta.roles.manage`; `okta.*.read` to list)
//!   and assigned an admin role. A source that is not cached already is
//!   cached, as `OktaAuth::new` does.
//! - **Every call** carries `User-Agent:` [`USER_AGENT`](crate::USER_AGENT),
//!   runs in a `debug` span `okta_admin_call` (`method`, `path` without the
//!   query, then `status` and `retries`, the authorization retries; never a
//!   credential), reads at most [`MAX_RESPONSE_BYTES`] of an answer, and a
//!   list follows `Link: rel="next"` (a relative target resolved against
//!   the page's URL) within the org, at most [`MAX_PAGES`] pages; a next
//!   link elsewhere, or to a page already fetched, is an
//!   [`Error::MalformedResponse`](crate::Error::MalformedResponse), never
//!   a short list. Ids that go into paths must be Okta ids (letters, digits, `-`,
//!   `_`), so no argument can change the path.
//! - **Errors.** A non-`2xx` answer is the crate's [`Error`](crate::Error):
//!   an [`Error::OAuth`](crate::Error::OAuth) whose
//!   [`OAuthError`](crate::OAuthError) keeps Okta's `errorCode`,
//!   `errorSummary`, `errorLink`, `errorId` and each `errorCauses`
//!   summary (sanitized and capped), never the body; Okta's `403 E0000006`
//!   adds a hint about scopes and roles; a `429` after the retries is
//!   [`Error::RateLimited`](crate::Error::RateLimited).
//! - **Provisioning** ([`ServiceAppSpec`] → [`ProvisionedApp`]): a new key
//!   (P-256 unless asked, `kid` its thumbprint) → registration
//!   (`private_key_jwt`, the public JWK) → the DPoP requirement (the Apps
//!   API's `dpop_bound_access_tokens`, sent explicitly) → one grant per
//!   scope (issuer: the org) → each admin role → a proving token fetch,
//!   retried while a brand-new app races its grants
//!   ([`DEFAULT_PROVE_ATTEMPTS`], [`PROVE_RETRY_DELAY`]). A failure at any
//!   step is an [`Error::Provision`](crate::Error::Provision)
//!   ([`ProvisionError`]) naming the step and the client id; what was made
//!   is deactivated and deleted unless the spec keeps it, and what could
//!   not be removed is listed ([`ProvisionError::left_behind`]).
//! - **Keys** ([`AppKey`]): list, add (active or inactive), get, activate,
//!   deactivate and delete, under Okta's rules (unique `kid`, at most 50,
//!   the last active key stays, only inactive keys are deleted): the steps
//!   of a key rotation.
//! - **Retiring the API token**:
//!   [`revoke_current_api_token`](OktaAdmin::revoke_current_api_token), once
//!   the service app works.

mod api_tokens;
mod apps;
mod builder;
mod call;
mod cleanup;
mod client;
mod error;
mod grants;
mod keys;
mod provision;
mod roles;
mod spec;

pub use api_tokens::ApiTokenInfo;
pub use apps::{App, RegisteredClient, Status};
pub use builder::{
    DEFAULT_RATE_LIMIT_MAX_WAIT, DEFAULT_RATE_LIMIT_RETRIES, DEFAULT_REQUEST_TIMEOUT,
    OktaAdminBuilder,
};
pub use call::{MAX_PAGES, MAX_RESPONSE_BYTES};
pub use client::OktaAdmin;
pub use error::{Cleanup, Leftover, ProvisionError, ProvisionStep};
pub use grants::ScopeGrant;
pub use keys::AppKey;
pub use roles::{AdminRole, RoleAssignment};
pub use spec::{
    DEFAULT_KEEP_ON_FAILURE, DEFAULT_NEW_KEY, DEFAULT_PROVE_ATTEMPTS, DEFAULT_REQUIRE_DPOP, NewKey,
    PROVE_RETRY_DELAY, ProvisionedApp, ServiceAppSpec,
};
