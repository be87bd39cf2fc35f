//! JWS compact serialization over an already-parsed signing key.
//!
//! `jsonwebtoken::encode` re-parses the DER key (and, for EC, re-derives the
//! public point) on every call, which doubles the cost of an ES256 signature.
//! Our keys are parsed once, so we serialize the parts with serde_json and
//! base64 here and only sign per call.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::Error;

/// base64url without padding, as JOSE wants it.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The base64url form of a JSON-serialized value.
pub(crate) fn b64_json(value: &impl Serialize) -> Result<String, Error> {
    let json = serde_json::to_vec(value)
        .map_err(|_| Error::Config("cannot serialize a jwt part".into()))?;
    Ok(b64(json))
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
    URL_SAFE_NO_PAD.encode_string(&claims, &mut out);
    let signature = sign(out.as_bytes())?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut out);
    Ok(out)
}

/// A fresh, unique `jti`: a random (v4) UUID.
pub(crate) fn new_jti() -> String {
    uuid::Uuid::new_v4().to_string()
}
