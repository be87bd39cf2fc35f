//! DPoP proofs (RFC 9449): the signed `dpop+jwt` a [`DpopKey`] makes for
//! one request, and the `DPoP` header value that carries it.

use http::{HeaderValue, Method};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::htu::{HtuForm, htu};
use super::key::DpopKey;
use super::nonce::NonceScope;
use crate::error::Error;
use crate::jose::{b64, jws};

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
    /// A DPoP proof for one request: `htm` = `method`, `htu` = `url`'s
    /// scheme, host, port and path (no query, no fragment; the escapes of
    /// characters that may stand raw in a path decoded, as Okta wants, all
    /// others kept, so `htu` stays a URI), `iat` =
    /// now, a unique `jti`, `nonce` if given, and `ath` =
    /// base64url(SHA-256(`access_token`)) if given.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        self.proof_in(method, url, HtuForm::Okta, nonce, access_token)
    }

    /// A proof as [`proof`](Self::proof), its `htu` in `form`.
    pub(crate) fn proof_in(
        &self,
        method: &Method,
        url: &Url,
        form: HtuForm,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let htu = match form {
            HtuForm::Okta => htu(url),
            HtuForm::Rfc3986 => format!("{}{}", url.origin().ascii_serialization(), url.path()),
        };
        let ath = access_token.map(|t| b64::encode(Sha256::digest(t.as_bytes())));
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
    /// `url`'s origin (a resource server's nonce).
    pub fn proof_with_remembered_nonce(
        &self,
        method: &Method,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        self.scoped_proof(method, url, NonceScope::Resource(url), access_token)
    }

    /// A proof for `url` with the nonce remembered for `scope`.
    pub(crate) fn scoped_proof(
        &self,
        method: &Method,
        url: &Url,
        scope: NonceScope<'_>,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let nonce = self.scoped_nonce(scope);
        self.proof(method, url, nonce.as_deref(), access_token)
    }
}

/// A proof as a `DPoP` header value, marked sensitive. The one place a
/// proof becomes a header.
pub(crate) fn proof_header(proof: String) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::try_from(proof)
        .map_err(|_| Error::Dpop("a dpop proof is not a header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_headers_are_sensitive() {
        assert!(proof_header("a.b.c".into()).unwrap().is_sensitive());
        assert!(matches!(proof_header("a\nb".into()), Err(Error::Dpop(_))));
    }
}
