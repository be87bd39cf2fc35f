//! [`OktaConfig`]: settings the way Okta's SDKs read them, from
//! `~/.okta/okta.yaml`, `./okta.yaml`, the environment and code.
//!
//! - [`Sources`] names where to read from: a home directory, a current
//!   directory and the `OKTA_CLIENT_*` variables (`sources`).
//! - `okta.yaml` is read capped, checked for deep nesting by a linear scan
//!   before the YAML parser sees it, and parsed (`yaml`, `yaml_depth`,
//!   `read`).
//! - Each value remembers its [`Origin`], which every error about it names
//!   (`setting`); later layers override earlier ones, setters last.
//! - [`OktaConfig::token_source`] turns the settings into a cached source,
//!   reading a private key given as a path (`private_key`).

mod private_key;
mod read;
mod setting;
mod sources;
mod yaml;
mod yaml_depth;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;
use crate::org::OrgUrl;
use crate::token::TokenSource;
use setting::{Setting, code, missing};

pub use private_key::MAX_KEY_FILE_BYTES;
pub use setting::Origin;
pub use sources::{
    ENV_AUTHORIZATION_MODE, ENV_CLIENT_ID, ENV_ORG_URL, ENV_PRIVATE_KEY, ENV_PRIVATE_KEY_ID,
    ENV_SCOPES, ENV_TOKEN, Sources,
};
pub use yaml::{MAX_CONFIG_FILE_BYTES, MAX_YAML_DEPTH};

/// How the program authenticates to Okta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationMode {
    /// An API token (`SSWS`).
    Ssws,
    /// An API service app with a private key (`private_key_jwt`).
    PrivateKey,
}

impl AuthorizationMode {
    fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            v if v.eq_ignore_ascii_case("SSWS") => Some(Self::Ssws),
            v if v.eq_ignore_ascii_case("PrivateKey") => Some(Self::PrivateKey),
            _ => None,
        }
    }
}

/// Okta settings, merged from (lowest to highest precedence)
/// `~/.okta/okta.yaml`, `./okta.yaml`, the `OKTA_CLIENT_*` environment
/// variables, then setters called in code.
///
/// | environment | `okta.yaml` key | meaning |
/// |---|---|---|
/// | `OKTA_CLIENT_ORGURL` | `okta.client.orgUrl` | `https://{org}` |
/// | `OKTA_CLIENT_AUTHORIZATIONMODE` | `okta.client.authorizationMode` | `SSWS` or `PrivateKey` |
/// | `OKTA_CLIENT_TOKEN` | `okta.client.token` | API token (SSWS) |
/// | `OKTA_CLIENT_CLIENTID` | `okta.client.clientId` | service app client id |
/// | `OKTA_CLIENT_SCOPES` | `okta.client.scopes` | comma- or space-separated, or a YAML list |
/// | `OKTA_CLIENT_PRIVATEKEY` | `okta.client.privateKey` | PEM or JWK text, or a file path |
/// | `OKTA_CLIENT_PRIVATEKEYID` | `okta.client.privateKeyId` | the key's `kid` |
///
/// Without an authorization mode, the mode follows from what is set: a
/// token alone means `SSWS`, a client id and key alone mean `PrivateKey`,
/// both is an error. Errors name the setting and where it came from, never
/// its value; `Debug` redacts the token, the key and an org URL's user info.
///
/// Files are read with caps, stopping one byte past the cap:
/// [`MAX_CONFIG_FILE_BYTES`] for `okta.yaml`, [`MAX_KEY_FILE_BYTES`] for a
/// key file; an `okta.yaml` nested deeper than [`MAX_YAML_DEPTH`] is refused
/// before parsing. Their text is zeroized when dropped.
///
/// ```no_run
/// use okta_auth::OktaConfig;
///
/// # async fn run() -> Result<(), okta_auth::Error> {
/// let config = OktaConfig::from_env()?;
/// let source = config.token_source()?; // cached, ready for many requests
/// let token = source.token().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct OktaConfig {
    org_url: Option<Setting<String>>,
    mode: Option<Setting<String>>,
    token: Option<Setting<SecretString>>,
    client_id: Option<Setting<String>>,
    scopes: Option<Setting<Vec<String>>>,
    private_key: Option<Setting<SecretString>>,
    private_key_id: Option<Setting<String>>,
    dpop_mode: Option<crate::DpopMode>,
    base_dir: Option<PathBuf>,
}

