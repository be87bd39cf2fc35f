//! Private keys out: PKCS#8 PEM (the rsa, p256 and p384 crates' encoders)
//! and private JWKs (serde over the key's members), so that a new key can
//! go into a secret manager and come back through [`SigningKey::parse`].

use std::io;

use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PrivateKeyParts;
use secrecy::SecretString;
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Material, SigningKey};
use crate::error::Error;
use crate::jose::{KeyMembers, b64};

/// A private JWK as written: the public key's members (shared with
/// [`Jwk`](crate::Jwk)'s serialization) and the private ones, borrowed.
#[derive(Serialize)]
struct PrivateJwk<'a> {
    kty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(rename = "use")]
    key_use: &'static str,
    alg: &'static str,
    #[serde(flatten)]
    key: &'a KeyMembers,
    d: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dq: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qi: Option<&'a str>,
}

/// The private members of a JWK, each a zeroizing base64url copy, in the
/// order written.
#[derive(Default)]
struct Members {
    d: Zeroizing<String>,
    p: Option<Zeroizing<String>>,
    q: Option<Zeroizing<String>>,
    dp: Option<Zeroizing<String>>,
    dq: Option<Zeroizing<String>>,
    qi: Option<Zeroizing<String>>,
}

/// `bytes` as base64url, in a zeroizing buffer of the final size.
fn member(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(3) * 4));
    b64::encode_into(bytes, &mut out);
    out
}

/// A big-endian integer without leading zero octets (RFC 7518's
/// `Base64urlUInt`), as a member.
fn uint(value: &rsa::BoxedUint) -> Zeroizing<String> {
    member(&Zeroizing::new(value.to_be_bytes_trimmed_vartime()))
}

/// A member as written, if present.
fn s(member: &Option<Zeroizing<String>>) -> Option<&str> {
    member.as_deref().map(String::as_str)
}

/// Counts what `serde_json` writes, to size the real buffer once.
struct Count(usize);

impl io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SigningKey {
    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, LF line
    /// endings), as the Okta Admin UI gives keys, for a secret manager;
    /// [`SigningKey::parse`] reads it back (the `kid` and algorithm are not
    /// part of PEM: set them again with [`with_kid`](Self::with_kid)).
    ///
    /// # Security
    /// The text is the private key. It is returned as a [`SecretString`]
    /// (wiped when dropped, `[redacted]` in `Debug`); the encoders' own
    /// copies are wiped too. Every copy you make of it is yours to protect.
    pub fn to_pkcs8_pem(&self) -> Result<SecretString, Error> {
        let failed = |_| Error::Key("the private key cannot be written as PKCS#8".into());
        let pem: Zeroizing<String> = match &*self.material {
            Material::Rsa(key) => key.to_pkcs8_pem(LineEnding::LF).map_err(failed)?,
            Material::P256(key) => key.to_pkcs8_pem(LineEnding::LF).map_err(failed)?,
            Material::P384(key) => key.to_pkcs8_pem(LineEnding::LF).map_err(failed)?,
        };
        Ok(secret(&pem))
    }

    /// The private key as a JWK (JSON with `d`, and for RSA `p`, `q`, `dp`,
    /// `dq`, `qi`), with its `kid` (when known), `alg` and `use: sig`, as the
    /// Okta Admin UI makes them; [`SigningKey::parse`] reads it back with
    /// its `kid` and algorithm.
    ///
    /// # Security
    /// The JSON is the private key. It is built in buffers sized once and
    /// wiped (every private member, and the text), and returned as a
    /// [`SecretString`] (wiped when dropped, `[redacted]` in `Debug`).
    pub fn to_private_jwk(&self) -> Result<SecretString, Error> {
        let failed = || Error::Key("the private key cannot be written as a jwk".into());
        let public = self.material.public_jwk();
        let mut jwk = Members::default();
        match &*self.material {
            Material::Rsa(key) => {
                jwk.d = uint(key.d());
                // The CRT members go together or not at all (RFC 7518
                // section 6.3.2): only for a two-prime key with them.
                if let ([p, q], Some(dp), Some(dq), Some(qi)) = (
                    key.primes(),
                    key.dp(),
                    key.dq(),
                    key.crt_coefficient().map(Zeroizing::new),
                ) {
                    jwk.p = Some(uint(p));
                    jwk.q = Some(uint(q));
                    jwk.dp = Some(uint(dp));
                    jwk.dq = Some(uint(dq));
                    jwk.qi = Some(uint(&qi));
                }
            }
            Material::P256(key) => jwk.d = member(&Zeroizing::new(key.to_bytes())),
            Material::P384(key) => jwk.d = member(&Zeroizing::new(key.to_bytes())),
        }
        let jwk = PrivateJwk {
            kty: public.kty(),
            kid: self.kid.as_deref(),
            key_use: "sig",
            alg: self.alg.as_str(),
            key: public.members(),
            d: &jwk.d,
            p: s(&jwk.p),
            q: s(&jwk.q),
            dp: s(&jwk.dp),
            dq: s(&jwk.dq),
            qi: s(&jwk.qi),
        };
        let mut count = Count(0);
        serde_json::to_writer(&mut count, &jwk).map_err(|_| failed())?;
        // Sized once: written without growing, so no freed copy is left
        // behind.
        let mut out = Zeroizing::new(Vec::with_capacity(count.0));
        serde_json::to_writer(&mut *out, &jwk).map_err(|_| failed())?;
        let text =
            Zeroizing::new(String::from_utf8(std::mem::take(&mut *out)).map_err(|_| failed())?);
        Ok(secret(&text))
    }
}

/// `text` as a [`SecretString`], copied once into a buffer of its exact
/// size, so that boxing it does not reallocate and leave an unwiped copy
/// behind (`text` itself is the caller's to wipe).
fn secret(text: &str) -> SecretString {
    let mut exact = String::with_capacity(text.len());
    exact.push_str(text);
    SecretString::from(exact)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use serde_json::Value;

    use super::*;

    /// The text `to_private_jwk` writes, member by member in its order,
    /// from the fixture's values (`kid`, `use` and `alg` as given).
    fn written(fixture: &str, kid: Option<&str>, alg: &str) -> String {
        let members: Value = serde_json::from_str(fixture).unwrap();
        let mut out = format!(r#"{{"kty":{}"#, members["kty"]);
        if let Some(kid) = kid {
            out += &format!(r#","kid":"{kid}""#);
        }
        out += &format!(r#","use":"sig","alg":"{alg}""#);
        for name in ["crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi"] {
            if let Some(value) = members.get(name) {
                out += &format!(r#","{name}":{value}"#);
            }
        }
        out + "}"
    }

    #[test]
    fn the_private_jwk_is_written_byte_for_byte() {
        let rsa = include_str!("../../tests/fixtures/keys/rsa2048-private.jwk.json");
        let p256 = include_str!("../../tests/fixtures/keys/ec-p256-private.jwk.json");
        let p384 = include_str!("../../tests/fixtures/keys/ec-p384-private.jwk.json");
        for (fixture, kid, alg) in [
            (rsa, Some("rsa-jwk-1"), "RS256"),
            (p256, Some("ec-jwk-1"), "ES256"),
            (p384, None, "ES384"),
        ] {
            let mut key = SigningKey::parse(fixture).unwrap();
            if kid.is_none() {
                key = SigningKey::parse(key.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
            }
            assert_eq!(key.kid(), kid);
            let jwk = key.to_private_jwk().unwrap();
            assert_eq!(jwk.expose_secret(), written(fixture, kid, alg), "{alg}");
        }
    }
}
