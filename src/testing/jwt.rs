//! JWT plumbing shared by client assertions and DPoP proofs.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::jose::{Jwk, KeyMembers, b64};

/// The header and claims of a compact JWS, decoded but not verified; `None`
/// unless it has three parts and both JSON parts are objects.
pub(crate) fn peek(jwt: &str) -> Option<(Value, Value)> {
    let mut parts = jwt.split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |part: &str| -> Option<Value> {
        let bytes = b64::decode(part)?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        value.is_object().then_some(value)
    };
    Some((decode(header)?, decode(claims)?))
}

/// The algorithm named by `alg`, if it is one of `allowed`.
pub(crate) fn algorithm(alg: &str, allowed: &[Algorithm]) -> Option<Algorithm> {
    let alg: Algorithm = alg.parse().ok()?;
    allowed.contains(&alg).then_some(alg)
}

/// Whether `jwt`'s signature verifies with `jwk` under `alg` (claims are
/// checked by the caller). The mock checks signatures with `jsonwebtoken`,
/// not with the crate's own JOSE code, so the two check each other.
pub(crate) fn signature_ok(jwt: &str, jwk: &Jwk, alg: Algorithm) -> bool {
    let key = match jwk.members() {
        KeyMembers::Rsa { n, e } => DecodingKey::from_rsa_components(n, e),
        KeyMembers::Ec { x, y, .. } => DecodingKey::from_ec_components(x, y),
    };
    let Ok(key) = key else {
        return false;
    };
    let mut validation = Validation::new(alg);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).is_ok()
}

/// A claim as unix seconds.
pub(crate) fn seconds(claims: &Value, name: &str) -> Option<u64> {
    claims.get(name)?.as_u64()
}

/// A claim as a string.
pub(crate) fn string<'a>(claims: &'a Value, name: &str) -> Option<&'a str> {
    claims.get(name)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_refuses_what_is_not_a_compact_jws() {
        let part = |v: &str| b64::encode(v);
        let good = format!("{}.{}.sig", part(r#"{"alg":"ES256"}"#), part(r#"{"a":1}"#));
        assert!(peek(&good).is_some());
        for bad in [
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{}.{}.s", part("[]"), part("{}")),
            format!("{}.{}.s", part("{}"), part("not json")),
            format!("{}.%%.s", part("{}")),
            format!("{good}.extra"),
        ] {
            assert!(peek(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_allowed_algorithms_are_named() {
        let allowed = [Algorithm::ES256];
        assert_eq!(algorithm("ES256", &allowed), Some(Algorithm::ES256));
        assert_eq!(algorithm("RS256", &allowed), None);
        assert_eq!(algorithm("none", &allowed), None);
        assert_eq!(algorithm("ES512", &allowed), None);
    }
}
