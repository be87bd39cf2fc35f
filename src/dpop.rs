//! [`DpopKey`]: a P-256 key that binds access tokens to this client and
//! signs DPoP proofs (RFC 9449), with a memory of each server's nonce.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use http::Method;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, Header};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey as P256SigningKey};
use p256::elliptic_curve::Generate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::Error;
use crate::jws;

/// A P-256 key for DPoP proofs (`ES256`).
///
/// It must be separate from the client-assertion key, and live at least as
/// long as the tokens bound to it: a DPoP token is bound to its key's
/// thumbprint (`cnf.jkt`), so a new key means a new token. Clones share the
/// key and the nonce memory.
///
/// The key remembers the latest `DPoP-Nonce` each server (origin) sent, so
/// the next proof to it carries the nonce without an extra round trip.
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<Inner>,
}

struct Inner {
    /// Zeroized on drop by p256.
    signing: P256SigningKey,
    /// The public JWK, kept for callers.
    jwk: Jwk,
    /// base64url of `{"typ":"dpop+jwt","alg":"ES256","jwk":{…}}`: the same
    /// for every proof, so encoded once.
    encoded_header: String,
    thumbprint: String,
    nonces: Mutex<HashMap<String, String>>,
}

/// The claims of a DPoP proof.
#[derive(Serialize)]
struct ProofClaims<'a> {
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<&'a str>,
}

impl DpopKey {
    /// Generates a new random P-256 key.
    pub fn generate() -> Self {
        Self::from_p256(P256SigningKey::generate())
    }

    /// Uses an existing P-256 key, given as PKCS#8 or SEC1 PEM.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        use p256::pkcs8::DecodePrivateKey;
        let pem = pem.replace("\\n", "\n");
        let secret = p256::SecretKey::from_pkcs8_pem(pem.trim())
            .or_else(|_| p256::SecretKey::from_sec1_pem(pem.trim()))
            .map_err(|_| Error::Key("a dpop key must be a P-256 private key in PEM".into()))?;
        Ok(Self::from_p256(secret.into()))
    }

    fn from_p256(signing: P256SigningKey) -> Self {
        let point = signing.verifying_key().to_sec1_point(false);
        // An uncompressed point of a valid key always has both coordinates.
        let (x, y) = match (point.x(), point.y()) {
            (Some(x), Some(y)) => (jws::b64(x), jws::b64(y)),
            _ => unreachable!("an uncompressed P-256 point has x and y"),
        };
        let jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x,
                y,
            }),
        };
        let thumbprint = jwk_thumbprint(&jwk)
            .unwrap_or_else(|_| unreachable!("an EC P-256 jwk always has a thumbprint"));
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(jwk.clone());
        let encoded_header = jws::b64_json(&header)
            .unwrap_or_else(|_| unreachable!("a header of strings always serializes"));
        Self {
            inner: Arc::new(Inner {
                signing,
                jwk,
                encoded_header,
                thumbprint,
                nonces: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y` only).
    pub fn public_jwk(&self) -> &Jwk {
        &self.inner.jwk
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url: the
    /// `cnf.jkt` of tokens bound to this key.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// A DPoP proof for one request: `htm` = `method`, `htu` = `url`'s
    /// scheme, host, port and decoded path (no query, no fragment), `iat` =
    /// now, a unique `jti`, `nonce` if given, and `ath` =
    /// base64url(SHA-256(`access_token`)) if given.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let htu = htu(url);
        let ath = access_token.map(|t| jws::b64(Sha256::digest(t.as_bytes())));
        let jti = jws::new_jti();
        let claims = ProofClaims {
            htm: method.as_str(),
            htu: &htu,
            iat: crate::clock::unix_now(),
            jti: &jti,
            nonce,
            ath: ath.as_deref(),
        };
        jws::compact(&self.inner.encoded_header, &claims, |msg| {
            let sig: Signature = self.inner.signing.sign(msg);
            Ok(sig.to_bytes().to_vec())
        })
    }

    /// A proof as [`proof`](Self::proof), with the nonce last remembered for
    /// `url`'s origin.
    pub fn proof_with_remembered_nonce(
        &self,
        method: &Method,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let nonce = self.nonce_for(url);
        self.proof(method, url, nonce.as_deref(), access_token)
    }

    /// The nonce last remembered for `url`'s origin.
    pub fn nonce_for(&self, url: &Url) -> Option<String> {
        let nonces = self.inner.nonces.lock().unwrap_or_else(|p| p.into_inner());
        nonces.get(&origin_key(url)).cloned()
    }

    /// Remembers `nonce` (a `DPoP-Nonce` header value) for `url`'s origin.
    ///
    /// A nonce must be 1 to 1024 characters of the RFC 9449 `nonce` syntax
    /// (printable ASCII without spaces, quotes or backslashes); anything else
    /// is an [`Error::Dpop`] and is not remembered.
    pub fn remember_nonce(&self, url: &Url, nonce: &str) -> Result<(), Error> {
        if !is_valid_nonce(nonce) {
            return Err(Error::Dpop("the server sent an unusable DPoP-Nonce".into()));
        }
        let mut nonces = self.inner.nonces.lock().unwrap_or_else(|p| p.into_inner());
        nonces.insert(origin_key(url), nonce.to_owned());
        Ok(())
    }
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what a
/// DPoP-bound token's `cnf.jkt` holds.
pub fn jwk_thumbprint(jwk: &Jwk) -> Result<String, Error> {
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| Error::Key("cannot compute the thumbprint of this jwk".into()))
}

/// Whether `nonce` is usable as a DPoP nonce: 1 to 1024 characters of the
/// RFC 9449 `nonce` syntax (printable ASCII without spaces, quotes or
/// backslashes). The one rule for every place that accepts a nonce.
pub(crate) fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= 1024
        && nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// The key of the nonce memory: the URL's ASCII origin.
fn origin_key(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// The `htu` of a request: scheme, host, port and percent-decoded path,
/// without query or fragment (Okta compares against the decoded path).
pub(crate) fn htu(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8()
        .map(|p| p.into_owned())
        .unwrap_or_else(|_| url.path().to_owned());
    format!("{origin}{path}")
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &"ES256")
            .field("thumbprint", &self.inner.thumbprint)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_drops_query_and_fragment_and_decodes_the_path() {
        let url = Url::parse("https://example.okta.com/api/v1/users/a%40b.com?x=1#f").unwrap();
        assert_eq!(htu(&url), "https://example.okta.com/api/v1/users/a@b.com");
        let url = Url::parse("http://127.0.0.1:8080/oauth2/v1/token").unwrap();
        assert_eq!(htu(&url), "http://127.0.0.1:8080/oauth2/v1/token");
    }

    #[test]
    fn nonces_are_remembered_per_origin_and_validated() {
        let key = DpopKey::generate();
        let a = Url::parse("https://a.example.com/x").unwrap();
        let b = Url::parse("https://b.example.com/x").unwrap();
        key.remember_nonce(&a, "n-1").unwrap();
        assert_eq!(key.nonce_for(&a).as_deref(), Some("n-1"));
        assert_eq!(key.nonce_for(&b), None);
        assert!(key.remember_nonce(&a, "bad\r\nnonce").is_err());
        assert!(key.remember_nonce(&a, "").is_err());
        assert_eq!(key.nonce_for(&a).as_deref(), Some("n-1"));
    }

    #[test]
    fn debug_shows_no_private_material() {
        let key = DpopKey::generate();
        let debug = format!("{key:?}");
        assert!(debug.contains("ES256"));
        assert!(!debug.contains("signing"));
    }
}
