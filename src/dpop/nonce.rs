//! DPoP nonces: the `DPoP-Nonce` header, the one rule a nonce must follow,
//! and each [`DpopKey`]'s memory of the latest nonce per resource origin
//! and per token endpoint ([`NonceScope`]).

use http::{HeaderMap, HeaderName};
use url::Url;

use super::htu::htu;
use super::key::DpopKey;
use crate::error::Error;

/// The `DPoP-Nonce` response header (RFC 9449).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

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

impl DpopKey {
    /// How many nonces one key remembers (resource origins and token
    /// endpoints together); past it an arbitrary one is forgotten, costing
    /// at most one extra round trip to that server.
    pub const MAX_REMEMBERED_NONCES: usize = 32;

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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

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
}
