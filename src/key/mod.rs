//! [`SigningKey`]: the private key a service app signs its client assertions
//! with (`private_key_jwt`), read from any form Okta users have.

mod export;
mod jwk;
mod pem;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use p256::ecdsa::signature::Signer;
use rsa::Pkcs1v15Sign;
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use url::Url;

use crate::error::Error;
use crate::jose::{Algorithm, Curve, Jwk, MAX_RSA_BITS, MIN_RSA_BITS, jws};

/// A private key for signing client assertions (RFC 7523,
/// `private_key_jwt`): RSA (`RS256`, `RS384`, `RS512`; at least
/// [`MIN_RSA_BITS`] bits) or EC (`ES256` on P-256, `ES384` on P-384).
///
/// Read it with [`SigningKey::parse`] from the text Okta users have: PEM
/// (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`,
/// also with literal `\n` as pasted into environment variables) or a private
/// JWK (JSON with `d`, as the Okta Admin UI makes them; its `kid` and `alg`
/// are used).
///
/// Cloning is cheap (the key material is shared). The private material is
/// zeroized when the last clone drops, and `Debug` shows only the kind, the
/// algorithm and the `kid`.
///
/// ```
/// use okta_auth::serde_json;
/// use okta_auth::{Algorithm, SigningKey};
///
/// let key = SigningKey::generate_p256().with_kid("my-key-1");
/// assert_eq!(key.algorithm(), Algorithm::ES256);
/// assert_eq!(key.kid(), Some("my-key-1"));
/// // Register the public half with the app in Okta:
/// let jwk = serde_json::to_string(&key.public_jwk())?;
/// assert!(!jwk.contains("\"d\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    material: Arc<Material>,
    alg: Algorithm,
    kid: Option<String>,
    /// base64url of the JWS header `{"typ":"JWT","alg":…,"kid":…}`, encoded
    /// once per (alg, kid).
    encoded_header: String,
}

/// The private key itself. Each variant zeroizes on drop (rsa, p256, p384).
pub(crate) enum Material {
    Rsa(rsa::PrivateKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// A P-256 private key from PEM, read as [`SigningKey::from_pem`] reads
/// keys (literal `\n`, zeroized copies, clear errors for encrypted and
/// public keys); any other key type or curve is an [`Error::Key`]. For
/// [`DpopKey::from_pem`](crate::DpopKey::from_pem).
pub(crate) fn p256_from_pem(text: &str) -> Result<p256::ecdsa::SigningKey, Error> {
    match pem::parse(text)? {
        Material::P256(key) => Ok(key),
        other => Err(Error::Key(format!(
            "a dpop key must be a P-256 (ES256) private key, not {}",
            other.kind()
        ))),
    }
}

impl Material {
    fn kind(&self) -> &'static str {
        match self {
            Material::Rsa(_) => "RSA",
            Material::P256(_) => "EC P-256",
            Material::P384(_) => "EC P-384",
        }
    }

    fn default_alg(&self) -> Algorithm {
        match self {
            Material::Rsa(_) => Algorithm::RS256,
            Material::P256(_) => Algorithm::ES256,
            Material::P384(_) => Algorithm::ES384,
        }
    }

    fn supports(&self, alg: Algorithm) -> bool {
        match self {
            Material::Rsa(_) => {
                matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512)
            }
            Material::P256(_) => alg == Algorithm::ES256,
            Material::P384(_) => alg == Algorithm::ES384,
        }
    }

    /// The public key as a bare JWK (no `kid`, `alg` or `use`).
    fn public_jwk(&self) -> Jwk {
        match self {
            Material::Rsa(key) => Jwk::rsa(&key.n_bytes(), &key.e_bytes()),
            Material::P256(key) => Jwk::ec(
                Curve::P256,
                key.verifying_key().to_sec1_point(false).as_bytes(),
            ),
            Material::P384(key) => Jwk::ec(
                Curve::P384,
                key.verifying_key().to_sec1_point(false).as_bytes(),
            ),
        }
    }
}

/// The claims of a client assertion (RFC 7523 section 3).
#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
}

