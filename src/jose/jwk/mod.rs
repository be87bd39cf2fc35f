//! [`Jwk`]: a public key as JSON (RFC 7517) and its RFC 7638 thumbprint.

use std::str::FromStr;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::raw_jwk::RawJwk;
use super::{Algorithm, b64};
use crate::error::{Error, JwkProblem};

/// A public key as a JSON Web Key (RFC 7517): RSA (`kty`, `n`, `e`) or EC
/// on P-256 / P-384 (`kty`, `crv`, `x`, `y`), with the optional `kid`,
/// `alg` and `use`.
///
/// It serializes to exactly what Okta's Admin UI and API take for a
/// client's key and what a JWKS holds; absent members are omitted, never
/// `null`. It parses the same (with [`str::parse`] for a typed
/// [`Error::InvalidJwk`], or serde); members it does not know (`x5c`,
/// `key_ops`, Okta's `id`, `status`, `_links`, …) are ignored and not kept.
/// Parsing refuses private members (`d`, `p`, `q`, `dp`, `dq`, `qi`,
/// `oth`, a symmetric `k`) with [`JwkProblem::PrivateMember`], naming the
/// member and never echoing its value; an EC `x`/`y` that is not a point
/// of its curve and an RSA `e` that is not odd and greater than 1 with
/// [`JwkProblem::InvalidKey`]; a `kid` with control characters with
/// [`JwkProblem::KidControlCharacter`].
///
/// ```
/// use okta_auth::serde_json;
/// use okta_auth::{Algorithm, Jwk, SigningKey};
///
/// let key = SigningKey::generate_p256().with_kid("key-1");
/// let jwk: Jwk = key.public_jwk();
/// let json = serde_json::to_string(&jwk)?;
/// assert!(json.starts_with(r#"{"kty":"EC","crv":"P-256","x":"#));
/// assert!(json.ends_with(r#","kid":"key-1","use":"sig","alg":"ES256"}"#));
///
/// let parsed: Jwk = json.parse()?;
/// assert_eq!(parsed, jwk);
/// assert_eq!(parsed.algorithm(), Some(Algorithm::ES256));
/// assert_eq!(parsed.thumbprint(), key.thumbprint());
///
/// let leaked = json.replace(r#""kid""#, r#""d":"c2VjcmV0","kid""#);
/// assert!(leaked.parse::<Jwk>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jwk {
    key: KeyMembers,
    kid: Option<String>,
    alg: Option<Algorithm>,
    key_use: Option<KeyUse>,
}

/// The key itself, base64url members as they came (checked on parse). It
/// serializes as those members alone (`n`, `e` or `crv`, `x`, `y`), to be
/// flattened into a JWK: the public one here, the private one of
/// [`SigningKey::to_private_jwk`](crate::SigningKey::to_private_jwk).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub(crate) enum KeyMembers {
    Rsa { n: String, e: String },
    Ec { crv: Curve, x: String, y: String },
}

/// The curves we sign and verify on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Serialize for Curve {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Curve {
    /// The JOSE name (`crv`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
        }
    }

    /// The curve of a JOSE name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            _ => None,
        }
    }

    /// The length of one coordinate, in bytes.
    pub(crate) fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    /// Whether (`x`, `y`) is a point of this curve (not the identity), as
    /// the p256/p384 crates decode an uncompressed SEC1 point.
    pub(crate) fn has_point(self, x: &[u8], y: &[u8]) -> bool {
        let point = [&[4u8][..], x, y].concat();
        match self {
            Curve::P256 => p256::PublicKey::from_sec1_bytes(&point).is_ok(),
            Curve::P384 => p384::PublicKey::from_sec1_bytes(&point).is_ok(),
        }
    }

    /// The one algorithm that signs on this curve.
    pub(crate) fn algorithm(self) -> Algorithm {
        match self {
            Curve::P256 => Algorithm::ES256,
            Curve::P384 => Algorithm::ES384,
        }
    }
}

impl KeyMembers {
    /// Whether `alg` signs with this key.
    pub(crate) fn fits(&self, alg: Algorithm) -> bool {
        match self {
            KeyMembers::Rsa { .. } => {
                matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512)
            }
            KeyMembers::Ec { crv, .. } => crv.algorithm() == alg,
        }
    }
}

