//! The connection settings Okta's SDKs read: the proxy (host, port,
//! username, password), the connection and request timeouts (seconds),
//! and the rate-limit retries and longest wait. Their setters, and their
//! values checked into a [`Connection`] for the HTTP client.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::OktaConfig;
use super::names::Name;
use super::setting::{Setting, code};
use crate::error::Error;

/// The connect timeout of the client [`OktaConfig`] builds when
/// `connectionTimeout` is not set: 30 seconds, as in the `okta.yaml` that
/// Okta's SDKs document.
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The request timeout (from sending to the end of the body) of the client
/// [`OktaConfig`] builds when `requestTimeout` is not set: 30 seconds, the
/// same as a token request's
/// ([`DEFAULT_TOKEN_REQUEST_TIMEOUT`](crate::service_app::DEFAULT_TOKEN_REQUEST_TIMEOUT)).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A value as written (text from a file or variable, checked when used) or
/// as given in code.
#[derive(Clone)]
pub(super) enum Raw<T> {
    Text(String),
    Value(T),
}

/// Values are not secrets (the password is not a `Raw`).
impl<T: fmt::Debug> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Text(text) => text.fmt(f),
            Raw::Value(value) => value.fmt(f),
        }
    }
}

/// The connection settings, checked.
pub(super) struct Connection {
    pub(super) proxy: Option<ProxySpec>,
    /// `None`: no timeout (`0` in the settings).
    pub(super) connect_timeout: Option<Duration>,
    /// `None`: no timeout (`0` in the settings).
    pub(super) request_timeout: Option<Duration>,
}

/// A proxy for every request: its URL and basic credentials.
pub(super) struct ProxySpec {
    pub(super) url: Url,
    pub(super) auth: Option<(String, SecretString)>,
}

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        self.proxy == other.proxy
            && self.connect_timeout == other.connect_timeout
            && self.request_timeout == other.request_timeout
    }
}

impl PartialEq for ProxySpec {
    fn eq(&self, other: &Self) -> bool {
        let auth = |a: &Option<(String, SecretString)>| {
            a.as_ref()
                .map(|(u, p)| (u.clone(), p.expose_secret().to_owned()))
        };
        self.url == other.url && auth(&self.auth) == auth(&other.auth)
    }
}

impl OktaConfig {
    /// Sends every request through the HTTP proxy on this host: a name or
    /// address (`proxy.example.com`, with the [port](Self::proxy_port)), or
    /// a URL (`http://proxy.example.com:3128`). Overrides files and
    /// environment. Defaults to what they say, and without a proxy setting
    /// to reqwest's: the system proxy variables (`HTTPS_PROXY`, `NO_PROXY`,
    /// …).
    pub fn proxy_host(mut self, host: impl Into<String>) -> Self {
        self.proxy_host = Some(code(host.into(), "proxy_host"));
        self
    }

    /// The proxy's port. Overrides files and environment. Defaults to what
    /// they say (required with a proxy host that has no port).
    pub fn proxy_port(mut self, port: u16) -> Self {
        self.proxy_port = Some(code(Raw::Value(port), "proxy_port"));
        self
    }

    /// The proxy's username (basic authentication). Overrides files and
    /// environment. Defaults to what they say.
    pub fn proxy_username(mut self, username: impl Into<String>) -> Self {
        self.proxy_username = Some(code(username.into(), "proxy_username"));
        self
    }

    /// The proxy's password (basic authentication), held as a secret.
    /// Overrides files and environment. Defaults to what they say.
    pub fn proxy_password(mut self, password: impl Into<String>) -> Self {
        self.proxy_password = Some(code(SecretString::from(password.into()), "proxy_password"));
        self
    }

