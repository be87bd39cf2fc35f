//! [`DpopKey`]: a P-256 key that binds access tokens to this client and
//! signs DPoP proofs (RFC 9449), with a memory of each server's nonce.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey as P256SigningKey};
use p256::elliptic_curve::Generate;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::Error;
use crate::jose::{Algorithm, Curve, Jwk, b64, jws};

/// The `DPoP-Nonce` response header (RFC 9449).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

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

/// Which nonce a proof needs: a resource server's (per origin) or a token
/// endpoint's (per endpoint URL). Their nonces differ even on one origin.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NonceScope<'a> {
    /// A resource server: the nonce of the URL's origin.
    Resource(&'a Url),
    /// An authorization server's token endpoint: the nonce of this URL.
    TokenEndpoint(&'a Url),
}

impl NonceScope<'_> {
    /// The key of the nonce memory. Origins never contain a space, so the
    /// two kinds cannot collide.
    fn key(self) -> String {
        match self {
            NonceScope::Resource(url) => origin_key(url),
            NonceScope::TokenEndpoint(url) => format!("token-endpoint {}", htu(url)),
        }
    }
}

/// How a proof writes its `htu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HtuForm {
    /// Okta's form, for the org: the escapes of characters that may stand
    /// raw in a path decoded ([`htu_path`]).
    Okta,
    /// The plain RFC 3986 form, for every other resource server: the path
    /// exactly as the url crate serializes it, so a strict verifier
    /// comparing it with the request URL accepts it.
    Rfc3986,
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
    /// How many nonces one key remembers (resource origins and token
    /// endpoints together); past it an arbitrary one is forgotten, costing
    /// at most one extra round trip to that server.
    pub const MAX_REMEMBERED_NONCES: usize = 32;

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

    /// The nonce last remembered for `url`'s origin by a resource server.
    /// Token endpoint nonces are kept apart and not returned here.
    pub fn nonce_for(&self, url: &Url) -> Option<String> {
        self.scoped_nonce(NonceScope::Resource(url))
    }

    /// Remembers `nonce` (a `DPoP-Nonce` header value from a resource
    /// server) for `url`'s origin.
    ///
    /// A nonce must be 1 to 1024 characters of the RFC 9449 `nonce` syntax
    /// (printable ASCII without spaces, quotes or backslashes); anything else
    /// is an [`Error::Dpop`] and is not remembered.
    pub fn remember_nonce(&self, url: &Url, nonce: &str) -> Result<(), Error> {
        self.remember_scoped_nonce(NonceScope::Resource(url), nonce)
    }

    /// The nonce last remembered for `scope`.
    pub(crate) fn scoped_nonce(&self, scope: NonceScope<'_>) -> Option<String> {
        let nonces = self.inner.nonces.lock().unwrap_or_else(|p| p.into_inner());
        nonces.get(&scope.key()).cloned()
    }

    /// Remembers `nonce` for `scope`, as [`remember_nonce`](Self::remember_nonce).
    pub(crate) fn remember_scoped_nonce(
        &self,
        scope: NonceScope<'_>,
        nonce: &str,
    ) -> Result<(), Error> {
        if !is_valid_nonce(nonce) {
            return Err(unusable_nonce());
        }
        let key = scope.key();
        let mut nonces = self.inner.nonces.lock().unwrap_or_else(|p| p.into_inner());
        if nonces.len() >= Self::MAX_REMEMBERED_NONCES
            && !nonces.contains_key(&key)
            && let Some(evict) = nonces.keys().next().cloned()
        {
            nonces.remove(&evict);
        }
        nonces.insert(key, nonce.to_owned());
        Ok(())
    }
}

fn unusable_nonce() -> Error {
    Error::Dpop("the server sent an unusable DPoP-Nonce".into())
}

/// The `DPoP-Nonce` of a response: `None` without one, an [`Error::Dpop`]
/// when it is not a usable nonce ([`is_valid_nonce`]). The one reader of
/// that header.
pub(crate) fn nonce_from(headers: &HeaderMap) -> Option<Result<&str, Error>> {
    let value = headers.get(DPOP_NONCE)?;
    Some(
        value
            .to_str()
            .ok()
            .filter(|n| is_valid_nonce(n))
            .ok_or_else(unusable_nonce),
    )
}