/// What a key is for (`use`): signatures or encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KeyUse {
    /// `"sig"`: verifying signatures, what Okta's keys and ours are for.
    #[serde(rename = "sig")]
    Signature,
    /// `"enc"`: encryption.
    #[serde(rename = "enc")]
    Encryption,
}

impl Jwk {
    /// An RSA public key from its big-endian modulus and exponent.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Self {
        Self::from_members(KeyMembers::Rsa {
            n: b64::encode(n),
            e: b64::encode(e),
        })
    }

    /// An EC public key from its uncompressed SEC1 point (`04 ‖ x ‖ y`), as
    /// the p256/p384 verifying keys give it.
    pub(crate) fn ec(crv: Curve, sec1_uncompressed: &[u8]) -> Self {
        let xy = sec1_uncompressed.get(1..).unwrap_or_default();
        let (x, y) = xy.split_at(xy.len() / 2);
        Self::from_members(KeyMembers::Ec {
            crv,
            x: b64::encode(x),
            y: b64::encode(y),
        })
    }

    fn from_members(key: KeyMembers) -> Self {
        Self {
            key,
            kid: None,
            alg: None,
            key_use: None,
        }
    }

    /// This key as a signing key's public half: `alg` and `use: sig`.
    pub(crate) fn for_signing(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self.key_use = Some(KeyUse::Signature);
        self
    }

    /// Sets the key id (`kid`), as when registering the key with Okta under
    /// a name of your choice.
    ///
    /// The `kid` must be printable: no control characters (NUL, CR, LF, …),
    /// which parsing refuses with [`JwkProblem::KidControlCharacter`]. This
    /// setter, meant for literals in code, does not check; `Debug` and
    /// `tracing` fields escape a `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key type (`kty`): `"RSA"` or `"EC"`.
    pub fn kty(&self) -> &'static str {
        match self.key {
            KeyMembers::Rsa { .. } => "RSA",
            KeyMembers::Ec { .. } => "EC",
        }
    }

    /// The curve (`crv`) of an EC key: `"P-256"` or `"P-384"`.
    pub fn crv(&self) -> Option<&'static str> {
        match self.key {
            KeyMembers::Rsa { .. } => None,
            KeyMembers::Ec { crv, .. } => Some(crv.name()),
        }
    }

    /// The key id (`kid`), if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm (`alg`) the key is meant for, if stated. It always
    /// fits the key: parsing refuses `ES256` on an RSA key.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// What the key is for (`use`), if stated.
    pub fn key_use(&self) -> Option<KeyUse> {
        self.key_use
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: a digest of the required
    /// members only (`kid`, `alg` and `use` do not change it). What a
    /// DPoP-bound token's `cnf.jkt` holds, and what some teams use as the
    /// `kid`.
    pub fn thumbprint(&self) -> String {
        // RFC 7638 §3.2: the required members, lexicographically ordered,
        // without whitespace (serde_json writes struct fields in order).
        #[derive(Serialize)]
        struct Rsa<'a> {
            e: &'a str,
            kty: &'static str,
            n: &'a str,
        }
        #[derive(Serialize)]
        struct Ec<'a> {
            crv: &'static str,
            kty: &'static str,
            x: &'a str,
            y: &'a str,
        }
        let json = match &self.key {
            KeyMembers::Rsa { n, e } => serde_json::to_vec(&Rsa { e, kty: "RSA", n }),
            KeyMembers::Ec { crv, x, y } => serde_json::to_vec(&Ec {
                crv: crv.name(),
                kty: "EC",
                x,
                y,
            }),
        };
        // A struct of strings always serializes.
        b64::encode(Sha256::digest(json.unwrap_or_default()))
    }

    /// The key's own members, for turning it into a key that verifies.
    pub(crate) fn members(&self) -> &KeyMembers {
        &self.key
    }

    /// Reads a public key from its raw members.
    pub(crate) fn from_raw(raw: &mut RawJwk) -> Result<Self, JwkProblem> {
        if let Some(member) = raw.private_member() {
            return Err(JwkProblem::PrivateMember(member));
        }
        let key = match raw.kty.as_deref() {
            None => return Err(JwkProblem::MissingMember("kty")),
            Some("RSA") => {
                let (n, _) = bytes_member(&mut raw.n, "n", None)?;
                let (e, e_bytes) = bytes_member(&mut raw.e, "e", None)?;
                if !odd_above_one(&e_bytes) {
                    return Err(JwkProblem::InvalidKey);
                }
                KeyMembers::Rsa { n, e }
            }
            Some("EC") => {
                let crv = raw.crv.as_deref().ok_or(JwkProblem::MissingMember("crv"))?;
                let crv = Curve::from_name(crv).ok_or(JwkProblem::UnsupportedCurve)?;
                let len = Some(crv.coordinate_len());
                let (x, x_bytes) = bytes_member(&mut raw.x, "x", len)?;
                let (y, y_bytes) = bytes_member(&mut raw.y, "y", len)?;
                if !crv.has_point(&x_bytes, &y_bytes) {
                    return Err(JwkProblem::InvalidKey);
                }
                KeyMembers::Ec { crv, x, y }
            }
            Some(_) => return Err(JwkProblem::UnsupportedKeyType),
        };
        let alg = match raw.alg.as_deref() {
            None => None,
            Some(name) => Some(name.parse().map_err(|_| JwkProblem::UnsupportedAlgorithm)?),
        };
        if alg.is_some_and(|alg| !key.fits(alg)) {
            return Err(JwkProblem::AlgorithmMismatch);
        }
        let key_use = match raw.key_use.as_deref() {
            None => None,
            Some("sig") => Some(KeyUse::Signature),
            Some("enc") => Some(KeyUse::Encryption),
            Some(_) => return Err(JwkProblem::UnsupportedUse),
        };
        let kid = raw.kid.take();
        if let Some(kid) = &kid {
            check_kid(kid)?;
        }
        Ok(Self {
            key,
            kid,
            alg,
            key_use,
        })
    }
}

