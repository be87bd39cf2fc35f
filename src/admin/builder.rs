//! [`OktaAdminBuilder`]: how an [`OktaAdmin`] is made — its constructors,
//! the builder's settings and their defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::client::{Inner, OktaAdmin};
use crate::cache::CachingTokenSource;
use crate::error::Error;
use crate::org::OrgUrl;
use crate::request::{self, RateLimitRetry};
use crate::token::TokenSource;

/// The timeout of one management request with the client the builder
/// makes: 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times one management request is retried after a `429`: 2, as
/// in Okta's SDKs (and `OktaRateLimit`).
pub const DEFAULT_RATE_LIMIT_RETRIES: u32 = request::DEFAULT_MAX_RETRIES;

/// The longest wait before one retry after a `429`, whatever the server
/// says: a minute, Okta's window (and `OktaRateLimit`'s). Up to a second of
/// random jitter comes on top.
pub const DEFAULT_RATE_LIMIT_MAX_WAIT: Duration = request::DEFAULT_MAX_WAIT;

/// Builds an [`OktaAdmin`]; see [`OktaAdmin::builder`].
pub struct OktaAdminBuilder {
    org: OrgUrl,
    source: Arc<dyn TokenSource>,
    source_type: &'static str,
    http: Option<reqwest::Client>,
    timeout: Duration,
    retry: RateLimitRetry,
}

impl OktaAdmin {
    /// Management calls to `org_url` with tokens from `source`, with the
    /// defaults (see [`builder`](Self::builder)). Fails only if the default
    /// HTTP client cannot be built.
    pub fn new<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> Result<Self, Error> {
        Self::builder(org_url, source).build()
    }

    /// Starts a builder for management calls to `org_url` with tokens from
    /// `source`: an [`ApiTokenSource`](crate::ApiTokenSource) of an admin,
    /// or a service app holding the management scopes and an admin role. A
    /// source that is not cached already ([`TokenSource::is_cached`]) is
    /// wrapped in a [`CachingTokenSource`] with the default policy, as
    /// `OktaAuth::new` does.
    pub fn builder<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> OktaAdminBuilder {
        let (source, source_type): (Arc<dyn TokenSource>, &'static str) = if source.is_cached() {
            (Arc::new(source), std::any::type_name::<S>())
        } else {
            (
                Arc::new(CachingTokenSource::new(source)),
                std::any::type_name::<CachingTokenSource<S>>(),
            )
        };
        OktaAdminBuilder {
            org: org_url,
            source,
            source_type,
            http: None,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RateLimitRetry {
                max_retries: DEFAULT_RATE_LIMIT_RETRIES,
                max_wait: DEFAULT_RATE_LIMIT_MAX_WAIT,
                ..RateLimitRetry::default()
            },
        }
    }
}

impl OktaAdminBuilder {
    /// Uses your own `reqwest::Client` (proxies, TLS roots, timeouts) for
    /// the management calls and provisioning's proving token fetch.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the
    /// calls follow the org's redirects themselves (within the org with a
    /// fresh DPoP proof, elsewhere without credentials), and a token request
    /// must not follow any. Its own timeouts apply; the
    /// [`timeout`](Self::timeout) setting is for the client made here. Every
    /// call carries `User-Agent:` [`USER_AGENT`](crate::USER_AGENT), which
    /// replaces one set on the client. Defaults to a client that follows no
    /// redirects, with a timeout of [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The timeout of each request (from sending to the end of the body)
    /// of the client made by [`build`](Self::build); a client of your own
    /// keeps its own. Defaults to [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times one call is retried after a `429`; `0` turns
    /// retrying off (a `429` is then [`Error::RateLimited`] at once).
    /// Defaults to [`DEFAULT_RATE_LIMIT_RETRIES`].
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The longest wait before one retry after a `429`, whatever the server
    /// says (up to a second of random jitter comes on top). Defaults to
    /// [`DEFAULT_RATE_LIMIT_MAX_WAIT`].
    pub fn rate_limit_max_wait(mut self, max_wait: Duration) -> Self {
        self.retry.max_wait = max_wait;
        self
    }

    /// Builds the admin. Fails with [`Error::Config`] for a zero timeout,
    /// or [`Error::Transport`] when the default HTTP client cannot be
    /// built.
    pub fn build(self) -> Result<OktaAdmin, Error> {
        if self.timeout.is_zero() {
            return Err(Error::Config("the timeout must be more than zero".into()));
        }
        let http = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout)
                .build()
                .map_err(Error::transport)?,
        };
        Ok(OktaAdmin {
            inner: Arc::new(Inner {
                org: self.org,
                source: self.source,
                source_type: self.source_type,
                http,
                retry: self.retry,
            }),
        })
    }
}

impl fmt::Debug for OktaAdminBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAdminBuilder")
            .field("org", &self.org)
            .field("source", &self.source_type)
            .field("http_client", &self.http.is_some())
            .field("timeout", &self.timeout)
            .field("rate_limit_retries", &self.retry.max_retries)
            .field("rate_limit_max_wait", &self.retry.max_wait)
            .finish_non_exhaustive()
    }
}