impl OktaConfig {
    /// An empty configuration, to fill with setters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the files and environment of this process ([`Sources::system`]).
    pub fn from_env() -> Result<Self, Error> {
        Self::load(&Sources::system())
    }

    /// Reads `{home}/.okta/okta.yaml`, then `{current}/okta.yaml`, then the
    /// variables, each overriding the one before. A missing file is skipped;
    /// an unreadable or malformed one is an error.
    pub fn load(sources: &Sources) -> Result<Self, Error> {
        let mut config = Self::default();
        if let Some(home) = &sources.home_dir {
            config.merge_file(&home.join(".okta").join("okta.yaml"))?;
        }
        if let Some(current) = &sources.current_dir {
            config.merge_file(&current.join("okta.yaml"))?;
        }
        config.merge_env(sources);
        config.base_dir = sources.current_dir.clone();
        Ok(config)
    }

    /// environment. Defaults to what they say.
    pub fn org_url(mut self, url: impl Into<String>) -> Self {
        self.org_url = Some(code(url.into(), "org_url"));
        self
    }

    /// Sets the authorization mode. Overrides files and
    /// environment. Defaults to what they say.
    pub fn authorization_mode(mut self, mode: AuthorizationMode) -> Self {
        let name = match mode {
            AuthorizationMode::Ssws => "SSWS",
            AuthorizationMode::PrivateKey => "PrivateKey",
        };
        self.mode = Some(code(name.into(), "authorization_mode"));
        self
    }

