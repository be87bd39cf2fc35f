//! [`Sources`]: where [`OktaConfig::load`] reads from, and the
//! `OKTA_CLIENT_*` environment variables it reads.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::OktaConfig;
use super::setting::{Origin, Setting, overlay, split_scopes};

/// `OKTA_CLIENT_ORGURL`: the org URL.
pub const ENV_ORG_URL: &str = "OKTA_CLIENT_ORGURL";
/// `OKTA_CLIENT_AUTHORIZATIONMODE`: `SSWS` or `PrivateKey`.
pub const ENV_AUTHORIZATION_MODE: &str = "OKTA_CLIENT_AUTHORIZATIONMODE";
/// `OKTA_CLIENT_TOKEN`: an API token.
pub const ENV_TOKEN: &str = "OKTA_CLIENT_TOKEN";
/// `OKTA_CLIENT_CLIENTID`: a service app's client id.
pub const ENV_CLIENT_ID: &str = "OKTA_CLIENT_CLIENTID";
/// `OKTA_CLIENT_SCOPES`: scopes, comma- or space-separated.
pub const ENV_SCOPES: &str = "OKTA_CLIENT_SCOPES";
/// `OKTA_CLIENT_PRIVATEKEY`: PEM or JWK text, or the path of a file holding it.
pub const ENV_PRIVATE_KEY: &str = "OKTA_CLIENT_PRIVATEKEY";
/// `OKTA_CLIENT_PRIVATEKEYID`: the `kid` of the private key.
pub const ENV_PRIVATE_KEY_ID: &str = "OKTA_CLIENT_PRIVATEKEYID";

/// Where [`OktaConfig::load`] reads from: a home directory, a current
/// directory and environment variables. [`Sources::system`] is the real
/// process; tests build their own so they never touch the real home or
/// environment.
#[derive(Clone, Default)]
pub struct Sources {
    pub(super) home_dir: Option<PathBuf>,
    pub(super) current_dir: Option<PathBuf>,
    /// Values held as secrets: `OKTA_CLIENT_TOKEN` and
    /// `OKTA_CLIENT_PRIVATEKEY` are among them.
    pub(super) vars: HashMap<String, SecretString>,
}

impl Sources {
    /// No files, no variables.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The process's home directory (`HOME`, or `USERPROFILE` on Windows),
    /// current directory and `OKTA_CLIENT_*` environment variables.
    pub fn system() -> Self {
        let home_dir = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(PathBuf::from);
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("OKTA_CLIENT_"))
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
            sources.get(ENV_SCOPES).map(|s| Setting {
                value: split_scopes(&s.value),
                origin: s.origin,
            }),
        );
        overlay(&mut self.private_key, sources.get_secret(ENV_PRIVATE_KEY));
        overlay(&mut self.private_key_id, sources.get(ENV_PRIVATE_KEY_ID));
    }
}
