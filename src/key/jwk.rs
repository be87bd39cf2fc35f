//! Private JWKs in, public JWKs out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::Material;
use crate::error::Error;
use crate::jws;

fn key_error(msg: impl Into<String>) -> Error {
    Error::Key(msg.into())
}

/// The members of a private JWK we read. Private members are zeroized on
/// drop.
#[derive(Deserialize, Default)]
struct PrivateJwk {
    kty: Option<String>,
    crv: Option<String>,
    alg: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

impl Drop for PrivateJwk {
    fn drop(&mut self) {
        self.d.zeroize();
        self.p.zeroize();
        self.q.zeroize();
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JwkOrSet {
    Set { keys: Vec<PrivateJwk> },
    One(Box<PrivateJwk>),
}

pub(super) struct Parsed {
    pub(super) material: Material,
    pub(super) alg: Option<Algorithm>,
    pub(super) kid: Option<String>,
}

/// Reads a private JWK, or a JWK set with exactly one key.
pub(super) fn parse(json: &str) -> Result<Parsed, Error> {
    let parsed: JwkOrSet =
        serde_json::from_str(json).map_err(|_| key_error("malformed jwk: not a json object"))?;
    let mut jwk = match parsed {
        JwkOrSet::One(jwk) => *jwk,
        JwkOrSet::Set { mut keys } if keys.len() == 1 => keys.pop().unwrap_or_default(),
        JwkOrSet::Set { .. } => {
            return Err(key_error("a jwk set must hold exactly one key"));
        }
    };
    let alg = jwk.alg.as_deref().map(parse_alg).transpose()?;
    let kid = jwk.kid.take();
    if kid.as_deref().is_some_and(str::is_empty) {
        return Err(key_error("malformed jwk: empty kid"));
    }
    let material = match jwk.kty.as_deref() {
        Some("RSA") => rsa_key(&jwk)?,
        Some("EC") => ec_key(&jwk)?,
        Some(_) => {
            return Err(key_error(
                "unsupported jwk kty: only RSA and EC keys are supported",
            ));
        }
        None => return Err(key_error("malformed jwk: no kty")),
    };
    Ok(Parsed { material, alg, kid })
}

fn parse_alg(alg: &str) -> Result<Algorithm, Error> {
    Ok(match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        _ => {
            return Err(key_error(
                "unsupported jwk alg: use RS256, RS384, RS512, ES256 or ES384",
            ));
        }
    })
}

fn member<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, Error> {
    value
        .as_deref()
        .ok_or_else(|| key_error(format!("the jwk has no `{name}`")))
}

fn decode(value: &str, name: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map(Zeroizing::new)
        .map_err(|_| key_error(format!("the jwk member `{name}` is not base64url")))
}

fn uint(value: &Option<String>, name: &str) -> Result<BoxedUint, Error> {
    let bytes = decode(member(value, name)?, name)?;
    if bytes.is_empty() {
        return Err(key_error(format!("the jwk member `{name}` is empty")));
    }
    Ok(BoxedUint::from_be_slice_vartime(&bytes))
}

fn private_missing(jwk: &PrivateJwk) -> Result<(), Error> {
    if jwk.d.is_none() {
        return Err(key_error(
            "this jwk is a public key (no `d`): a private key is needed to sign",
        ));
    }
    Ok(())
}

fn rsa_key(jwk: &PrivateJwk) -> Result<Material, Error> {
    private_missing(jwk)?;
    let n = uint(&jwk.n, "n")?;
    let e = uint(&jwk.e, "e")?;
    let d = uint(&jwk.d, "d")?;
    let primes = match (&jwk.p, &jwk.q) {
        (Some(_), Some(_)) => vec![uint(&jwk.p, "p")?, uint(&jwk.q, "q")?],
        _ => Vec::new(),
    };
    let key = rsa::PrivateKey::from_components(n, e, d, primes)
        .map_err(|_| key_error("the rsa jwk's members do not form a valid key"))?;
    Ok(Material::Rsa(key))
}

fn ec_key(jwk: &PrivateJwk) -> Result<Material, Error> {
    private_missing(jwk)?;
    let d = decode(member(&jwk.d, "d")?, "d")?;
    let x = decode(member(&jwk.x, "x")?, "x")?;
    let y = decode(member(&jwk.y, "y")?, "y")?;
    let invalid = || key_error("the ec jwk's `d` is not a valid scalar for its curve");
    let mismatch = || key_error("the ec jwk's `x`/`y` do not belong to its `d`");
    match jwk.crv.as_deref() {
        Some("P-256") => {
            let key: p256::ecdsa::SigningKey = p256::SecretKey::from_slice(&d)
                .map_err(|_| invalid())?
                .into();
            let point = key.verifying_key().to_sec1_point(false);
            if point.x().map(|v| v.as_slice()) != Some(&x[..])
                || point.y().map(|v| v.as_slice()) != Some(&y[..])
            {
                return Err(mismatch());
            }
            Ok(Material::P256(key))
        }
        Some("P-384") => {
            let key: p384::ecdsa::SigningKey = p384::SecretKey::from_slice(&d)
                .map_err(|_| invalid())?
                .into();
            let point = key.verifying_key().to_sec1_point(false);
            if point.x().map(|v| v.as_slice()) != Some(&x[..])
                || point.y().map(|v| v.as_slice()) != Some(&y[..])
            {
                return Err(mismatch());
            }
            Ok(Material::P384(key))
        }
        Some(_) => Err(key_error(
            "unsupported ec curve: only P-256 (ES256) and P-384 (ES384) are supported",
        )),
        None => Err(key_error("the jwk has no `crv`")),
    }
}

/// The public JWK of `material`, with `kid`, `alg` and `use: sig`.
pub(super) fn public_jwk(material: &Material, alg: Algorithm, kid: Option<&str>) -> Jwk {
    let key_algorithm = match alg {
        Algorithm::RS384 => KeyAlgorithm::RS384,
        Algorithm::RS512 => KeyAlgorithm::RS512,
        Algorithm::ES256 => KeyAlgorithm::ES256,
        Algorithm::ES384 => KeyAlgorithm::ES384,
        _ => KeyAlgorithm::RS256,
    };
    let common = CommonParameters {
        public_key_use: Some(PublicKeyUse::Signature),
        key_algorithm: Some(key_algorithm),
        key_id: kid.map(str::to_owned),
        ..CommonParameters::default()
    };
    let algorithm = match material {
        Material::Rsa(key) => AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: jws::b64(key.n_bytes()),
            e: jws::b64(key.e_bytes()),
        }),
        Material::P256(key) => {
            let point = key.verifying_key().to_sec1_point(false);
            ec_params(
                EllipticCurve::P256,
                point.x().map(|v| v.as_slice()),
                point.y().map(|v| v.as_slice()),
            )
        }
        Material::P384(key) => {
            let point = key.verifying_key().to_sec1_point(false);
            ec_params(
                EllipticCurve::P384,
                point.x().map(|v| v.as_slice()),
                point.y().map(|v| v.as_slice()),
            )
        }
    };
    Jwk { common, algorithm }
}

fn ec_params(curve: EllipticCurve, x: Option<&[u8]>, y: Option<&[u8]>) -> AlgorithmParameters {
    // An uncompressed point of a valid key always has both coordinates.
    AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
        key_type: EllipticCurveKeyType::EC,
        curve,
        x: jws::b64(x.unwrap_or_default()),
        y: jws::b64(y.unwrap_or_default()),
    })
}
