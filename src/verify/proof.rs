//! DPoP proofs at a resource server (RFC 9449 §4.3 and §7): every check but
//! the nonce and the replay store, which need I/O.

use std::fmt::Write as _;
use std::time::Duration;

use http::Method;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::MAX_PROOF_LEN;
use super::claims::NumericDate;
use super::jws::{Compact, ProofHeader, allowed_alg, is_proof_type, object};
use super::rejection::RejectReason;
use crate::error::JwkProblem;
use crate::jose::{Algorithm, Jwk, b64};

/// What a proof must match.
pub(crate) struct Expect<'a> {
    pub(crate) method: &'a Method,
    pub(crate) url: &'a Url,
    /// The access token, for `ath`.
    pub(crate) token: &'a str,
    /// The token's `cnf.jkt`.
    pub(crate) jkt: &'a str,
    pub(crate) algorithms: &'a [Algorithm],
    pub(crate) max_age: u64,
    pub(crate) leeway: u64,
    pub(crate) now: u64,
}

/// A proof that passed every check here.
pub(crate) struct Checked {
    /// Its identity for the replay store: base64url SHA-256 of the key's
    /// thumbprint and the `jti`.
    pub(crate) replay_id: String,
    /// How long it could still be accepted, by this verifier or by one
    /// whose clock is behind by up to the leeway (a little more).
    pub(crate) ttl: Duration,
    /// Its `nonce`, for the nonce store.
    pub(crate) nonce: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<NumericDate>,
    jti: Option<String>,
    ath: Option<String>,
    nonce: Option<String>,
}

/// Checks a proof in RFC 9449 §4.3's spirit: a compact JWS of at most
/// [`MAX_PROOF_LEN`]; `typ` `dpop+jwt`; `alg` from the allowlist; no
/// `crit`; a public `jwk` that fits `alg` and whose thumbprint is the
/// token's `cnf.jkt`; the signature; `htm`, `htu`, `iat`, `jti`, `ath`
/// present; `htm` the method; `htu` the URL; `iat` within
/// `[now - max_age, now + leeway]`; `ath` the token's hash.
pub(crate) fn check(proof: &str, expect: &Expect<'_>) -> Result<Checked, RejectReason> {
    use RejectReason::*;
    let jws = Compact::parse(proof, MAX_PROOF_LEN).ok_or(MalformedProof)?;
    let header: ProofHeader = object(&jws.header).ok_or(MalformedProof)?;
    if !is_proof_type(header.typ.as_deref()) {
        return Err(ProofType);
    }
    let alg = allowed_alg(&header.alg, expect.algorithms).ok_or(ProofAlgorithm)?;
    if header.crit.0 {
        return Err(MalformedProof);
    }
    let mut raw = header.jwk.ok_or(ProofKey)?;
    let jwk = Jwk::from_raw(&mut raw).map_err(|problem| match problem {
        JwkProblem::PrivateMember(_) => ProofPrivateKey,
        _ => ProofKey,
    })?;
    if !jwk.members().fits(alg) || jwk.algorithm().is_some_and(|a| a != alg) {
        return Err(ProofKey);
    }
    let thumbprint = jwk.thumbprint();
    if thumbprint != expect.jkt {
        return Err(ProofKeyBinding);
    }
    let key = jwk.verifying_key().map_err(|_| ProofKey)?;
    if !key.verify(alg, jws.signing_input, &jws.signature) {
        return Err(ProofSignature);
    }
    let claims: Claims = object(&jws.payload).ok_or(ProofClaims)?;
    let (Some(htm), Some(htu), Some(NumericDate(iat)), Some(jti), Some(ath)) =
        (claims.htm, claims.htu, claims.iat, claims.jti, claims.ath)
    else {
        return Err(ProofClaims);
    };
    if jti.is_empty() {
        return Err(ProofClaims);
    }
    if htm != expect.method.as_str() {
        return Err(ProofMethod);
    }
    if !same_resource(&htu, expect.url) {
        return Err(ProofUrl);
    }
    let oldest = expect.now.saturating_sub(expect.max_age);
    if iat < oldest || iat > expect.now.saturating_add(expect.leeway) {
        return Err(ProofIssuedAt);
    }
    if ath != b64::encode(Sha256::digest(expect.token.as_bytes())) {
        return Err(ProofTokenHash);
    }
    // Accepted here until iat + max_age, and by a replica whose clock is
    // behind ours by up to the leeway until iat + max_age + leeway (RFC
    // 9449 §11.1); a second more for the rounding of now.
    let ttl = iat
        .saturating_add(expect.max_age)
        .saturating_add(expect.leeway)
        .saturating_add(1)
        .saturating_sub(expect.now);
    let replay_id = b64::encode(
        Sha256::new()
            .chain_update(thumbprint.as_bytes())
            .chain_update(b".")
            .chain_update(jti.as_bytes())
            .finalize(),
    );
    Ok(Checked {
        replay_id,
        ttl: Duration::from_secs(ttl),
        nonce: claims.nonce,
    })
}

/// Whether the proof's `htu` names the request URL: both normalized as RFC
/// 9449 §4.3 asks (RFC 3986 syntax- and scheme-based normalization: scheme
/// and host lower-case, default port dropped, dot segments removed, an
/// empty path as `/`, percent-escapes in upper case with the unreserved
/// ones decoded), query and fragment ignored. Only `http` and `https`
/// URLs compare.
pub(crate) fn same_resource(htu: &str, request: &Url) -> bool {
    let Ok(htu) = Url::parse(htu) else {
        return false;
    };
    match (normalized(&htu), normalized(request)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `scheme://host[:port]/path` of an http(s) URL, normalized. The url
/// crate has already lower-cased the scheme and host, dropped a default
/// port, removed dot segments and made an empty path `/`.
fn normalized(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let path = url.path();
    let mut out = String::with_capacity(url.scheme().len() + host.len() + path.len() + 9);
    out.push_str(url.scheme());
    out.push_str("://");
    out.push_str(host);
    if let Some(port) = url.port() {
        // Writing to a String cannot fail.
        let _ = write!(out, ":{port}");
    }
    // RFC 3986 §6.2.2.1-2: escapes in upper case, unreserved ones decoded.
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // RFC 3986 §2.1: `%` and exactly two hex digits (not `%+a`, which
        // `from_str_radix` alone would take); anything else is no escape.
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
                out.push(char::from(b));
                i += 3;
            }
            Some(b) => {
                let _ = write!(out, "%{b:02X}");
                i += 3;
            }
            None => {
                // The url crate serializes paths as ASCII.
                out.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_is_compared_after_rfc_3986_normalization() {
        let request = Url::parse("https://api.example.com/orders/a%7eb%2f?x=1#f").unwrap();
        for same in [
            "https://api.example.com/orders/a~b%2F",
            "HTTPS://API.example.COM:443/orders/a%7Eb%2f",
            "https://api.example.com/x/../orders/a~b%2f?other=2",
            "https://api.example.com/orders/a~b%2F#frag",
        ] {
            assert!(same_resource(same, &request), "{same}");
        }
        for other in [
            "http://api.example.com/orders/a~b%2F",
            "https://api.example.com:8443/orders/a~b%2F",
            "https://api.example.com/orders/a~b/",
            "https://api.example.com/orders/a~b%2F/",
            "https://evil.example.com/orders/a~b%2F",
            "/orders/a~b%2F",
            "urn:x:y",
            "",
        ] {
            assert!(!same_resource(other, &request), "{other}");
        }
        let root = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(same_resource("http://127.0.0.1:8080/", &root));
    }
}
