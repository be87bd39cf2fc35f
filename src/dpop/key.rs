//! [`DpopKey`]: the P-256 key itself (generated or read from PEM), its
//! public JWK and thumbprint, and the state its clones share.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use p256::ecdsa::SigningKey as P256SigningKey;
use p256::elliptic_curve::Generate;

use crate::error::Error;
use crate::jose::{Algorithm, Curve, Jwk, jws};

/// A P-256 key for DPoP proofs (`ES256`).
///
/// It must be separate from the client-assertion key, and live at least as
/// long as the tokens bound to it: a DPoP token is bound to its key's
/// thumbprint (`cnf.jkt`), so a new key means a new token. Clones share the
/// key and the nonce memory.
///
/// The key remembers the latest `DPoP-Nonce` each resource server (origin)
/// sent, so the next proof to it carries the nonce without an extra round
/// trip. A token endpoint's nonce is remembered apart from the resource
/// nonces of its origin (Okta's authorization server and management API
/// share an origin but not their nonces). At most
/// [`MAX_REMEMBERED_NONCES`](Self::MAX_REMEMBERED_NONCES) are kept.
#[derive(Clone)]
pub struct DpopKey {
    pub(super) inner: Arc<Inner>,
}

/// What clones of a [`DpopKey`] share.
pub(super) struct Inner {
    /// Zeroized on drop by p256.
    pub(super) signing: P256SigningKey,
    /// The public JWK, kept for callers.
    pub(super) jwk: Jwk,
    /// base64url of `{"typ":"dpop+jwt","alg":"ES256","jwk":{…}}`: the same
    /// for every proof, so encoded once.
    pub(super) encoded_header: String,
    pub(super) thumbprint: String,
    pub(super) nonces: Mutex<HashMap<String, String>>,
}

impl DpopKey {
    /// Generates a new random P-256 key.
    pub fn generate() -> Self {
        Self::from_p256(P256SigningKey::generate())
    }

    /// Uses an existing P-256 key, given as PKCS#8 or SEC1 PEM (read as
    /// [`SigningKey::from_pem`](crate::SigningKey::from_pem) reads PEM:
    /// literal `\n` accepted, encrypted and public keys refused with a clear
    /// [`Error::Key`]). Any other key type or curve is an [`Error::Key`].
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        crate::key::p256_from_pem(pem).map(Self::from_p256)
    }

    fn from_p256(signing: P256SigningKey) -> Self {
        let jwk = Jwk::ec(
            Curve::P256,
            signing.verifying_key().to_sec1_point(false).as_bytes(),
        );
        let thumbprint = jwk.thumbprint();
        let encoded_header = jws::Header {
            typ: "dpop+jwt",
            alg: Algorithm::ES256,
            jwk: Some(&jwk),
            kid: None,
        }
        .encode();
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
    fn debug_shows_no_private_material() {
        let key = DpopKey::generate();
        let debug = format!("{key:?}");
        assert!(debug.contains("ES256"));
        assert!(!debug.contains("signing"));
    }
}
