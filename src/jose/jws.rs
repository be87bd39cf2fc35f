//! JWS compact serialization over an already-parsed signing key.
//!
//! Our keys are parsed once, so we serialize the parts with serde_json and
//! base64url here and only sign per call (a JWT library that re-reads the
//! DER key per call doubles the cost of an ES256 signature).

use serde::Serialize;

use super::{Algorithm, Jwk, b64};
use crate::error::Error;

/// A JWS header: `typ`, `alg`, and `kid` or `jwk` when given.
#[derive(Serialize)]
pub(crate) struct Header<'a> {
    pub(crate) typ: &'static str,
    pub(crate) alg: Algorithm,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) jwk: Option<&'a Jwk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kid: Option<&'a str>,
}

impl Header<'_> {
    /// The header as base64url JSON, ready for [`compact`].
    pub(crate) fn encode(&self) -> String {
        // A header of strings, an enum and a public JWK always serializes.
        b64::encode_json(self).unwrap_or_default()
    }
}

/// `header.claims.signature`, with `encoded_header` already base64url.
pub(crate) fn compact(
    encoded_header: &str,
    claims: &impl Serialize,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, Error>,
) -> Result<String, Error> {
    let claims = serde_json::to_vec(claims)
        .map_err(|_| Error::Config("cannot serialize jwt claims".into()))?;
    let mut out = String::with_capacity(encoded_header.len() + claims.len() * 4 / 3 + 2 + 700);
    out.push_str(encoded_header);
    out.push('.');
    b64::encode_into(&claims, &mut out);
    let signature = sign(out.as_bytes())?;
    out.push('.');
    b64::encode_into(signature, &mut out);
    Ok(out)
}

/// A fresh, unique `jti`: a random (v4) UUID.
pub(crate) fn new_jti() -> String {
    uuid::Uuid::new_v4().to_string()
}
