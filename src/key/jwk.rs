//! Private JWKs in: [`SigningKey::from_jwk`](crate::SigningKey::from_jwk),
//! on the JOSE core's one JWK reader ([`RawJwk`]).

use rsa::BoxedUint;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::Material;
use crate::error::Error;
use crate::jose::{Algorithm, Curve, RawJwk, b64, check_kid};

fn key_error(msg: impl Into<String>) -> Error {
    Error::Key(msg.into())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JwkOrSet {
    Set { keys: Vec<RawJwk> },
    One(Box<RawJwk>),
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
        JwkOrSet::One(jwk) => jwk,
        JwkOrSet::Set { mut keys } if keys.len() == 1 => Box::new(keys.pop().unwrap_or_default()),
        JwkOrSet::Set { .. } => {
            return Err(key_error("a jwk set must hold exactly one key"));
        }
    };
    let alg = jwk.alg.as_deref().map(parse_alg).transpose()?;
    let kid = jwk.kid.take();
    if let Some(kid) = &kid {
        if kid.is_empty() {
            return Err(key_error("malformed jwk: empty kid"));
        }
        check_kid(kid).map_err(|problem| key_error(format!("malformed jwk: {problem}")))?;
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
    alg.parse()
        .map_err(|_| key_error("unsupported jwk alg: use RS256, RS384, RS512, ES256 or ES384"))
}

fn member<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, Error> {
    value
        .as_deref()
        .ok_or_else(|| key_error(format!("the jwk has no `{name}`")))
}

/// A member's bytes. Padding is forgiven here (keys pasted by hand);
/// anything else must be base64url.
fn decode(value: &str, name: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    b64::decode(value.trim_end_matches('='))
        .map(Zeroizing::new)
        .ok_or_else(|| key_error(format!("the jwk member `{name}` is not base64url")))
}

fn uint(value: &Option<String>, name: &str) -> Result<BoxedUint, Error> {
    let bytes = decode(member(value, name)?, name)?;
    if bytes.is_empty() {
        return Err(key_error(format!("the jwk member `{name}` is empty")));
    }
    Ok(BoxedUint::from_be_slice_vartime(&bytes))
}

fn private_missing(jwk: &RawJwk) -> Result<(), Error> {
    if jwk.d.is_none() {
        return Err(key_error(
            "this jwk is a public key (no `d`): a private key is needed to sign",
        ));
    }
    Ok(())
}

fn rsa_key(jwk: &RawJwk) -> Result<Material, Error> {
    private_missing(jwk)?;
    let n = uint(&jwk.n, "n")?;
    // Checked before the key is assembled: without `p` and `q` the rsa crate
    // recovers the primes from `n`, `e` and `d`, which takes time growing
    // with the size of `n` (over a second for a hostile 32 768-bit one).
    super::check_rsa_bits((n.bit_width_vartime() as usize).div_ceil(8) * 8)?;
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

fn ec_key(jwk: &RawJwk) -> Result<Material, Error> {
    private_missing(jwk)?;
    let d = decode(member(&jwk.d, "d")?, "d")?;
    let x = decode(member(&jwk.x, "x")?, "x")?;
    let y = decode(member(&jwk.y, "y")?, "y")?;
    let invalid = || key_error("the ec jwk's `d` is not a valid scalar for its curve");
    let mismatch = || key_error("the ec jwk's `x`/`y` do not belong to its `d`");
    // The public point the JWK claims, uncompressed SEC1: 04 ‖ x ‖ y.
    let claimed = [&[4u8][..], &x, &y].concat();
    let crv = member(&jwk.crv, "crv")?;
    match Curve::from_name(crv) {
        Some(Curve::P256) => {
            let key: p256::ecdsa::SigningKey = p256::SecretKey::from_slice(&d)
                .map_err(|_| invalid())?
                .into();
            if key.verifying_key().to_sec1_point(false).as_bytes() != claimed {
                return Err(mismatch());
            }
            Ok(Material::P256(key))
        }
        Some(Curve::P384) => {
            let key: p384::ecdsa::SigningKey = p384::SecretKey::from_slice(&d)
                .map_err(|_| invalid())?
                .into();
            if key.verifying_key().to_sec1_point(false).as_bytes() != claimed {
                return Err(mismatch());
            }
            Ok(Material::P384(key))
        }
        None => Err(key_error(
            "unsupported ec curve: only P-256 (ES256) and P-384 (ES384) are supported",
        )),
    }
}
