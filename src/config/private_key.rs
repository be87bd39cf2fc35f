//! The private key setting: PEM or JWK text, or the path of a key file,
//! read capped at [`MAX_KEY_FILE_BYTES`] into a zeroizing buffer. Errors
//! never echo the value: what looks like a path may be key material.

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::OktaConfig;
use super::read::{ReadError, read_capped};
use super::setting::missing;
use super::sources::ENV_PRIVATE_KEY;
use crate::error::Error;

/// The largest private key file read, in bytes (1 MiB; an 8192-bit RSA key
/// in PEM is under 7 KB). A longer file is an [`Error::Config`] naming it,
/// found out after reading one byte more than this, never the whole file.
pub const MAX_KEY_FILE_BYTES: usize = 1024 * 1024;

impl OktaConfig {
    /// The signing key the settings name, with their `kid` if one is set.
    pub(super) fn signing_key(&self) -> Result<crate::SigningKey, Error> {
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
            let bytes = read_capped(&path, MAX_KEY_FILE_BYTES).map_err(|e| match e {
                ReadError::Io(e) => {
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
