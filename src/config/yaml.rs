//! Reading `okta.yaml`: capped ([`MAX_CONFIG_FILE_BYTES`]), refused when
//! nested deeper than [`MAX_YAML_DEPTH`] before the parser sees it, secrets
//! held as secrets from the moment they are read, and errors that give a
//! position, never a value.

use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use super::OktaConfig;
use super::hints::yaml_hints;
use super::names::Name;
use super::private_key::KeyValue;
use super::read::{ReadError, read_capped};
use super::setting::{Origin, Setting, overlay, scopes};
use super::sources::raw;
use super::yaml_depth::nesting_depth_exceeds;
use crate::error::Error;

/// The largest `okta.yaml` read, in bytes (64 KiB; a real one is well under
/// a kilobyte, a key in it a few more). A longer file is an
/// [`Error::Config`] naming it, found out after reading one byte more than
/// this, never the whole file.
pub const MAX_CONFIG_FILE_BYTES: usize = 64 * 1024;

/// The deepest nesting of collections accepted in an `okta.yaml`: block
/// mappings and sequences (indentation levels, and `- - x` on one line)
/// and flow collections (`[`, `{`) together. `okta.client.scopes` as a
/// list is 4 deep. A deeper file is an [`Error::Config`] naming it and the
/// line, refused by a linear scan before the YAML parser (whose time grows
/// with the square of the depth) sees it.
pub const MAX_YAML_DEPTH: usize = 32;

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
    connection_timeout: Option<Scalar>,
    request_timeout: Option<Scalar>,
    rate_limit: Option<YamlRateLimit>,
    proxy: Option<YamlProxy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct YamlRateLimit {
    max_retries: Option<Scalar>,
    max_backoff: Option<Scalar>,
}

/// `port: null` and the like (as in the `okta.yaml` Okta's SDKs document)
/// are unset.
#[derive(Deserialize, Default)]
struct YamlProxy {
    host: Option<Scalar>,
    port: Option<Scalar>,
    username: Option<Scalar>,
    #[serde(default, deserialize_with = "secret_scalar")]
    password: Option<SecretString>,
}

/// A YAML scalar as text: a string, or a number or boolean written out.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
}

/// A secret scalar (a password), held as a secret from the moment it is
/// read.
fn secret_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| SecretString::from(s.0)))
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
    /// Overlays what the `okta.yaml` at `path` says, if there is one.
    pub(super) fn merge_file(&mut self, path: &Path) -> Result<(), Error> {
        // Zeroized on drop: the file can hold a token or a key.
        let bytes = match read_capped(path, MAX_CONFIG_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(ReadError::Io(_)) => {
                return Err(Error::Config(format!("cannot read {}", path.display())));
            }
            Err(ReadError::TooLarge) => {
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
        if let Some(line) = nesting_depth_exceeds(text, MAX_YAML_DEPTH) {
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
        let scopes_at =
            |items: &[String]| scopes(items.iter().map(String::as_str), at("okta.client.scopes"));
        overlay(
            &mut self.scopes,
            client.scopes.and_then(|s| match s {
                YamlScopes::List(list) => scopes_at(&list),
                YamlScopes::Text(text) => scopes_at(&[text]),
            }),
        );
        overlay(
            &mut self.private_key,
            set_secret(client.private_key, "okta.client.privateKey").map(|s| Setting {
                value: KeyValue::Text(s.value),
                origin: s.origin,
            }),
        );
        overlay(
            &mut self.private_key_id,
            set(client.private_key_id, "okta.client.privateKeyId"),
        );

        let text_of = |value: Option<Scalar>, key: Name| set(value.map(|s| s.0), key.yaml());
        let rate_limit = client.rate_limit.unwrap_or_default();
        let proxy = client.proxy.unwrap_or_default();
        overlay(
            &mut self.connection_timeout,
            raw(text_of(client.connection_timeout, Name::ConnectionTimeout)),
        );
        overlay(
            &mut self.request_timeout,
            raw(text_of(client.request_timeout, Name::RequestTimeout)),
        );
        overlay(
            &mut self.max_retries,
            raw(text_of(rate_limit.max_retries, Name::MaxRetries)),
        );
        overlay(
            &mut self.max_backoff,
            raw(text_of(rate_limit.max_backoff, Name::MaxBackoff)),
        );
        overlay(&mut self.proxy_host, text_of(proxy.host, Name::ProxyHost));
        overlay(
            &mut self.proxy_port,
            raw(text_of(proxy.port, Name::ProxyPort)),
        );
        overlay(
            &mut self.proxy_username,
            text_of(proxy.username, Name::ProxyUsername),
        );
        overlay(
            &mut self.proxy_password,
            set_secret(proxy.password, Name::ProxyPassword.yaml()),
        );

        for hint in yaml_hints(text, path) {
            self.hint(hint);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::sources::{ENV_TOKEN, Sources};
    use std::collections::HashMap;

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
}