/// A `kid` read from input must be printable: it travels into JWS headers,
/// `Debug`, `tracing` fields and Okta's API. Control characters (NUL, CR,
/// LF, …) are refused.
pub(crate) fn check_kid(kid: &str) -> Result<(), JwkProblem> {
    if kid.chars().any(char::is_control) {
        return Err(JwkProblem::KidControlCharacter);
    }
    Ok(())
}

/// Whether the big-endian unsigned integer `bytes` is odd and greater than
/// 1, as an RSA public exponent must be (RFC 8017 §3.1).
fn odd_above_one(bytes: &[u8]) -> bool {
    match bytes.split_last() {
        Some((&last, high)) => last % 2 == 1 && (last > 1 || high.iter().any(|&b| b != 0)),
        None => false,
    }
}

/// A base64url member that must hold bytes: present, non-empty, strictly
/// base64url, and `len` bytes long when given (else the key is invalid).
/// The member as it came, and its bytes.
fn bytes_member(
    value: &mut Option<String>,
    name: &'static str,
    len: Option<usize>,
) -> Result<(String, Vec<u8>), JwkProblem> {
    let value = value.take().ok_or(JwkProblem::MissingMember(name))?;
    if value.is_empty() {
        return Err(JwkProblem::EmptyMember(name));
    }
    let bytes = b64::decode(&value).ok_or(JwkProblem::NotBase64Url(name))?;
    if len.is_some_and(|len| bytes.len() != len) {
        return Err(JwkProblem::InvalidKey);
    }
    Ok((value, bytes))
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what a
/// DPoP-bound token's `cnf.jkt` holds. The same as [`Jwk::thumbprint`].
pub fn jwk_thumbprint(jwk: &Jwk) -> String {
    jwk.thumbprint()
}

/// The members as they go over the wire, in this order.
#[derive(Serialize)]
struct Members<'a> {
    kty: &'static str,
    #[serde(flatten)]
    key: &'a KeyMembers,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    key_use: Option<KeyUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alg: Option<Algorithm>,
}

impl Serialize for Jwk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Members {
            kty: self.kty(),
            key: &self.key,
            kid: self.kid.as_deref(),
            key_use: self.key_use,
            alg: self.alg,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut raw = RawJwk::deserialize(deserializer)?;
        Jwk::from_raw(&mut raw).map_err(|p| de::Error::custom(Error::InvalidJwk(p)))
    }
}

impl FromStr for Jwk {
    type Err = Error;

    /// Reads a public JWK from JSON text; see [`Jwk`] for what is refused.
    fn from_str(json: &str) -> Result<Self, Error> {
        let mut raw: RawJwk =
            serde_json::from_str(json).map_err(|_| Error::InvalidJwk(JwkProblem::Malformed))?;
        Jwk::from_raw(&mut raw).map_err(Error::InvalidJwk)
    }
}

#[cfg(test)]
mod tests;
