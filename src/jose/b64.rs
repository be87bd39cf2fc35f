//! base64url without padding (RFC 7515 §2), as JOSE wants it: the crate's
//! one encoder and decoder.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::Error;

/// `bytes` as base64url without padding.
pub(crate) fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends `bytes` as base64url without padding to `out`.
pub(crate) fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// The base64url form of a JSON-serialized value.
pub(crate) fn encode_json(value: &impl Serialize) -> Result<String, Error> {
    let json = serde_json::to_vec(value)
        .map_err(|_| Error::Config("cannot serialize a jwt part".into()))?;
    Ok(encode(json))
}

/// Decodes strict base64url: the URL-safe alphabet, no padding, no
/// whitespace, no stray trailing bits. `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_strict() {
        assert_eq!(decode("AQAB"), Some(vec![1, 0, 1]));
        assert_eq!(decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode(""), Some(vec![]));
        for bad in ["AQAB=", "AQ==", "+/8", "AQ AB", "AR", "A"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
        assert_eq!(encode([0xfb, 0xff]), "-_8");
    }
}
