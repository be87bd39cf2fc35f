//! [`OktaConfig`]: settings the way Okta's SDKs read them, from
//! `~/.okta/okta.yaml`, `./okta.yaml`, the environment and code.

mod yaml_depth;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use crate::error::Error;
use crate::org::OrgUrl;
use crate::token::TokenSource;

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

/// The largest `okta.yaml` read, in bytes (64 KiB; a real one is well under
/// a kilobyte, a key in it a few more). A longer file is an
/// [`Error::Config`] naming it, found out after reading one byte more than
/// this, never the whole file.
pub const MAX_CONFIG_FILE_BYTES: usize = 64 * 1024;

/// The largest private key file read, in bytes (1 MiB; an 8192-bit RSA key
/// in PEM is under 7 KB). A longer file is an [`Error::Config`] naming it,
/// found out after reading one byte more than this, never the whole file.
pub const MAX_KEY_FILE_BYTES: usize = 1024 * 1024;

/// The deepest nesting of collections accepted in an `okta.yaml`: block
/// mappings and sequences (indentation levels, and `- - x` on one line)
/// and flow collections (`[`, `{`) together. `okta.client.scopes` as a
/// list is 4 deep. A deeper file is an [`Error::Config`] naming it and the
/// line, refused by a linear scan before the YAML parser (whose time grows
/// with the square of the depth) sees it.
pub const MAX_YAML_DEPTH: usize = 32;

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

/// Where a setting came from, named in every error about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A YAML file (`~/.okta/okta.yaml` or `./okta.yaml`) and its key.
    File {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `okta.client.orgUrl`.
        key: &'static str,
    },
    /// An environment variable.
    Env(&'static str),
    /// A setter called in code.
    Code(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, key } => write!(f, "{key} in {}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Code(setter) => write!(f, "OktaConfig::{setter}"),
        }
    }
}

#[derive(Clone)]
struct Setting<T> {
    value: T,
    origin: Origin,
}

impl<T> Setting<T> {
    fn error(&self, problem: impl fmt::Display) -> Error {
        Error::Config(format!("{} {problem}", self.origin))
    }
}

/// Where [`OktaConfig::load`] reads from: a home directory, a current
/// directory and environment variables. [`Sources::system`] is the real
/// process; tests build their own so they never touch the real home or
/// environment.
#[derive(Clone, Default)]
pub struct Sources {
    home_dir: Option<PathBuf>,
    current_dir: Option<PathBuf>,
    /// Values held as secrets: `OKTA_CLIENT_TOKEN` and
    /// `OKTA_CLIENT_PRIVATEKEY` are among them.
    vars: HashMap<String, SecretString>,
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
    fn get_secret(&self, name: &'static str) -> Option<Setting<SecretString>> {
        self.vars
            .get(name)
            .filter(|v| !v.expose_secret().trim().is_empty())
            .map(|v| Setting {
                value: v.clone(),
                origin: Origin::Env(name),
            })
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

/// `okta.client.*` as it appears in `okta.yaml`.
#[derive(Deserialize, Default)]
struct YamlFile {
    okta: Option<YamlOkta>,
}

#[derive(Deserialize, Default)]
struct YamlOkta {
    client: Option<YamlClient>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct YamlClient {
    org_url: Option<String>,
    authorization_mode: Option<String>,
    #[serde(default, deserialize_with = "secret_string")]
    token: Option<SecretString>,
    client_id: Option<String>,
    scopes: Option<YamlScopes>,
    #[serde(default, deserialize_with = "secret_string")]
    private_key: Option<SecretString>,
    private_key_id: Option<String>,
}

/// A secret from YAML, held as one from the moment it is read (so that a
/// later error in the file does not drop a plain copy).
fn secret_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum YamlScopes {
    List(Vec<String>),
    Text(String),
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

    fn merge_file(&mut self, path: &Path) -> Result<(), Error> {
        // Zeroized on drop: the file can hold a token or a key.
        let bytes = match yaml_depth::read_capped(path, MAX_CONFIG_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(yaml_depth::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(yaml_depth::ReadError::Io(_)) => {
                return Err(Error::Config(format!("cannot read {}", path.display())));
            }
            Err(yaml_depth::ReadError::TooLarge) => {
                return Err(Error::Config(format!(
                    "{} is larger than {MAX_CONFIG_FILE_BYTES} bytes, the most an okta.yaml \
                     may have (config::MAX_CONFIG_FILE_BYTES)",
                    path.display()
                )));
            }
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Config(format!("{} is not UTF-8 text", path.display())))?;
        if text.trim().is_empty() {
            return Ok(());
        }
        if let Some(line) = yaml_depth::nesting_depth_exceeds(text, MAX_YAML_DEPTH) {
            return Err(Error::Config(format!(
                "{} is nested more than {MAX_YAML_DEPTH} levels deep at line {line} \
                 (config::MAX_YAML_DEPTH)",
                path.display()
            )));
        }
        // serde_yaml's messages can quote the offending value (a token):
        // keep only the position.
        let file: YamlFile = serde_yaml_ng::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            Error::Config(format!("{} is not a valid okta.yaml{at}", path.display()))
        })?;
        let client = file.okta.and_then(|o| o.client).unwrap_or_default();
        let at = |key| Origin::File {
            path: path.to_owned(),
            key,
        };
        let set = |value: Option<String>, key| {
            value.filter(|v| !v.trim().is_empty()).map(|value| Setting {
                value,
                origin: at(key),
            })
        };
        overlay(&mut self.org_url, set(client.org_url, "okta.client.orgUrl"));
        overlay(
            &mut self.mode,
            set(client.authorization_mode, "okta.client.authorizationMode"),
        );
        let set_secret = |value: Option<SecretString>, key| {
            value
                .filter(|v| !v.expose_secret().trim().is_empty())
                .map(|value| Setting {
                    value,
                    origin: at(key),
                })
        };
        overlay(
            &mut self.token,
            set_secret(client.token, "okta.client.token"),
        );
        overlay(
            &mut self.client_id,
            set(client.client_id, "okta.client.clientId"),
        );
        let scopes = client.scopes.map(|s| match s {
            YamlScopes::List(list) => list,
            YamlScopes::Text(text) => split_scopes(&text),
        });
        overlay(
            &mut self.scopes,
            scopes.map(|value| Setting {
                value,
                origin: at("okta.client.scopes"),
            }),
        );
        overlay(
            &mut self.private_key,
            set_secret(client.private_key, "okta.client.privateKey"),
        );
        overlay(
            &mut self.private_key_id,
            set(client.private_key_id, "okta.client.privateKeyId"),
        );
        Ok(())
    }

    fn merge_env(&mut self, sources: &Sources) {
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

    /// Sets the org URL. Overrides files and
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

    fn signing_key(&self) -> Result<crate::SigningKey, Error> {
        let setting = self
            .private_key
            .as_ref()
            .ok_or_else(|| missing("a private key", ENV_PRIVATE_KEY, "okta.client.privateKey"))?;
        let value = unquote(setting.value.expose_secret().trim());
        let key = if looks_like_key_text(value) {
            crate::SigningKey::parse(value)
                .map_err(|e| setting.error(format_args!("is not a usable private key: {e}")))?
        } else {
            let mut path = PathBuf::from(value);
            if path.is_relative()
                && let Some(base) = &self.base_dir
            {
                path = base.join(path);
            }
            // Never echo the value: what looks like a path may be key
            // material in a form we do not recognise (base64 of a PEM, say).
            // Once it opens as a file, it is a path, and errors name it.
            // The bytes are zeroized on drop.
            let bytes = yaml_depth::read_capped(&path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
                yaml_depth::ReadError::Io(e) => {
                    let relative = match (&self.base_dir, Path::new(value).is_relative()) {
                        (Some(base), true) => {
                            format!("; relative paths are read from {}", base.display())
                        }
                        _ => String::new(),
                    };
                    setting.error(format_args!(
                        "is neither PEM or JWK key text nor the path of a readable key file ({}{relative})",
                        e.kind()
                    ))
                }
                yaml_depth::ReadError::TooLarge => setting.error(format_args!(
                    "names {}, which is larger than {MAX_KEY_FILE_BYTES} bytes, the most a key \
                     file may have (config::MAX_KEY_FILE_BYTES)",
                    path.display()
                )),
            })?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                setting.error(format_args!(
                    "names {}, which is not a key file: it is not UTF-8 text",
                    path.display()
                ))
            })?;
            crate::SigningKey::parse(text).map_err(|e| {
                setting.error(format_args!(
                    "names a file that is not a usable private key: {e}"
                ))
            })?
        };
        Ok(match &self.private_key_id {
            Some(kid) => key.with_kid(kid.value.clone()),
            None => key,
        })
    }
}