    /// How long connecting (TCP and TLS) may take; [`Duration::ZERO`] for no
    /// limit. Overrides files and environment. Defaults to what they say,
    /// else [`DEFAULT_CONNECTION_TIMEOUT`].
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = Some(code(Raw::Value(timeout), "connection_timeout"));
        self
    }

    /// How long one request may take, from sending to the end of the body;
    /// [`Duration::ZERO`] for no limit on API requests (token requests then
    /// keep [`DEFAULT_TOKEN_REQUEST_TIMEOUT`](crate::service_app::DEFAULT_TOKEN_REQUEST_TIMEOUT)).
    /// Overrides files and environment. Defaults to what they say, else
    /// [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(code(Raw::Value(timeout), "request_timeout"));
        self
    }

    /// How many times [`client`](Self::client)'s
    /// [`OktaRateLimit`](crate::OktaRateLimit) retries a `429`; `0` turns
    /// retrying off. Overrides files and environment. Defaults to what they
    /// say, else
    /// [`OktaRateLimit::DEFAULT_MAX_RETRIES`](crate::OktaRateLimit::DEFAULT_MAX_RETRIES).
    pub fn rate_limit_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(code(Raw::Value(retries), "rate_limit_max_retries"));
        self
    }

    /// The longest wait before one retry of a `429`
    /// ([`OktaRateLimit::max_wait`](crate::OktaRateLimit::max_wait)).
    /// Overrides files and environment. Defaults to what they say, else
    /// [`OktaRateLimit::DEFAULT_MAX_WAIT`](crate::OktaRateLimit::DEFAULT_MAX_WAIT).
    pub fn rate_limit_max_backoff(mut self, max: Duration) -> Self {
        self.max_backoff = Some(code(Raw::Value(max), "rate_limit_max_backoff"));
        self
    }

    /// The proxy and timeouts, checked.
    pub(super) fn connection(&self) -> Result<Connection, Error> {
        let seconds = |s: &Option<Setting<Raw<Duration>>>, default| match s {
            None => Ok(Some(default)),
            Some(s) => s.seconds().map(|d| Some(d).filter(|d| !d.is_zero())),
        };
        Ok(Connection {
            proxy: self.proxy()?,
            connect_timeout: seconds(&self.connection_timeout, DEFAULT_CONNECTION_TIMEOUT)?,
            request_timeout: seconds(&self.request_timeout, DEFAULT_REQUEST_TIMEOUT)?,
        })
    }

    /// The rate-limit settings, checked: retries and the longest wait.
    #[cfg(feature = "middleware")]
    pub(super) fn rate_limit_settings(&self) -> Result<(Option<u32>, Option<Duration>), Error> {
        let retries = match &self.max_retries {
            None => None,
            Some(s) => Some(match &s.value {
                Raw::Value(n) => *n,
                Raw::Text(text) => text
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| s.error("must be a whole number of retries, such as 2"))?,
            }),
        };
        let backoff = self
            .max_backoff
            .as_ref()
            .map(Setting::seconds)
            .transpose()?;
        Ok((retries, backoff))
    }

    /// The origins of the connection settings that are set: what a caller's
    /// client cannot honour.
    pub(super) fn connection_origins(&self) -> Vec<String> {
        fn origin<T>(s: &Option<Setting<T>>) -> Option<String> {
            s.as_ref().map(|s| s.origin.to_string())
        }
        [
            origin(&self.proxy_host),
            origin(&self.proxy_port),
            origin(&self.proxy_username),
            origin(&self.proxy_password),
            origin(&self.connection_timeout),
            origin(&self.request_timeout),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn proxy(&self) -> Result<Option<ProxySpec>, Error> {
        let Some(host) = &self.proxy_host else {
            let stray = [
                self.proxy_port.as_ref().map(|s| &s.origin),
                self.proxy_username.as_ref().map(|s| &s.origin),
                self.proxy_password.as_ref().map(|s| &s.origin),
            ];
            if let Some(origin) = stray.into_iter().flatten().next() {
                return Err(Error::Config(format!(
                    "{origin} is set but no proxy host is: {}{}",
                    Name::ProxyHost.how_to_set(),
                    self.hint_suffix(&[Name::ProxyHost]),
                )));
            }
            return Ok(None);
        };
        let bad_host = || {
            host.error(
                "is not a proxy host: give a host name or address (with a proxy port), or an \
                 http:// or https:// url",
            )
        };
        let text = host.value.trim();
        let explicit_scheme = text.contains("://");
        let mut url = if explicit_scheme {
            Url::parse(text).map_err(|_| bad_host())?
        } else {
            Url::parse(&format!("http://{text}")).map_err(|_| bad_host())?
        };
        let plain = matches!(url.path(), "" | "/") && url.query().is_none();
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !plain {
            return Err(bad_host());
        }
        if let Some(port) = &self.proxy_port {
            let number = match &port.value {
                Raw::Value(n) => Some(*n),
                Raw::Text(text) => text.trim().parse::<u16>().ok(),
            };
            let number = number
                .filter(|n| *n != 0)
                .ok_or_else(|| port.error("must be a port number, 1 to 65535"))?;
            // An http(s) URL with a host takes any port.
            url.set_port(Some(number)).map_err(|()| bad_host())?;
        } else if !explicit_scheme && url.port().is_none() {
            return Err(host.error(format_args!(
                "names no port: {}{}",
                Name::ProxyPort.how_to_set(),
                self.hint_suffix(&[Name::ProxyPort]),
            )));
        }
        let auth = match (&self.proxy_username, &self.proxy_password) {
            (Some(user), password) => Some((
                user.value.clone(),
                password
                    .as_ref()
                    .map(|p| p.value.clone())
                    .unwrap_or_else(|| SecretString::from(String::new())),
            )),
            (None, Some(password)) => {
                return Err(password.error(format_args!(
                    "is set without a proxy username: {}{}",
                    Name::ProxyUsername.how_to_set(),
                    self.hint_suffix(&[Name::ProxyUsername]),
                )));
            }
            (None, None) => None,
        };
        Ok(Some(ProxySpec { url, auth }))
    }
}

impl Setting<Raw<Duration>> {
    /// A number of seconds: whole or with a fraction (`30`, `0.5`).
    fn seconds(&self) -> Result<Duration, Error> {
        match &self.value {
            Raw::Value(d) => Ok(*d),
            Raw::Text(text) => {
                let text = text.trim();
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                let well_formed = match text.split_once('.') {
                    Some((whole, fraction)) => digits(whole) && digits(fraction),
                    None => digits(text),
                };
                well_formed
                    .then(|| text.parse::<f64>().ok())
                    .flatten()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| self.error("must be a number of seconds, such as 30 or 0.5"))
            }
        }
    }
}

/// A proxy host as `Debug` shows it: user info redacted.
pub(super) struct RedactedHost<'a>(pub(super) &'a str);

impl fmt::Debug for RedactedHost<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.rsplit_once('@') {
            Some((_, host)) => write!(f, "\"[redacted]@{host}\""),
            None => write!(f, "{:?}", self.0),
        }
    }
}