impl SigningKey {
    /// Reads a private key from PEM or JWK text, whichever `text` is (JSON
    /// starts with `{` or `[`).
    ///
    /// Fails with [`Error::Key`] on anything else: a public key, an
    /// encrypted key, an RSA key under [`MIN_RSA_BITS`] bits, an EC key on a
    /// curve other than P-256 or P-384, a JWK without its private members
    /// or whose `kid` is empty or holds control characters (NUL, CR, LF,
    /// …), or text that is not a key. The error never quotes the input.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.trim_start().starts_with(['{', '[']) {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text)
        }
    }

    /// Reads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, RSA or EC),
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`).
    /// Literal `\n` sequences are read as line breaks. See
    /// [`parse`](Self::parse) for the errors.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Self::from_material(pem::parse(pem)?, None, None)
    }

    /// Reads a private JWK (JSON text with `d`), or a JWK set holding exactly
    /// one key. Its `kid` and `alg`, when present, become the key's. See
    /// [`parse`](Self::parse) for the errors.
    pub fn from_jwk(json: &str) -> Result<Self, Error> {
        let parsed = jwk::parse(json)?;
        Self::from_material(parsed.material, parsed.alg, parsed.kid)
    }

    /// Generates a new RSA key of `bits` bits (2048 to 8192), for `RS256`.
    /// Takes a while (around a second for 2048 bits).
    pub fn generate_rsa(bits: usize) -> Result<Self, Error> {
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(Error::Key(format!(
                "an rsa key must have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits"
            )));
        }
        let key = rsa::PrivateKey::new(&mut rand::rng(), bits)
            .map_err(|_| Error::Key("rsa key generation failed".into()))?;
        Self::from_material(Material::Rsa(key), None, None)
    }

    /// Generates a new P-256 key, for `ES256`.
    pub fn generate_p256() -> Self {
        use p256::elliptic_curve::Generate;
        let material = Material::P256(p256::ecdsa::SigningKey::generate());
        let alg = Algorithm::ES256;
        Self {
            encoded_header: encode_header(alg, None),
            material: Arc::new(material),
            alg,
            kid: None,
        }
    }

    pub(crate) fn from_material(
        material: Material,
        alg: Option<Algorithm>,
        kid: Option<String>,
    ) -> Result<Self, Error> {
        if let Material::Rsa(key) = &material {
            check_rsa_size(key)?;
        }
        let alg = alg.unwrap_or_else(|| material.default_alg());
        if !material.supports(alg) {
            return Err(Error::Key(format!(
                "an {} key cannot sign {alg}",
                material.kind()
            )));
        }
        Ok(Self {
            encoded_header: encode_header(alg, kid.as_deref()),
            material: Arc::new(material),
            alg,
            kid,
        })
    }

    /// Sets the key id (`kid`) sent in every assertion header. Okta needs it
    /// when the app has more than one key: use the `kid` Okta shows for the
    /// key.
    ///
    /// The `kid` must be printable: no control characters (NUL, CR, LF, …),
    /// which [`from_jwk`](Self::from_jwk) refuses in a JWK. This setter,
    /// meant for literals in code, does not check; `Debug` and `tracing`
    /// fields escape a `kid`.
    ///
    /// Defaults to the JWK's `kid`, or none for PEM keys.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self.encoded_header = encode_header(self.alg, self.kid.as_deref());
        self
    }

    /// Sets the signing algorithm: `RS256`, `RS384` or `RS512` for an RSA
    /// key; an EC key signs only with its curve's algorithm (`ES256` for
    /// P-256, `ES384` for P-384). Any other choice is an [`Error::Key`].
    /// Defaults to the JWK's `alg`, else `RS256` for RSA and the curve's
    /// algorithm for EC.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, Error> {
        if !self.material.supports(alg) {
            return Err(Error::Key(format!(
                "an {} key cannot sign {alg}",
                self.material.kind()
            )));
        }
        self.alg = alg;
        self.encoded_header = encode_header(self.alg, self.kid.as_deref());
        Ok(self)
    }

    /// The key id sent in assertion headers, if known.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public key as a JWK, with `kid` (when known), `alg` and
    /// `use: sig`: what to register with the app in Okta. It holds public
    /// members only.
    pub fn public_jwk(&self) -> Jwk {
        let jwk = self.material.public_jwk().for_signing(self.alg);
        match &self.kid {
            Some(kid) => jwk.with_kid(kid.as_str()),
            None => jwk,
        }
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url
    /// ([`Jwk::thumbprint`]). Some teams use it as the `kid`.
    pub fn thumbprint(&self) -> String {
        self.material.public_jwk().thumbprint()
    }

    /// Mints a client assertion (RFC 7523): a JWT signed with this key, with
    /// `iss` = `sub` = `client_id`, `aud` = `audience` (the exact token
    /// endpoint), `iat` = now, `exp` = now + `lifetime`, a random `jti`, and
    /// `kid` in the header when known.
    ///
    /// [`ServiceAppSource`](crate::ServiceAppSource) mints a fresh one for
    /// every token request; this is for other OAuth flows that need one.
    ///
    /// # Security
    /// The assertion is a credential until it expires: send it only to
    /// `audience`.
    pub fn client_assertion(
        &self,
        client_id: &str,
        audience: &Url,
        lifetime: Duration,
    ) -> Result<String, Error> {
        let iat = crate::clock::unix_now();
        let jti = jws::new_jti();
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: audience.as_str(),
            iat,
            exp: iat.saturating_add(lifetime.as_secs()),
            jti: &jti,
        };
        jws::compact(&self.encoded_header, &claims, |msg| self.sign(msg))
    }

    /// Signs `msg` with this key's algorithm: the JWS signature bytes.
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = |_| Error::Key("signing failed".into());
        match (&*self.material, self.alg) {
            (Material::Rsa(key), Algorithm::RS384) => key
                .sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(msg))
                .map_err(failed),
            (Material::Rsa(key), Algorithm::RS512) => key
                .sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(msg))
                .map_err(failed),
            (Material::Rsa(key), _) => key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
                .map_err(failed),
            (Material::P256(key), _) => {
                let sig: p256::ecdsa::Signature = key.sign(msg);
                Ok(sig.to_bytes().to_vec())
            }
            (Material::P384(key), _) => {
                let sig: p384::ecdsa::Signature = key.sign(msg);
                Ok(sig.to_bytes().to_vec())
            }
        }
    }
}

fn check_rsa_size(key: &rsa::PrivateKey) -> Result<(), Error> {
    check_rsa_bits(key.size() * 8)
}

/// Refuses an RSA modulus of `bits` bits (counted in whole bytes, as
/// `PublicKeyParts::size` does) outside [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`].
pub(super) fn check_rsa_bits(bits: usize) -> Result<(), Error> {
    if bits < MIN_RSA_BITS {
        return Err(Error::Key(format!(
            "the rsa key has {bits} bits; okta needs at least {MIN_RSA_BITS}"
        )));
    }
    if bits > MAX_RSA_BITS {
        return Err(Error::Key(format!(
            "the rsa key has {bits} bits; at most {MAX_RSA_BITS} are supported"
        )));
    }
    Ok(())
}

