//! [`Sources`]: where [`OktaConfig::load`] reads from, and the
//! `OKTA_CLIENT_*` environment variables it reads.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::OktaConfig;
use super::connection::Raw;
use super::hints::Hint;
use super::names::{ENV_PREFIX, Name};
use super::private_key::KeyValue;
use super::setting::{Origin, Setting, overlay, scopes};

/// `OKTA_CLIENT_ORGURL`: the org URL.
pub const ENV_ORG_URL: &str = "OKTA_CLIENT_ORGURL";
/// `OKTA_CLIENT_AUTHORIZATIONMODE`: `SSWS` or `PrivateKey`.
pub const ENV_AUTHORIZATION_MODE: &str = "OKTA_CLIENT_AUTHORIZATIONMODE";
/// `OKTA_CLIENT_TOKEN`: an API token.
pub const ENV_TOKEN: &str = "OKTA_CLIENT_TOKEN";
/// `OKTA_CLIENT_CLIENTID`: a service app's client id.
pub const ENV_CLIENT_ID: &str = "OKTA_CLIENT_CLIENTID";
/// `OKTA_CLIENT_SCOPES`: scopes, comma- or space-separated (none at all, as
/// in `,`, is unset).
pub const ENV_SCOPES: &str = "OKTA_CLIENT_SCOPES";
/// `OKTA_CLIENT_PRIVATEKEY`: PEM or JWK text, or the path of a file holding it.
pub const ENV_PRIVATE_KEY: &str = "OKTA_CLIENT_PRIVATEKEY";
/// `OKTA_CLIENT_PRIVATEKEYID`: the `kid` of the private key, when the key
/// does not carry one.
pub const ENV_PRIVATE_KEY_ID: &str = "OKTA_CLIENT_PRIVATEKEYID";
/// `OKTA_CLIENT_PROXY_HOST`: the proxy's host name or address, or its URL.
pub const ENV_PROXY_HOST: &str = "OKTA_CLIENT_PROXY_HOST";
/// `OKTA_CLIENT_PROXY_PORT`: the proxy's port.
pub const ENV_PROXY_PORT: &str = "OKTA_CLIENT_PROXY_PORT";
/// `OKTA_CLIENT_PROXY_USERNAME`: the proxy's basic-auth username.
pub const ENV_PROXY_USERNAME: &str = "OKTA_CLIENT_PROXY_USERNAME";
/// `OKTA_CLIENT_PROXY_PASSWORD`: the proxy's basic-auth password.
pub const ENV_PROXY_PASSWORD: &str = "OKTA_CLIENT_PROXY_PASSWORD";
/// `OKTA_CLIENT_CONNECTION_TIMEOUT` (also read as
/// `OKTA_CLIENT_CONNECTIONTIMEOUT`): the connect timeout in seconds.
pub const ENV_CONNECTION_TIMEOUT: &str = "OKTA_CLIENT_CONNECTION_TIMEOUT";
/// `OKTA_CLIENT_REQUEST_TIMEOUT` (also read as `OKTA_CLIENT_REQUESTTIMEOUT`):
/// the request timeout in seconds.
pub const ENV_REQUEST_TIMEOUT: &str = "OKTA_CLIENT_REQUEST_TIMEOUT";
/// `OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES` (also read as
/// `OKTA_CLIENT_RATELIMIT_MAXRETRIES`): retries after a `429`.
pub const ENV_RATE_LIMIT_MAX_RETRIES: &str = "OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES";
/// `OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF` (also read as
/// `OKTA_CLIENT_RATELIMIT_MAXBACKOFF`): the longest wait before a retry, in
/// seconds.
pub const ENV_RATE_LIMIT_MAX_BACKOFF: &str = "OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF";

/// Where [`OktaConfig::load`] reads from: a home directory, a current
/// directory and environment variables. [`Sources::system`] is the real
/// process; tests build their own so they never touch the real home or
/// environment.
#[derive(Clone, Default)]
pub struct Sources {
    pub(super) home_dir: Option<PathBuf>,
    pub(super) current_dir: Option<PathBuf>,
    /// Values held as secrets: `OKTA_CLIENT_TOKEN`,
    /// `OKTA_CLIENT_PRIVATEKEY` and `OKTA_CLIENT_PROXY_PASSWORD` are among
    /// them.
    pub(super) vars: HashMap<String, SecretString>,
}

