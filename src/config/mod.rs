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
//! - Names okta-auth does not read (`OKTA_CLIENT_ORG_URL`, `orgURL`) are
//!   reported with the nearest name it does (`names`, `hints`).
//! - The connection settings (proxy, timeouts, rate-limit retries) become
//!   one HTTP client, shared by the token source and the middleware, unless
//!   the caller hands in their own (`connection`, `http`).
//! - The [`AuthorizationMode`] is set or inferred from what is set
//!   (`authorization_mode`).
//! - [`OktaConfig::token_source`] turns the settings into a cached source,
//!   reading a private key given as a path (`private_key`);
//!   [`OktaConfig::client`] stacks the middleware over it (`stack`).
//! - `Debug` redacts every secret (`debug`).

mod authorization_mode;
mod connection;
mod debug;
mod hints;
mod http;
mod names;
mod private_key;
mod read;
mod setting;
mod sources;
mod stack;
mod yaml;
mod yaml_depth;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::cache::CachingTokenSourceBuilder;
use crate::error::Error;
use crate::key::SigningKey;
use crate::org::OrgUrl;
use crate::token::TokenSource;
use connection::Raw;
use hints::Hint;
use names::Name;
use private_key::KeyValue;
use setting::{Setting, code};

pub use authorization_mode::AuthorizationMode;
pub use connection::{DEFAULT_CONNECTION_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use private_key::MAX_KEY_FILE_BYTES;
pub use setting::Origin;
pub use sources::{
    ENV_AUTHORIZATION_MODE, ENV_CLIENT_ID, ENV_CONNECTION_TIMEOUT, ENV_ORG_URL, ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_ID, ENV_PROXY_HOST, ENV_PROXY_PASSWORD, ENV_PROXY_PORT, ENV_PROXY_USERNAME,
    ENV_RATE_LIMIT_MAX_BACKOFF, ENV_RATE_LIMIT_MAX_RETRIES, ENV_REQUEST_TIMEOUT, ENV_SCOPES,
    ENV_TOKEN, Sources,
};
pub use yaml::{MAX_CONFIG_FILE_BYTES, MAX_YAML_DEPTH};

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
/// | `OKTA_CLIENT_SCOPES` | `okta.client.scopes` | comma- or space-separated, or a YAML list (its items split the same way); none at all is unset |
/// | `OKTA_CLIENT_PRIVATEKEY` | `okta.client.privateKey` | PEM or JWK text, or a file path |
/// | `OKTA_CLIENT_PRIVATEKEYID` | `okta.client.privateKeyId` | the key's `kid`, when the key does not carry one |
/// | `OKTA_CLIENT_PROXY_HOST` | `okta.client.proxy.host` | proxy host name or address, or an `http(s)://` URL |
/// | `OKTA_CLIENT_PROXY_PORT` | `okta.client.proxy.port` | proxy port |
/// | `OKTA_CLIENT_PROXY_USERNAME` | `okta.client.proxy.username` | proxy basic-auth user |
/// | `OKTA_CLIENT_PROXY_PASSWORD` | `okta.client.proxy.password` | proxy basic-auth password (a secret) |
/// | `OKTA_CLIENT_CONNECTION_TIMEOUT`, `OKTA_CLIENT_CONNECTIONTIMEOUT` | `okta.client.connectionTimeout` | connect timeout, seconds (`0`: none) |
/// | `OKTA_CLIENT_REQUEST_TIMEOUT`, `OKTA_CLIENT_REQUESTTIMEOUT` | `okta.client.requestTimeout` | request timeout, seconds (`0`: none) |
/// | `OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES`, `OKTA_CLIENT_RATELIMIT_MAXRETRIES` | `okta.client.rateLimit.maxRetries` | retries after a `429` |
/// | `OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF`, `OKTA_CLIENT_RATELIMIT_MAXBACKOFF` | `okta.client.rateLimit.maxBackoff` | longest wait before a retry, seconds |
///
/// The Go SDK separates words with `_`, the Java, Python and Node SDKs
/// squash them; both are read (the first spelling wins when both are set).
/// Seconds may have a fraction (`0.5`).
///
/// Without an authorization mode, the mode follows from what is set: a
/// token alone means `SSWS`, a client id and key alone mean `PrivateKey`,
/// both is an error. Errors name the setting and where it came from, never
/// its value; `Debug` redacts the token, the key, the proxy password and
/// an org URL's user info.
///
/// An `OKTA_CLIENT_*` variable or `okta.yaml` key that okta-auth does not
/// read (`OKTA_CLIENT_ORG_URL`, `orgURL`) is reported at load as a
/// `tracing` warning with the nearest name it does read, and named again
/// in the error if the setting it probably meant is then missing.
///
/// A private key path may start with `~/` (the home directory of the
/// [`Sources`]); a relative path in an `okta.yaml` is read from that file's
/// folder, one from the environment or code from the current directory.
/// Files are read with caps, stopping one byte past the cap:
/// [`MAX_CONFIG_FILE_BYTES`] for `okta.yaml`, [`MAX_KEY_FILE_BYTES`] for a
/// key file; an `okta.yaml` nested deeper than [`MAX_YAML_DEPTH`] is refused
/// before parsing. Their text is zeroized when dropped.
///
/// ```no_run
/// use okta_auth::OktaConfig;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let config = OktaConfig::from_env()?;
/// let source = config.token_source()?; // cached, ready for many requests
/// let token = source.token().await?;
///
/// // Or the whole stack: rate limits, then tokens, on one shared client.
/// let client = config.client()?;
/// let users = client.get(config.org()?.endpoint("api/v1/users")).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct OktaConfig {
    org_url: Option<Setting<String>>,
    mode: Option<Setting<String>>,
    token: Option<Setting<SecretString>>,
    client_id: Option<Setting<String>>,
    scopes: Option<Setting<Vec<String>>>,
    private_key: Option<Setting<KeyValue>>,
    private_key_id: Option<Setting<String>>,
    proxy_host: Option<Setting<String>>,
    proxy_port: Option<Setting<Raw<u16>>>,
    proxy_username: Option<Setting<String>>,
    proxy_password: Option<Setting<SecretString>>,
    connection_timeout: Option<Setting<Raw<Duration>>>,
    request_timeout: Option<Setting<Raw<Duration>>>,
    max_retries: Option<Setting<Raw<u32>>>,
    max_backoff: Option<Setting<Raw<Duration>>>,
    dpop_mode: Option<crate::DpopMode>,
    http_client: Option<reqwest::Client>,
    cache: Option<CacheTuning>,
    /// Names okta-auth does not read, found while loading.
    hints: Vec<Hint>,
    /// Where relative key paths from the environment are read.
    base_dir: Option<PathBuf>,
    /// What `~` in a key path stands for.
    home_dir: Option<PathBuf>,
    built: http::Built,
}

