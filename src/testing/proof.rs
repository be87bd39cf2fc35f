//! DPoP proofs (RFC 9449), checked as Okta does.

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::Value;
use sha2::{Digest, Sha256};

use url::Url;
use wiremock::Request;

use super::assertion::CLOCK_SKEW;
use super::jwt;
use crate::jose::{Jwk, b64};

/// How old a DPoP proof may be: 5 minutes, as at Okta.
pub const MAX_PROOF_AGE: Duration = Duration::from_secs(300);

/// The algorithms the fake org takes for DPoP proofs, as their JOSE
/// names: Okta's `dpop_signing_alg_values_supported` (RS256, RS384,
/// RS512, ES256, ES384, ES512) but for ES512, which the mock cannot
/// verify (`jsonwebtoken`, which checks its signatures, has no P-521), so
/// it refuses an ES512 proof. No RSASSA-PSS (`PS*`): Okta refuses those.
/// The proof check, the `algs` of the management API's `DPoP` challenge
/// and the custom authorization servers' metadata all read this list.
pub(crate) const ALGORITHMS: &[&str] = &["RS256", "RS384", "RS512", "ES256", "ES384"];

/// JWK members that only a private key has.
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the proof must match.
pub(crate) struct Expect<'a> {
    /// The request method.
    pub(crate) htm: &'a str,
    /// The `htu` the proof must carry exactly: [`request_htu`].
    pub(crate) htu: &'a str,
    pub(crate) now: u64,
    /// The nonce the proof must carry, when one is required.
    pub(crate) nonce: Option<&'a str>,
    /// The access token the proof must hash into `ath` (resource requests).
    pub(crate) access_token: Option<&'a str>,
}

/// Why a proof was refused.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// `invalid_dpop_proof` with this description.
    Invalid(String),
    /// The `jti` was seen before (`dpop_proof_already_used`).
    Replayed,
    /// Missing or stale nonce (`use_dpop_nonce`).
    NeedsNonce,
    /// `ath` does not match the access token (`dpop_proof_invalid_ath`).
    WrongAth,
}

/// Verifies `proof` and records its `jti` in `used` once the signature,
/// `htm`, `htu` and `iat` have passed. Returns the key's thumbprint.
pub(crate) fn verify(
    proof: &str,
    expect: &Expect<'_>,
    used: &mut HashSet<String>,
) -> Result<String, Refusal> {
    let invalid = |why: &str| Refusal::Invalid(why.to_owned());
    let (header, claims) =
        jwt::peek(proof).ok_or_else(|| invalid("The DPoP proof JWT is malformed."))?;
    if jwt::string(&header, "typ") != Some("dpop+jwt") {
        return Err(invalid(
            "The DPoP proof JWT 'typ' header must be 'dpop+jwt'.",
        ));
    }
    let alg = jwt::string(&header, "alg")
        .filter(|a| ALGORITHMS.contains(a))
        .and_then(|a| a.parse::<Algorithm>().ok())
        .ok_or_else(|| invalid("The DPoP proof JWT 'alg' header is not supported."))?;
    let jwk_value = header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("The DPoP proof JWT 'jwk' header is missing."))?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk_value.contains_key(*m)) {
        return Err(invalid(
            "The DPoP proof JWT 'jwk' header must not contain a private key.",
        ));
    }
    let jwk: Jwk = serde_json::from_value(Value::Object(jwk_value.clone()))
        .map_err(|_| invalid("The DPoP proof JWT 'jwk' header is invalid."))?;
    if !jwt::signature_ok(proof, &jwk, alg) {
        return Err(invalid("The DPoP proof JWT signature is invalid."));
    }
    if jwt::string(&claims, "htm") != Some(expect.htm) {
        return Err(invalid("The DPoP proof JWT 'htm' claim is invalid."));
    }
    let htu = jwt::string(&claims, "htu").unwrap_or_default();
    if !is_plain_uri(htu) || htu != expect.htu {
        return Err(invalid("The DPoP proof JWT 'htu' claim is invalid."));
    }
    let iat = jwt::seconds(&claims, "iat")
        .ok_or_else(|| invalid("The DPoP proof JWT 'iat' claim is missing."))?;
    if iat > expect.now.saturating_add(CLOCK_SKEW.as_secs()) {
        return Err(invalid("The DPoP proof JWT was issued in the future."));
    }
    if iat.saturating_add(MAX_PROOF_AGE.as_secs()) < expect.now {
        return Err(invalid("The DPoP proof JWT was issued too long ago."));
    }
    let jti = jwt::string(&claims, "jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| invalid("The DPoP proof JWT 'jti' claim is missing."))?;
    if !used.insert(jti.to_owned()) {
        return Err(Refusal::Replayed);
    }
    if let Some(nonce) = expect.nonce
        && jwt::string(&claims, "nonce") != Some(nonce)
    {
        return Err(Refusal::NeedsNonce);
    }
    if let Some(token) = expect.access_token {
        let ath = b64::encode(Sha256::digest(token.as_bytes()));
        if jwt::string(&claims, "ath") != Some(ath.as_str()) {
            return Err(Refusal::WrongAth);
        }
    }
    Ok(jwk.thumbprint())
}

/// The `htu` a proof for `request` must carry: the fake org's origin and
/// the request path as [`DpopKey`](crate::DpopKey) writes it (the escapes
/// of RFC 3986 `pchar` decoded, all others kept in upper-case hex: Okta
/// compares `htu` with the decoded path, yet an `htu` must stay a URI).
pub(crate) fn request_htu(base: &str, request: &Request) -> String {
    format!("{base}{}", crate::dpop::htu_path(request.url.path()))
}

/// Whether `htu` is an absolute URI as RFC 9449 wants it: it parses and
/// re-serializes unchanged (no raw space, non-ASCII or other character a
/// URI cannot hold), without query or fragment (no raw `?` or `#`). This
/// holds even when the expected `htu` is computed wrongly, so a proof
/// cannot pass by matching a broken rule.
fn is_plain_uri(htu: &str) -> bool {
    Url::parse(htu)
        .is_ok_and(|u| u.as_str() == htu && u.query().is_none() && u.fragment().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dpop_algorithm_is_one_the_mock_verifies() {
        for name in ALGORITHMS {
            assert!(name.parse::<Algorithm>().is_ok(), "{name}");
        }
    }

    #[test]
    fn only_plain_absolute_uris_are_htus() {
        assert!(is_plain_uri("http://127.0.0.1:8080/api/v1/groups/a%20b"));
        assert!(is_plain_uri("https://example.okta.com/a@b:c~d"));
        for bad in [
            "http://127.0.0.1:8080/api/v1/groups/a b",
            "http://127.0.0.1:8080/api/v1/groups/a#b",
            "http://127.0.0.1:8080/api/v1/groups/a?b",
            "http://127.0.0.1:8080/api/v1/groups/café",
            "HTTP://127.0.0.1:8080/x",
            "http://127.0.0.1:8080",
            "/api/v1/users",
            "",
        ] {
            assert!(!is_plain_uri(bad), "{bad}");
        }
    }
}