/// Key material rather than a path: PEM armour (also with literal `\n`, as
/// pasted into environment variables), JSON, or more than one line.
fn looks_like_key_text(value: &str) -> bool {
    value.contains("-----BEGIN")
        || value.starts_with('{')
        || value.starts_with('[')
        || value.contains('\n')
}

/// The value without one pair of surrounding quotes, which `.env` files and
/// `docker --env-file` can leave in place.
fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.trim();
        }
    }
    value
}

fn overlay<T>(slot: &mut Option<Setting<T>>, value: Option<Setting<T>>) {
    if value.is_some() {
        *slot = value;
    }
}

fn code<T>(value: T, setter: &'static str) -> Setting<T> {
    Setting {
        value,
        origin: Origin::Code(setter),
    }
}

fn missing(what: &str, env: &str, key: &str) -> Error {
    Error::Config(format!("{what} is required: set {env} or {key}"))
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

fn split_scopes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_held_as_secrets() {
        // The variables `Sources` keeps, and the secrets read from YAML.
        let sources = Sources::empty().var(ENV_TOKEN, "00-secret-token");
        let vars: &HashMap<String, SecretString> = &sources.vars;
        assert_eq!(vars[ENV_TOKEN].expose_secret(), "00-secret-token");
        assert!(!format!("{sources:?}").contains("00-secret-token"));
        let setting: Setting<SecretString> = sources.get_secret(ENV_TOKEN).unwrap();
        assert_eq!(setting.value.expose_secret(), "00-secret-token");

        let client: YamlClient =
            serde_yaml_ng::from_str("token: 00-yaml-token\nprivateKey: '{\"d\": 1}'\n").unwrap();
        let token: Option<SecretString> = client.token;
        let key: Option<SecretString> = client.private_key;
        assert_eq!(token.unwrap().expose_secret(), "00-yaml-token");
        assert_eq!(key.unwrap().expose_secret(), r#"{"d": 1}"#);
    }

    #[test]
    fn scopes_split_on_commas_and_spaces() {
        assert_eq!(
            split_scopes(" okta.users.read, okta.groups.read okta.apps.read,,"),
            ["okta.users.read", "okta.groups.read", "okta.apps.read"]
        );
    }
}