fn encode_header(alg: Algorithm, kid: Option<&str>) -> String {
    jws::Header {
        typ: "JWT",
        alg,
        jwk: None,
        kid,
    }
    .encode()
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kind", &self.material.kind())
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}

    #[test]
    fn every_kind_of_key_material_zeroizes_on_drop() {
        zeroized_on_drop::<rsa::PrivateKey>();
        zeroized_on_drop::<p256::ecdsa::SigningKey>();
        zeroized_on_drop::<p384::ecdsa::SigningKey>();
    }

    #[test]
    fn signing_key_is_send_sync_clone() {
        fn traits<T: Send + Sync + Clone + 'static>() {}
        traits::<SigningKey>();
    }

    #[test]
    fn what_we_sign_verifies_with_our_public_jwk() {
        let message = b"header.payload";
        let rsa = SigningKey::parse(include_str!("../../tests/fixtures/keys/rsa2048-pkcs8.pem"));
        for key in [SigningKey::generate_p256(), rsa.unwrap()] {
            let verifying = key.public_jwk().verifying_key().unwrap();
            for alg in [key.algorithm(), Algorithm::RS512] {
                let Ok(key) = key.clone().with_algorithm(alg) else {
                    continue;
                };
                let signature = key.sign(message).unwrap();
                assert!(verifying.verify(alg, message, &signature), "{alg}");
                assert!(!verifying.verify(alg, b"header.payloaD", &signature));
            }
        }
    }

    #[test]
    fn header_carries_alg_and_kid() {
        let key = SigningKey::generate_p256().with_kid("k-1");
        let header: serde_json::Value =
            serde_json::from_slice(&crate::jose::b64::decode(&key.encoded_header).unwrap())
                .unwrap();
        assert_eq!(
            header,
            serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": "k-1"})
        );
    }
}
