//! The private key setting: an already parsed [`SigningKey`], or PEM or JWK
//! text, or the path of a key file, read capped at [`MAX_KEY_FILE_BYTES`]
//! into a zeroizing buffer. Errors never echo the value: what looks like a
//! path may be key material.
//!
//! A path may start with `~/` (the home directory of the
//! [`Sources`](super::Sources)); a relative path from an `okta.yaml` is read
//! from that file's folder, one from the environment or code from the
//! current directory.

use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::OktaConfig;
use super::names::Name;
use super::read::{ReadError, read_capped};
use super::setting::{Origin, Setting};
use crate::error::Error;
use crate::key::SigningKey;

/// The largest private key file read, in bytes (1 MiB; an 8192-bit RSA key
/// in PEM is under 7 KB). A longer file is an [`Error::Config`] naming it,
/// found out after reading one byte more than this, never the whole file.
pub const MAX_KEY_FILE_BYTES: usize = 1024 * 1024;

/// The private key as set: parsed already, or text (key or path).
#[derive(Clone)]
pub(super) enum KeyValue {
    Text(SecretString),
    Parsed(SigningKey),
}

/// The text redacted; a parsed key shows its kind, algorithm and `kid`.
impl fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::Text(_) => f.write_str("\"[redacted]\""),
            KeyValue::Parsed(key) => key.fmt(f),
        }
    }
}

impl OktaConfig {
    /// The signing key the settings name, under its own `kid` if it
    /// carries one, else under the private key id setting's (see
    /// [`Self::with_key_id`]).
    pub(super) fn read_signing_key(&self) -> Result<SigningKey, Error> {
        let setting = self
            .private_key
            .as_ref()
            .ok_or_else(|| self.missing("a private key", Name::PrivateKey))?;
        let key = match &setting.value {
            KeyValue::Parsed(key) => key.clone(),
            KeyValue::Text(text) => self.parse_key_text(setting, text)?,
        };
        Ok(self.with_key_id(key))
    }

    /// `key` with the private key id setting as its `kid` when it carries
    /// none (PEM has no `kid`). A key's own `kid` (a JWK's, a parsed key's)
    /// wins over the setting from any layer, which may be stale: a setting
    /// that differs from it is ignored, with a warning naming both `kid`s
    /// (not secrets) and the setting.
    fn with_key_id(&self, key: SigningKey) -> SigningKey {
        let Some(setting) = &self.private_key_id else {
            return key;
        };
        match key.kid().filter(|own| !own.is_empty()) {
            None => key.with_kid(setting.value.clone()),
            Some(own) => {
                if own != setting.value {
                    tracing::warn!(
                        // Escaped (`Debug`), as in the message.
                        key_kid = ?own,
                        ignored_kid = ?setting.value.as_str(),
                        setting = %setting.origin,
                        "the private key carries its own kid {own:?}, which is used: {} \
                         ({:?}) is ignored",
                        setting.origin,
                        setting.value,
                    );
                }
                key
            }
        }
    }

    /// A key given as text: PEM or JWK key text, or the path of a key file.
    fn parse_key_text(
        &self,
        setting: &Setting<KeyValue>,
        text: &SecretString,
    ) -> Result<SigningKey, Error> {
        let value = unquote(text.expose_secret().trim());
        if looks_like_key_text(value) {
            return SigningKey::parse(value)
                .map_err(|e| setting.error(format_args!("is not a usable private key: {e}")));
        }
        let (path, note) = self.key_path(setting, value)?;
        // Never echo the value: what looks like a path may be key
        // material in a form we do not recognise (base64 of a PEM, say).
        // Once it opens as a file, it is a path, and errors name it.
        // The bytes are zeroized on drop.
        let bytes = read_capped(&path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
            ReadError::Io(e) => {
                let note = note.map(|n| format!("; {n}")).unwrap_or_default();
                setting.error(format_args!(
                    "is neither PEM or JWK key text nor the path of a readable key file ({}{note})",
                    e.kind()
                ))
            }
            ReadError::TooLarge => setting.error(format_args!(
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
        SigningKey::parse(text).map_err(|e| {
            setting.error(format_args!(
                "names a file that is not a usable private key: {e}"
            ))
        })
    }
}

impl OktaConfig {
    /// The file a key path names, and where a relative or `~` path was
    /// read from (for the error if it cannot be read).
    fn key_path(
        &self,
        setting: &Setting<KeyValue>,
        value: &str,
    ) -> Result<(PathBuf, Option<String>), Error> {
        let home_relative = value
            .strip_prefix('~')
            .filter(|rest| rest.is_empty() || rest.starts_with(['/', std::path::MAIN_SEPARATOR]));
        if let Some(rest) = home_relative {
            let home = self.home_dir.as_ref().ok_or_else(|| {
                setting.error(
                    "starts with ~ but no home directory is known (OktaConfig::load with \
                     Sources::home_dir, or OktaConfig::from_env)",
                )
            })?;
            let rest = rest.trim_start_matches(['/', std::path::MAIN_SEPARATOR]);
            let note = format!("~ is {}", home.display());
            return Ok((home.join(rest), Some(note)));
        }
        let path = PathBuf::from(value);
        if path.is_absolute() {
            return Ok((path, None));
        }
        let base = match &setting.origin {
            Origin::File { path, .. } => path.parent(),
            Origin::Env(_) | Origin::Code(_) => self.base_dir.as_deref(),
        };
        Ok(match base {
            Some(base) => {
                let note = format!("relative paths are read from {}", base.display());
                (base.join(path), Some(note))
            }
            None => (path, None),
        })
    }
}

/// Name material rather than a path: PEM armour (also with literal `\n`, as
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
