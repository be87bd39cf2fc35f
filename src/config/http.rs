//! The one HTTP client of an [`OktaConfig`]: built from the connection
//! settings (proxy with basic auth, connect and request timeouts, a
//! redirect policy that stops at the org), shared by the token source and
//! the middleware, or the caller's own client, which wins.
//!
//! Building a client loads the TLS root store, a noticeable part of a
//! program's first call, so the client is built once per configuration and
//! handed out as clones (which share the connection pool): the config
//! remembers the client and the settings it was built from, and builds
//! again only when those settings change.

use std::sync::{Arc, Mutex, PoisonError};

use secrecy::ExposeSecret;

use super::OktaConfig;
use super::connection::Connection;
use crate::error::Error;
use crate::org::OrgUrl;

/// The client built last, and what it was built from.
#[derive(Clone, Default)]
pub(super) struct Built(Arc<Mutex<Option<(OrgUrl, Connection, reqwest::Client)>>>);

impl OktaConfig {
    /// Uses your own `reqwest::Client` for token requests and (through
    /// [`client`](Self::client)) API requests: your TLS roots (a custom CA),
    /// proxy, resolver and pool.
    ///
    /// The client wins: the proxy and timeout settings (from files, the
    /// environment or setters) are not applied to it, and a `tracing`
    /// warning names those that are set (never their values) whenever the
    /// client is put to use. Build it with
    /// `redirect(reqwest::redirect::Policy::none())`: a token request must
    /// not follow redirects (see
    /// [`ServiceAppSourceBuilder::http_client`](crate::ServiceAppSourceBuilder::http_client)).
    /// Defaults to a client built from the settings
    /// ([`reqwest_client`](Self::reqwest_client)).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The HTTP client for requests to the org: the caller's
    /// ([`http_client`](Self::http_client)), or one built from the
    /// settings and shared with [`token_source`](Self::token_source) and
    /// [`client`](Self::client) (clones share one connection pool and TLS
    /// root store). The built client has:
    ///
    /// - the proxy, if one is set, for every request, with basic
    ///   authentication if a username is set; without one, reqwest's
    ///   system proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`);
    /// - the connect timeout
    ///   ([`DEFAULT_CONNECTION_TIMEOUT`](super::DEFAULT_CONNECTION_TIMEOUT)
    ///   unless set; `0`: none) and the request timeout
    ///   ([`DEFAULT_REQUEST_TIMEOUT`](super::DEFAULT_REQUEST_TIMEOUT) unless
    ///   set; `0`: none);
    /// - a redirect policy that stops at a redirect from the org, as
    ///   [`OktaAuth::redirect_policy`](crate::OktaAuth::redirect_policy)
    ///   does: [`OktaAuth`](crate::OktaAuth) follows those itself without
    ///   leaking credentials, and a token request never follows one.
    ///
    /// Fails with [`Error::Config`] for an invalid org URL or connection
    /// setting, naming the setting and its origin, never its value.
    pub fn reqwest_client(&self) -> Result<reqwest::Client, Error> {
        self.http(&self.org()?)
    }

    /// The client for `org`: the caller's (warning about the settings it
    /// cannot honour), or the shared one.
    pub(super) fn http(&self, org: &OrgUrl) -> Result<reqwest::Client, Error> {
        if let Some(client) = &self.http_client {
            let ignored = self.connection_origins();
            if !ignored.is_empty() {
                tracing::warn!(
                    ignored = %ignored.join(", "),
                    "OktaConfig was given an http client, which wins: these settings are not \
                     applied to it: {}; configure that client instead",
                    ignored.join(", "),
                );
            }
            return Ok(client.clone());
        }
        let connection = self.connection()?;
        // A poisoned lock only means a thread panicked while building: the
        // slot holds a complete client or none.
        let mut built = self.built.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((built_org, built_connection, client)) = &*built
            && built_org == org
            && *built_connection == connection
        {
            return Ok(client.clone());
        }
        let client = build(org, &connection)?;
        *built = Some((org.clone(), connection, client.clone()));
        Ok(client)
    }
}

fn build(org: &OrgUrl, connection: &Connection) -> Result<reqwest::Client, Error> {
    let org = org.clone();
    let redirects = crate::request::redirect_policy(move |url| org.is_same_origin(url));
    let mut builder = reqwest::Client::builder().redirect(redirects);
    if let Some(timeout) = connection.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = connection.request_timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(spec) = &connection.proxy {
        let mut proxy = reqwest::Proxy::all(spec.url.clone())
            .map_err(|_| Error::Config("the proxy url is not usable".into()))?;
        if let Some((user, password)) = &spec.auth {
            proxy = proxy.basic_auth(user, password.expose_secret());
        }
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(Error::transport)
}