impl Sources {
    /// No files, no variables.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The process's home directory (`HOME`, or `USERPROFILE` on Windows),
    /// current directory and `OKTA_CLIENT_*` environment variables (in any
    /// case, so that `okta_client_orgurl` gets a hint).
    pub fn system() -> Self {
        let home_dir = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(PathBuf::from);
        let vars = std::env::vars()
            .filter(|(k, _)| {
                k.get(..ENV_PREFIX.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
            })
            .map(|(k, v)| (k, SecretString::from(v)))
            .collect();
        Self {
            home_dir,
            current_dir: std::env::current_dir().ok(),
            vars,
        }
    }

    /// Reads `~/.okta/okta.yaml` under this home directory. Defaults to none:
    /// no home file is read.
    pub fn home_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.home_dir = Some(dir.into());
        self
    }

    /// Reads `./okta.yaml` in this directory, against which relative key
    /// file paths are resolved. Defaults to none: no project file is read.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Sets an environment variable. Defaults to none set.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars
            .insert(name.into(), SecretString::from(value.into()));
        self
    }

    /// A variable that is not a secret (an org URL, a client id).
    fn get(&self, name: &'static str) -> Option<Setting<String>> {
        self.get_secret(name).map(|s| Setting {
            value: s.value.expose_secret().to_owned(),
            origin: s.origin,
        })
    }

    /// The first of `names` that is set, not a secret; warns when more
    /// than one is.
    fn get_any(&self, names: &'static [&'static str]) -> Option<Setting<String>> {
        let mut set = names.iter().filter_map(|name| self.get(name));
        let first = set.next()?;
        for other in set {
            tracing::warn!(
                used = %first.origin,
                ignored = %other.origin,
                "both {} and {} are set: the first is used",
                first.origin,
                other.origin,
            );
        }
        Some(first)
    }

    /// A variable that is a secret (a token, a key), never copied out of
    /// its holder.
    pub(super) fn get_secret(&self, name: &'static str) -> Option<Setting<SecretString>> {
        self.vars
            .get(name)
            .filter(|v| !v.expose_secret().trim().is_empty())
            .map(|v| Setting {
                value: v.clone(),
                origin: Origin::Env(name),
            })
    }
}

/// Names only: the variables hold tokens and keys.
impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Sources")
            .field("home_dir", &self.home_dir)
            .field("current_dir", &self.current_dir)
            .field("vars", &names)
            .finish()
    }
}

impl OktaConfig {
    /// Overlays the variables on what the files said.
    pub(super) fn merge_env(&mut self, sources: &Sources) {
        overlay(&mut self.org_url, sources.get(ENV_ORG_URL));
        overlay(&mut self.mode, sources.get(ENV_AUTHORIZATION_MODE));
        overlay(&mut self.token, sources.get_secret(ENV_TOKEN));
        overlay(&mut self.client_id, sources.get(ENV_CLIENT_ID));
        overlay(
            &mut self.scopes,
            sources
                .get(ENV_SCOPES)
                .and_then(|s| scopes([s.value.as_str()], s.origin)),
        );
        overlay(
            &mut self.private_key,
            sources.get_secret(ENV_PRIVATE_KEY).map(|s| Setting {
                value: KeyValue::Text(s.value),
                origin: s.origin,
            }),
        );
        overlay(&mut self.private_key_id, sources.get(ENV_PRIVATE_KEY_ID));
        overlay(&mut self.proxy_host, sources.get(ENV_PROXY_HOST));
        overlay(&mut self.proxy_port, raw(sources.get(ENV_PROXY_PORT)));
        overlay(&mut self.proxy_username, sources.get(ENV_PROXY_USERNAME));
        overlay(
            &mut self.proxy_password,
            sources.get_secret(ENV_PROXY_PASSWORD),
        );
        let any = |key: Name| sources.get_any(key.env());
        overlay(
            &mut self.connection_timeout,
            raw(any(Name::ConnectionTimeout)),
        );
        overlay(&mut self.request_timeout, raw(any(Name::RequestTimeout)));
        overlay(&mut self.max_retries, raw(any(Name::MaxRetries)));
        overlay(&mut self.max_backoff, raw(any(Name::MaxBackoff)));

        let mut names: Vec<&String> = sources.vars.keys().collect();
        names.sort_unstable();
        for name in names {
            if let Some(hint) = Hint::env(name) {
                self.hint(hint);
            }
        }
    }
}

/// Text to check when used.
pub(super) fn raw<T>(setting: Option<Setting<String>>) -> Option<Setting<Raw<T>>> {
    setting.map(|s| Setting {
        value: Raw::Text(s.value),
        origin: s.origin,
    })
}