/// What [`OktaConfig::cache`] keeps: the caller's tuning of the cache.
type CacheTuning = Arc<dyn Fn(CacheBuilder) -> CacheBuilder + Send + Sync>;

/// The builder of the cache [`OktaConfig::token_source`] wraps around the
/// source, handed to the closure given to [`OktaConfig::cache`].
pub type CacheBuilder = CachingTokenSourceBuilder<Arc<dyn TokenSource>>;

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
    /// an unreadable or malformed one is an error. Names okta-auth does not
    /// read are reported as `tracing` warnings.
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
        config.home_dir = sources.home_dir.clone();
        Ok(config)
    }

    /// Sets the org URL, `https://{org}`. Overrides files and
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

    /// Sets the private key: PEM or JWK text, or a file path (`~/`
    /// expands to the home directory of the [`Sources`]; a relative path is
    /// read from the current directory). Overrides files, environment and
    /// an earlier [`signing_key`](Self::signing_key). Defaults to what they
    /// say.
    pub fn private_key(mut self, key: impl Into<String>) -> Self {
        let text = KeyValue::Text(SecretString::from(key.into()));
        self.private_key = Some(code(text, "private_key"));
        self
    }

    /// Sets the private key, already parsed (from a secret store, say, or
    /// generated). A [`private_key_id`](Self::private_key_id) applies only
    /// when the key has no `kid` of its own, as for a key given as text. Overrides files, environment
    /// and an earlier [`private_key`](Self::private_key). Defaults to what
    /// they say.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.private_key = Some(code(KeyValue::Parsed(key), "signing_key"));
        self
    }

    /// Sets the private key's `kid`, used when the key carries none (a PEM
    /// key; a JWK or a [`SigningKey`] with a `kid` keeps its own, and a
    /// different setting is ignored with a `tracing` warning). Overrides
    /// files and environment. Defaults to what they say.
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

    /// Tunes the cache that [`token_source`](Self::token_source) (and
    /// [`client`](Self::client)) wrap around the source: `tune` gets its
    /// builder and returns it with your settings.
    ///
    /// ```
    /// use std::time::Duration;
    /// use okta_auth::OktaConfig;
    ///
    /// let config = OktaConfig::new()
    ///     .cache(|cache| cache.refresh_ahead(0.5).load_timeout(Duration::from_secs(20)));
    /// ```
    ///
    /// Code only. Defaults to the cache's defaults
    /// ([`DEFAULT_REFRESH_AHEAD`](crate::cache::DEFAULT_REFRESH_AHEAD),
    /// [`DEFAULT_LOAD_TIMEOUT`](crate::cache::DEFAULT_LOAD_TIMEOUT), …).
    pub fn cache<F>(mut self, tune: F) -> Self
    where
        F: Fn(CacheBuilder) -> CacheBuilder + Send + Sync + 'static,
    {
        self.cache = Some(Arc::new(tune));
        self
    }

    /// The validated org URL.
    pub fn org(&self) -> Result<OrgUrl, Error> {
        let setting = self
            .org_url
            .as_ref()
            .ok_or_else(|| self.missing("the org url", Name::OrgUrl))?;
        OrgUrl::parse(&setting.value).map_err(|e| {
            let hint = if bare_domain(&setting.value) {
                "; add https:// in front of the domain"
            } else {
                ""
            };
            setting.error(format_args!("is invalid: {e}{hint}"))
        })
    }

    /// `{what} is required: set OKTA_CLIENT_X or okta.client.x`, with the
    /// hints that point at that setting.
    fn missing(&self, what: &str, key: Name) -> Error {
        Error::Config(format!(
            "{what} is required: {}{}",
            key.how_to_set(),
            self.hint_suffix(&[key])
        ))
    }

    /// ` (did you mean …? … is set)` for the hints pointing at `keys`.
    fn hint_suffix(&self, keys: &[Name]) -> String {
        hints::suffix(&self.hints, keys)
    }

    /// Keeps a hint and reports it.
    fn hint(&mut self, hint: Hint) {
        hint.warn();
        self.hints.push(hint);
    }
}

/// A domain without a scheme (`example.okta.com`): `https://` in front
/// makes it an org URL.
fn bare_domain(value: &str) -> bool {
    let value = value.trim();
    !value.contains("://") && OrgUrl::parse(&format!("https://{value}")).is_ok()
}
