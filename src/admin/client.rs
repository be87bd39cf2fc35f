//! [`OktaAdmin`]: the handle every management call goes through — the
//! org, the token source and the HTTP client it shares with its clones.
//! Building one is in `builder`; the request path in `call`.

use std::fmt;
use std::sync::Arc;

use crate::org::OrgUrl;
use crate::request::RateLimitRetry;
use crate::token::TokenSource;

/// The Okta management API for service apps, over any [`TokenSource`]:
/// register clients, manage apps, their keys, scope grants and admin roles,
/// API tokens, and provision a ready service app in one call
/// ([`create_service_app`](Self::create_service_app)). See the
/// [module docs](crate::admin) for what every call does.
///
/// Cloning is cheap; clones share the source (and its cache) and the HTTP
/// client.
///
/// ```no_run
/// use okta_auth::admin::{AdminRole, ServiceAppSpec};
/// use okta_auth::{ApiTokenSource, OktaAdmin, OrgUrl};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let org: OrgUrl = "https://example.okta.com".parse()?;
/// let admin = OktaAdmin::new(org, ApiTokenSource::new(std::env::var("OKTA_CLIENT_TOKEN")?)?)?;
/// let app = admin
///     .create_service_app(
///         ServiceAppSpec::new("orders-sync")
///             .scopes(["okta.users.read"])
///             .roles([AdminRole::ReadOnlyAdmin]),
///     )
///     .await?;
/// println!("client id {}", app.client_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OktaAdmin {
    pub(super) inner: Arc<Inner>,
}

/// What the clones of one [`OktaAdmin`] share.
pub(super) struct Inner {
    pub(super) org: OrgUrl,
    pub(super) source: Arc<dyn TokenSource>,
    /// The type of `source` as held here, for `Debug`.
    pub(super) source_type: &'static str,
    pub(super) http: reqwest::Client,
    pub(super) retry: RateLimitRetry,
}

impl OktaAdmin {
    /// The org managed.
    pub fn org_url(&self) -> &OrgUrl {
        &self.inner.org
    }

    /// The HTTP client the calls (and provisioning's proving token fetch)
    /// go through.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
}

impl fmt::Debug for OktaAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAdmin")
            .field("org", &self.inner.org)
            .field("source", &self.inner.source_type)
            .field("rate_limit_retries", &self.inner.retry.max_retries)
            .field("rate_limit_max_wait", &self.inner.retry.max_wait)
            .finish_non_exhaustive()
    }
}
