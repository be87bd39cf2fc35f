//! Compact JWS parsing for verification: size-capped, exactly three
//! non-empty segments of strict base64url, the first two JSON objects; and
//! the headers of access tokens and DPoP proofs with their rules.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use crate::jose::{Algorithm, RawJwk, b64};

/// A compact JWS, split and decoded; its signature not yet checked.
pub(crate) struct Compact<'a> {
    /// `header.payload` as sent: what the signature covers.
    pub(crate) signing_input: &'a [u8],
    /// The decoded header JSON.
    pub(crate) header: Vec<u8>,
    /// The decoded payload JSON.
    pub(crate) payload: Vec<u8>,
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
}

impl<'a> Compact<'a> {
    /// Splits and decodes `jws`: `None` unless it is at most `max_len`
    /// bytes of exactly three non-empty segments of base64url without
    /// padding (RFC 7515 §2: the URL-safe alphabet, no `=`, no whitespace,
    /// no stray bits). The JSON is read later ([`object`]).
    pub(crate) fn parse(jws: &'a str, max_len: usize) -> Option<Self> {
        if jws.len() > max_len {
            return None;
        }
        let (signing_input, signature) = jws.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        if payload.contains('.') {
            return None;
        }
        if header.is_empty() || payload.is_empty() || signature.is_empty() {
            return None;
        }
        Some(Self {
            signing_input: signing_input.as_bytes(),
            header: b64::decode(header)?,
            payload: b64::decode(payload)?,
            signature: b64::decode(signature)?,
        })
    }
}

/// Reads a decoded JWS part as `T`: a JSON object and nothing else (serde
/// would read a struct from an array too). A duplicate member that `T`
/// names is refused by serde.
pub(crate) fn object<T: DeserializeOwned>(json: &[u8]) -> Option<T> {
    if json.trim_ascii_start().first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Whether a header member is there at all, `null` included (an `Option`
/// would read `null` as absent).
#[derive(Default)]
pub(crate) struct Present(pub(crate) bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer)?;
        Ok(Present(true))
    }
}

/// An access token's JOSE header.
#[derive(Deserialize)]
pub(crate) struct TokenHeader {
    pub(crate) alg: String,
    pub(crate) typ: Option<String>,
    pub(crate) kid: Option<String>,
    #[serde(default)]
    pub(crate) crit: Present,
    #[serde(default)]
    jwk: Present,
    #[serde(default)]
    jku: Present,
    #[serde(default)]
    x5u: Present,
    #[serde(default)]
    x5c: Present,
}

impl TokenHeader {
    /// Whether the header carries a key or points to one (`jwk`, `jku`,
    /// `x5u`, `x5c`). Never trusted: keys come from the issuer's key set.
    pub(crate) fn embeds_key(&self) -> bool {
        self.jwk.0 || self.jku.0 || self.x5u.0 || self.x5c.0
    }
}

/// A DPoP proof's JOSE header.
#[derive(Deserialize)]
pub(crate) struct ProofHeader {
    pub(crate) typ: Option<String>,
    pub(crate) alg: String,
    pub(crate) jwk: Option<RawJwk>,
    #[serde(default)]
    pub(crate) crit: Present,
}

/// Whether `typ` is acceptable for an access token: absent, `JWT` or
/// `at+jwt` (RFC 9068), optionally with the `application/` prefix,
/// compared case-insensitively as media types are (RFC 7515 §4.1.9). Okta
/// writes none; `dpop+jwt` and every other type are refused.
pub(crate) fn is_access_token_type(typ: Option<&str>) -> bool {
    let Some(typ) = typ else {
        return true;
    };
    let typ = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    typ.eq_ignore_ascii_case("jwt") || typ.eq_ignore_ascii_case("at+jwt")
}

/// Whether `typ` is a DPoP proof's: `dpop+jwt` (case-insensitive).
pub(crate) fn is_proof_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
}

/// The algorithm `name` if it is in `allowed`: exact JOSE names, so
/// `none`, `HS256` and anything unknown are never found.
pub(crate) fn allowed_alg(name: &str, allowed: &[Algorithm]) -> Option<Algorithm> {
    allowed.iter().copied().find(|alg| alg.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(header: &str, payload: &str, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64::encode(header),
            b64::encode(payload),
            b64::encode(sig)
        )
    }

    #[test]
    fn only_three_strict_segments_parse() {
        let good = jws(r#"{"alg":"RS256"}"#, r#"{"a":1}"#, b"sig");
        assert!(Compact::parse(&good, 1024).is_some());
        assert!(Compact::parse(&good, good.len() - 1).is_none());
        let (h, rest) = good.split_once('.').unwrap();
        for bad in [
            format!("{good}.x"),
            format!("{h}.{rest}="),
            format!("{h}=.{rest}"),
            format!("{h}..{rest}"),
            format!("{h}.{}", rest.replace('.', ". ")),
            format!("{}.{rest}", h.replacen('J', "+", 1)),
            format!("{}.{rest}", h.replacen('J', "/", 1)),
            format!("{h}.{}.", rest.split('.').next().unwrap()),
            format!("{h}.{rest}").replacen('.', "", 1),
            ".a.b".into(),
            String::new(),
        ] {
            assert!(Compact::parse(&bad, 1024).is_none(), "{bad}");
        }
    }

    #[test]
    fn parts_must_be_objects_without_duplicate_members() {
        assert!(object::<TokenHeader>(br#" {"alg":"RS256"}"#).is_some());
        for bad in [
            &br#"["RS256"]"#[..],
            br#"{"alg":"RS256","alg":"none"}"#,
            br#"{"alg":"RS256"} x"#,
            br#"{"alg":5}"#,
            b"",
        ] {
            assert!(object::<TokenHeader>(bad).is_none());
        }
        let h: TokenHeader = object(br#"{"alg":"RS256","jku":null,"crit":null}"#).unwrap();
        assert!(h.embeds_key() && h.crit.0);
    }

    #[test]
    fn token_types() {
        for ok in [
            None,
            Some("JWT"),
            Some("jwt"),
            Some("at+jwt"),
            Some("application/at+JWT"),
        ] {
            assert!(is_access_token_type(ok), "{ok:?}");
        }
        for bad in ["dpop+jwt", "JWS", "", "application/", "at+jwt ", "JOSE"] {
            assert!(!is_access_token_type(Some(bad)), "{bad}");
        }
        assert!(is_proof_type(Some("dpop+jwt")));
        assert!(!is_proof_type(None) && !is_proof_type(Some("jwt")));
    }
}
