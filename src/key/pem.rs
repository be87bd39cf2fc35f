//! PEM private keys: PKCS#8, PKCS#1 and SEC1.

use p256::pkcs8::DecodePrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::der::SecretDocument;
use rsa::pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use super::Material;
use crate::error::Error;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

fn key_error(msg: &str) -> Error {
    Error::Key(msg.into())
}

/// Reads a PEM private key. Literal `\n` (as pasted into env vars) is a line
/// break; surrounding whitespace is ignored.
pub(super) fn parse(text: &str) -> Result<Material, Error> {
    let text = unescape_newlines(text);
    let text = text.trim();
    let label = label(text).ok_or_else(|| {
        key_error("not a private key: expected PEM (-----BEGIN PRIVATE KEY-----) or a JWK")
    })?;
    match label {
        "PRIVATE KEY" => pkcs8(text),
        "RSA PRIVATE KEY" => {
            if text.contains("ENCRYPTED") {
                return Err(encrypted());
            }
            let key = rsa::PrivateKey::from_pkcs1_pem(text)
                .map_err(|_| key_error("malformed PKCS#1 rsa private key"))?;
            Ok(Material::Rsa(key))
        }
        "EC PRIVATE KEY" => {
            if text.contains("ENCRYPTED") {
                return Err(encrypted());
            }
            if let Ok(key) = p256::SecretKey::from_sec1_pem(text) {
                return Ok(Material::P256(key.into()));
            }
            if let Ok(key) = p384::SecretKey::from_sec1_pem(text) {
                return Ok(Material::P384(key.into()));
            }
            Err(key_error(
                "malformed SEC1 ec private key, or a curve other than P-256 and P-384",
            ))
        }
        "ENCRYPTED PRIVATE KEY" => Err(encrypted()),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "EC PUBLIC KEY" => Err(key_error(
            "this is a public key: a private key is needed to sign (register the public key with okta)",
        )),
        "CERTIFICATE" => Err(key_error(
            "this is a certificate: a private key is needed to sign",
        )),
        _ => Err(key_error(
            "unsupported PEM type: expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY",
        )),
    }
}

/// `text` with literal `\r\n` and `\n` turned into line breaks, in one
/// zeroizing buffer sized up front: the text never gets longer, so the
/// buffer is never reallocated (which would leave an unwiped copy behind),
/// and there is no intermediate copy.
fn unescape_newlines(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        let (before, escaped) = rest.split_at(at);
        out.push_str(before);
        rest = if let Some(after) = escaped.strip_prefix("\\r\\n") {
            out.push('\n');
            after
        } else if let Some(after) = escaped.strip_prefix("\\n") {
            out.push('\n');
            after
        } else {
            out.push('\\');
            &escaped[1..]
        };
    }
    out.push_str(rest);
    out
}

fn encrypted() -> Error {
    key_error(
        "encrypted private keys are not supported: decrypt it first (openssl pkey -in key.pem -out plain.pem)",
    )
}

/// The label of the first PEM boundary, e.g. `PRIVATE KEY`.
fn label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = text.get(start..)?;
    let end = rest.find("-----")?;
    rest.get(..end)
}

fn pkcs8(text: &str) -> Result<Material, Error> {
    let (_, doc) = SecretDocument::from_pem(text)
        .map_err(|_| key_error("malformed PEM: the base64 body cannot be read"))?;
    let info: PrivateKeyInfoRef<'_> = doc
        .decode_msg()
        .map_err(|_| key_error("malformed PKCS#8 private key"))?;
    let malformed = |_| key_error("malformed PKCS#8 private key");
    match info.algorithm.oid {
        RSA_ENCRYPTION => rsa::PrivateKey::try_from(info)
            .map(Material::Rsa)
            .map_err(malformed),
        EC_PUBLIC_KEY => match info.algorithm.parameters_oid() {
            Ok(P256) => p256::SecretKey::from_pkcs8_der(doc.as_bytes())
                .map(|k| Material::P256(k.into()))
                .map_err(malformed),
            Ok(P384) => p384::SecretKey::from_pkcs8_der(doc.as_bytes())
                .map(|k| Material::P384(k.into()))
                .map_err(malformed),
            Ok(_) => Err(key_error(
                "unsupported ec curve: only P-256 (ES256) and P-384 (ES384) are supported",
            )),
            Err(_) => Err(key_error("malformed PKCS#8 ec private key: no curve")),
        },
        _ => Err(key_error(
            "unsupported key type: only RSA and EC (P-256, P-384) keys are supported",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_newlines_are_unescaped_in_one_zeroizing_buffer() {
        let table = [
            ("a\\nb\\r\\nc", "a\nb\nc"),
            ("a\nb", "a\nb"),
            ("\\", "\\"),
            ("a\\", "a\\"),
            ("\\r", "\\r"),
            ("\\\\n", "\\\n"),
            ("\\x\\n", "\\x\n"),
            ("", ""),
        ];
        for (text, want) in table {
            let out: Zeroizing<String> = unescape_newlines(text);
            assert_eq!(out.as_str(), want, "{text:?}");
            // Sized once, never grown: no freed, unwiped copy.
            assert_eq!(out.capacity(), text.len(), "{text:?}");
        }
    }

    #[test]
    fn label_is_read_from_the_first_boundary() {
        assert_eq!(
            label("-----BEGIN PRIVATE KEY-----\nAA\n"),
            Some("PRIVATE KEY")
        );
        assert_eq!(
            label("junk -----BEGIN EC PRIVATE KEY-----"),
            Some("EC PRIVATE KEY")
        );
        assert_eq!(label("-----BEGIN "), None);
        assert_eq!(label("no pem"), None);
    }
}