/// A proof as a `DPoP` header value, marked sensitive. The one place a
/// proof becomes a header.
pub(crate) fn proof_header(proof: String) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::try_from(proof)
        .map_err(|_| Error::Dpop("a dpop proof is not a header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
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

/// What stays percent-encoded in a path segment of an `htu`: every byte
/// but RFC 3986 `pchar` (unreserved, sub-delims, `:` and `@`). `/` is in
/// the set: inside a segment it is data (`%2F`), and decoding it would name
/// another resource.
const HTU_SEGMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    // unreserved
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    // sub-delims
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    // the rest of pchar
    .remove(b':')
    .remove(b'@');

/// The `htu` of a request: scheme, host, port and path, without query or
/// fragment, the path as [`htu_path`] writes it.
pub(crate) fn htu(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    format!("{origin}{}", htu_path(url.path()))
}

/// A URL path as an `htu` carries it: the percent-escapes of characters
/// that may stand raw in a path (`pchar`: `%40` → `@`, `%7E` → `~`) are
/// decoded, because Okta compares `htu` with the decoded path; every other
/// byte (space, `"`, `#`, `%`, `/`, `?`, controls, `<`, `>`, `\`, `^`, `` ` ``,
/// `{`, `|`, `}`, non-ASCII) is percent-encoded, with upper-case hex, so the
/// `htu` stays a URI naming the same resource. Segment by segment, so an
/// encoded `/` stays one.
pub(crate) fn htu_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let bytes: Cow<'_, [u8]> = percent_decode_str(segment).into();
        out.extend(percent_encode(&bytes, HTU_SEGMENT_ENCODE));
    }
    out
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
    fn htu_drops_query_and_fragment_and_decodes_only_pchar_escapes() {
        let url = Url::parse("https://example.okta.com/api/v1/users/a%40b.com?x=1#f").unwrap();
        assert_eq!(htu(&url), "https://example.okta.com/api/v1/users/a@b.com");
        let url = Url::parse("http://127.0.0.1:8080/oauth2/v1/token").unwrap();
        assert_eq!(htu(&url), "http://127.0.0.1:8080/oauth2/v1/token");
        let url = Url::parse("https://example.okta.com/api/v1/groups/a%20b%23c").unwrap();
        assert_eq!(
            htu(&url),
            "https://example.okta.com/api/v1/groups/a%20b%23c"
        );
    }

    #[test]
    fn htu_path_keeps_what_cannot_stand_raw_and_is_idempotent() {
        let cases = [
            ("/a%2fb", "/a%2Fb"),               // lower-case hex normalised
            ("/a%zz", "/a%25zz"),               // a stray % is encoded
            ("/a%FF%c3", "/a%FF%C3"),           // not UTF-8: kept byte by byte
            ("/a|b^c[d]", "/a%7Cb%5Ec%5Bd%5D"), // raw but not pchar
            ("/%41%2D%2e%5F%7e", "/A-._~"),     // unreserved
            ("//x/", "//x/"),                   // empty segments survive
            ("", ""),
        ];
        for (path, expected) in cases {
            assert_eq!(htu_path(path), expected, "{path}");
            assert_eq!(htu_path(expected), expected, "{expected} is stable");
        }
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
    fn token_endpoint_nonces_are_kept_apart_from_resource_nonces() {
        let key = DpopKey::generate();
        let api = Url::parse("https://a.example.com/api/v1/users").unwrap();
        let token = Url::parse("https://a.example.com/oauth2/v1/token").unwrap();
        key.remember_scoped_nonce(NonceScope::TokenEndpoint(&token), "as-1")
            .unwrap();
        key.remember_nonce(&api, "rs-1").unwrap();
        assert_eq!(
            key.scoped_nonce(NonceScope::TokenEndpoint(&token))
                .as_deref(),
            Some("as-1")
        );
        assert_eq!(key.nonce_for(&token).as_deref(), Some("rs-1"));
    }

    #[test]
    fn the_nonce_memory_is_capped() {
        let key = DpopKey::generate();
        for i in 0..100 {
            let url = Url::parse(&format!("https://h{i}.example.com/")).unwrap();
            key.remember_nonce(&url, "n").unwrap();
        }
        let last = Url::parse("https://h99.example.com/").unwrap();
        assert_eq!(key.nonce_for(&last).as_deref(), Some("n"));
        let len = key.inner.nonces.lock().unwrap().len();
        assert_eq!(len, DpopKey::MAX_REMEMBERED_NONCES);
    }

    #[test]
    fn nonce_from_reads_and_checks_the_header() {
        let mut h = HeaderMap::new();
        assert!(nonce_from(&h).is_none());
        h.insert("dpop-nonce", HeaderValue::from_static("n-1"));
        assert_eq!(nonce_from(&h).unwrap().unwrap(), "n-1");
        h.insert("dpop-nonce", HeaderValue::from_static("a b"));
        assert!(matches!(nonce_from(&h), Some(Err(Error::Dpop(_)))));
        h.insert("dpop-nonce", HeaderValue::from_bytes(b"\xff").unwrap());
        assert!(matches!(nonce_from(&h), Some(Err(Error::Dpop(_)))));
    }

    #[test]
    fn proof_headers_are_sensitive() {
        assert!(proof_header("a.b.c".into()).unwrap().is_sensitive());
        assert!(matches!(proof_header("a\nb".into()), Err(Error::Dpop(_))));
    }

    #[test]
    fn debug_shows_no_private_material() {
        let key = DpopKey::generate();
        let debug = format!("{key:?}");
        assert!(debug.contains("ES256"));
        assert!(!debug.contains("signing"));
    }
}