    /// Sets the API token. Overrides files and
    /// environment. Defaults to what they say.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(code(SecretString::from(token.into()), "token"));
        self
    }

    /// Sets the service app's client id. Overrides files and
    /// environment. Defaults to what they say.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(code(client_id.into(), "client_id"));
        self
    }

    /// Sets the scopes to request. Overrides files and
    /// environment. Defaults to what they say.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.scopes = Some(code(scopes, "scopes"));
        self
    }

    /// Sets the private key: PEM or JWK text, or a file path. Overrides
    /// files and environment. Defaults to what they say.
    pub fn private_key(mut self, key: impl Into<String>) -> Self {
        self.private_key = Some(code(SecretString::from(key.into()), "private_key"));
        self
    }

    /// Sets the private key's `kid`. Overrides files and
    /// environment. Defaults to what they say.
    pub fn private_key_id(mut self, kid: impl Into<String>) -> Self {
        self.private_key_id = Some(code(kid.into(), "private_key_id"));
        self
    }

    /// Sets the DPoP mode of a service app's source. Code only: Okta's
    /// files and variables have no such setting. Defaults to
    /// [`DpopMode::Auto`](crate::DpopMode::Auto).
    pub fn dpop_mode(mut self, mode: crate::DpopMode) -> Self {
        self.dpop_mode = Some(mode);
        self
    }

    /// The validated org URL.
    pub fn org(&self) -> Result<OrgUrl, Error> {
        let setting = self
            .org_url
            .as_ref()
            .ok_or_else(|| missing("the org url", ENV_ORG_URL, "okta.client.orgUrl"))?;
        OrgUrl::parse(&setting.value).map_err(|e| setting.error(format_args!("is invalid: {e}")))
    }

    /// The authorization mode: as set, or inferred from what is set.
    pub fn mode(&self) -> Result<AuthorizationMode, Error> {
        if let Some(setting) = &self.mode {
            return AuthorizationMode::parse(&setting.value)
                .ok_or_else(|| setting.error("must be SSWS or PrivateKey"));
        }
        let has_token = self.token.is_some();
        let has_app = self.client_id.is_some() || self.private_key.is_some();
        match (has_token, has_app) {
            (true, false) => Ok(AuthorizationMode::Ssws),
            (false, true) => Ok(AuthorizationMode::PrivateKey),
            (true, true) => Err(Error::Config(format!(
                "both an API token and a service app are configured: set {ENV_AUTHORIZATION_MODE} \
                 (okta.client.authorizationMode) to SSWS or PrivateKey"
            ))),
            (false, false) => Err(Error::Config(format!(
                "no credentials configured: set {ENV_TOKEN} for an API token, or {ENV_CLIENT_ID} \
                 and {ENV_PRIVATE_KEY} for a service app"
            ))),
        }
    }

    /// A ready, cached token source for these settings: an
    /// [`ApiTokenSource`](crate::ApiTokenSource) for `SSWS`, a
    /// [`ServiceAppSource`](crate::ServiceAppSource) on the org
    /// authorization server for `PrivateKey`, wrapped in a
    /// [`CachingTokenSource`](crate::CachingTokenSource).
    ///
    /// Reads the private key file, if the key is a path. No network.
    pub fn token_source(&self) -> Result<Arc<dyn TokenSource>, Error> {
        use crate::cache::TokenSourceExt;
        let org = self.org()?;
        match self.mode()? {
            AuthorizationMode::Ssws => {
                let token = self
                    .token
                    .as_ref()
                    .ok_or_else(|| missing("an API token", ENV_TOKEN, "okta.client.token"))?;
                let source = crate::ApiTokenSource::new(token.value.expose_secret())
                    .map_err(|_| token.error("is not a usable API token"))?;
                Ok(Arc::new(source.cached()))
            }
            AuthorizationMode::PrivateKey => {
                let client_id = self
                    .client_id
                    .as_ref()
                    .ok_or_else(|| missing("a client id", ENV_CLIENT_ID, "okta.client.clientId"))?;
                let key = self.signing_key()?;
                let scopes = self
                    .scopes
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                if scopes.is_empty() {
                    return Err(missing("scopes", ENV_SCOPES, "okta.client.scopes"));
                }
                let mut builder = crate::ServiceAppSource::builder(org, client_id.value.clone())
                    .private_key(key)
                    .scopes(scopes);
                if let Some(mode) = self.dpop_mode {
                    builder = builder.dpop(mode);
                }
                let source = builder.build()?;
                Ok(Arc::new(source.cached()))
            }
        }
    }
}

impl fmt::Debug for OktaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaConfig")
            .field(
                "org_url",
                &self.org_url.as_ref().map(|s| RedactedUrl(&s.value)),
            )
            .field("authorization_mode", &self.mode.as_ref().map(|s| &s.value))
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("client_id", &self.client_id.as_ref().map(|s| &s.value))
            .field("scopes", &self.scopes.as_ref().map(|s| &s.value))
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "private_key_id",
                &self.private_key_id.as_ref().map(|s| &s.value),
            )
            .finish()
    }
}

/// An org URL as `Debug` shows it: user info (a password, say) replaced
/// by `[redacted]`, and the whole of it redacted unless it parses as an
/// `http(s)` URL (anything else could hide a secret anywhere).
struct RedactedUrl<'a>(&'a str);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(mut url) = url::Url::parse(self.0.trim()) else {
            return f.write_str("[redacted]");
        };
        if !matches!(url.scheme(), "https" | "http") {
            return f.write_str("[redacted]");
        }
        let user_info = !url.username().is_empty() || url.password().is_some();
        // An http(s) URL with a host can always drop its user info.
        if url.set_username("").is_err() || url.set_password(None).is_err() {
            return f.write_str("[redacted]");
        }
        let shown = url.as_str();
        match shown.split_once("://") {
            Some((scheme, rest)) if user_info => write!(f, "\"{scheme}://[redacted]@{rest}\""),
            _ => write!(f, "{shown:?}"),
        }
    }
}
