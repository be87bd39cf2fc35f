//! Fetching the issuer's metadata and key set: bodies capped, redirects
//! refused (followed or not), the key set's `Cache-Control` read within
//! bounds, and only asymmetric signature keys kept, parsed once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{ACCEPT, CACHE_CONTROL};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use url::Url;

use super::{
    DEFAULT_FETCH_TIMEOUT, DEFAULT_JWKS_MAX_AGE, MAX_JWKS_BYTES, MAX_JWKS_KEYS, MAX_JWKS_MAX_AGE,
    MAX_METADATA_BYTES, MIN_JWKS_MAX_AGE,
};
use crate::error::Error;
use crate::jose::{Jwk, JwkSet, KeyUse, VerifyingKey};

/// A key of the issuer's key set, parsed once.
#[derive(Debug)]
pub(crate) struct CachedKey {
    pub(crate) jwk: Jwk,
    pub(crate) key: VerifyingKey,
}

/// The usable keys of a key set, by `kid`.
pub(crate) type KeyMap = HashMap<String, Arc<CachedKey>>;

/// A fetched key set and how long to keep it before fetching it again.
pub(crate) struct Fetched {
    pub(crate) keys: KeyMap,
    pub(crate) max_age: Duration,
}

/// Where the keys come from: the issuer's metadata, then its `jwks_uri`.
#[derive(Debug)]
pub(crate) struct KeySource {
    client: reqwest::Client,
    issuer: String,
    metadata_url: Url,
    /// Given, or read once from the metadata.
    jwks_uri: OnceLock<Url>,
}

impl KeySource {
    pub(crate) fn new(
        client: reqwest::Client,
        issuer: String,
        metadata_url: Url,
        jwks_uri: Option<Url>,
    ) -> Self {
        let known = OnceLock::new();
        if let Some(uri) = jwks_uri {
            let _ = known.set(uri);
        }
        Self {
            client,
            issuer,
            metadata_url,
            jwks_uri: known,
        }
    }

    /// Fetches the key set (and, the first time, the metadata).
    pub(crate) async fn fetch(&self) -> Result<Fetched, Error> {
        let uri = self.jwks_uri().await?;
        let (headers, body) = get(&self.client, &uri, MAX_JWKS_BYTES, "key set").await?;
        Ok(Fetched {
            keys: parse_keys(&body)?,
            max_age: max_age(&headers),
        })
    }

    async fn jwks_uri(&self) -> Result<Url, Error> {
        if let Some(uri) = self.jwks_uri.get() {
            return Ok(uri.clone());
        }
        #[derive(Deserialize)]
        struct Metadata {
            issuer: Option<String>,
            jwks_uri: Option<String>,
        }
        let (_, body) = get(
            &self.client,
            &self.metadata_url,
            MAX_METADATA_BYTES,
            "metadata",
        )
        .await?;
        let malformed = |reason: &str| Error::MalformedResponse {
            status: Some(StatusCode::OK),
            reason: reason.into(),
        };
        let metadata: Metadata = serde_json::from_slice(&body)
            .map_err(|_| malformed("the authorization server metadata is not a json object"))?;
        if metadata.issuer.as_deref() != Some(self.issuer.as_str()) {
            return Err(malformed(
                "the authorization server metadata names another issuer than the verifier's",
            ));
        }
        let uri = metadata
            .jwks_uri
            .and_then(|u| Url::parse(&u).ok())
            .filter(is_fetchable)
            .ok_or_else(|| {
                malformed("the metadata's jwks_uri is missing, not a url, or not https")
            })?;
        Ok(self.jwks_uri.get_or_init(|| uri).clone())
    }
}

/// Whether we fetch keys from `url`: https, or http to a loopback host
/// (tests).
pub(crate) fn is_fetchable(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// GETs `url` and reads at most `cap` bytes of a `2xx` body. A redirect is
/// an error, followed or not: an answer must come from `url` itself.
async fn get(
    client: &reqwest::Client,
    url: &Url,
    cap: usize,
    what: &str,
) -> Result<(HeaderMap, Vec<u8>), Error> {
    let mut response = client
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .timeout(DEFAULT_FETCH_TIMEOUT)
        .send()
        .await
        .map_err(Error::transport)?;
    let status = response.status();
    if response.url() != url {
        // Only a caller's client that follows redirects gets here: its
        // answer comes from elsewhere, and keys come from the issuer only.
        return Err(Error::MalformedResponse {
            status: Some(status),
            reason: format!(
                "the {what} endpoint answered with a redirect, which the http client followed; \
                 it is not trusted (build the client with redirect::Policy::none())"
            ),
        });
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::rate_limited(response.headers()));
    }
    if !status.is_success() {
        let reason = if status.is_redirection() {
            format!("the {what} endpoint answered with a redirect, which is not followed")
        } else {
            format!("the {what} endpoint answered with an error")
        };
        return Err(Error::MalformedResponse {
            status: Some(status),
            reason,
        });
    }
    let too_large = || Error::MalformedResponse {
        status: Some(status),
        reason: format!("the {what} is larger than {cap} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(too_large());
    }
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((headers, body))
}

/// The usable keys of a key set: those with a `kid` (the first of a
/// repeated one), not for encryption, that parse into a key we verify with.
/// A set with private members, more than [`MAX_JWKS_KEYS`] keys or no
/// usable key at all is refused (the keys in service stay).
fn parse_keys(body: &[u8]) -> Result<KeyMap, Error> {
    let malformed = |reason: String| Error::MalformedResponse {
        status: Some(StatusCode::OK),
        reason,
    };
    let text =
        std::str::from_utf8(body).map_err(|_| malformed("the key set is not utf-8".into()))?;
    let set: JwkSet = text.parse()?;
    if set.keys().len() > MAX_JWKS_KEYS {
        return Err(malformed(format!(
            "the key set holds more than {MAX_JWKS_KEYS} keys"
        )));
    }
    let mut keys = KeyMap::new();
    for jwk in set.into_keys() {
        let Some(kid) = jwk.kid().map(str::to_owned) else {
            continue;
        };
        if jwk.key_use() == Some(KeyUse::Encryption) || keys.contains_key(&kid) {
            continue;
        }
        if let Ok(key) = jwk.verifying_key() {
            keys.insert(kid, Arc::new(CachedKey { jwk, key }));
        }
    }
    if keys.is_empty() {
        return Err(malformed(
            "the key set has no usable signature key (with a kid)".into(),
        ));
    }
    Ok(keys)
}

/// How long to keep a key set: its `Cache-Control: max-age` within
/// [`MIN_JWKS_MAX_AGE`]..=[`MAX_JWKS_MAX_AGE`] (`no-store` and `no-cache`
/// count as zero, so the minimum), [`DEFAULT_JWKS_MAX_AGE`] without one.
fn max_age(headers: &HeaderMap) -> Duration {
    let mut age: Option<u64> = None;
    let mut lower = |secs: u64| age = Some(age.map_or(secs, |a| a.min(secs)));
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for directive in value.split(',').map(str::trim) {
            match directive.split_once('=') {
                Some((name, secs)) if name.trim().eq_ignore_ascii_case("max-age") => {
                    if let Ok(secs) = secs.trim().trim_matches('"').parse::<u64>() {
                        lower(secs);
                    }
                }
                None if directive.eq_ignore_ascii_case("no-store")
                    || directive.eq_ignore_ascii_case("no-cache") =>
                {
                    lower(0)
                }
                _ => {}
            }
        }
    }
    match age {
        None => DEFAULT_JWKS_MAX_AGE,
        Some(secs) => Duration::from_secs(secs).clamp(MIN_JWKS_MAX_AGE, MAX_JWKS_MAX_AGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_is_honoured_within_bounds() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CACHE_CONTROL, v.parse().unwrap());
            max_age(&h)
        };
        assert_eq!(max_age(&HeaderMap::new()), DEFAULT_JWKS_MAX_AGE);
        assert_eq!(with("public, max-age=3600"), Duration::from_secs(3600));
        assert_eq!(with("max-age=\"7200\""), Duration::from_secs(7200));
        assert_eq!(with("max-age=1"), MIN_JWKS_MAX_AGE);
        assert_eq!(with("max-age=99999999"), MAX_JWKS_MAX_AGE);
        assert_eq!(with("no-store"), MIN_JWKS_MAX_AGE);
        assert_eq!(with("max-age=3600, no-cache"), MIN_JWKS_MAX_AGE);
        assert_eq!(with("max-age=soon"), DEFAULT_JWKS_MAX_AGE);
    }

    #[test]
    fn only_usable_signature_keys_with_a_kid_are_kept() {
        let key = crate::SigningKey::generate_p256().public_jwk();
        let json = |jwk: Jwk| serde_json::to_string(&jwk).unwrap();
        let body = format!(
            r#"{{"keys":[{},{},{},{},{{"kty":"oct","kid":"h"}}]}}"#,
            json(key.clone().with_kid("a")),
            json(key.clone()),
            json(key.clone().with_kid("a")),
            json(key.clone().with_kid("e")).replace(r#""use":"sig""#, r#""use":"enc""#),
        );
        let keys = parse_keys(body.as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["a"]);
        assert!(parse_keys(br#"{"keys":[]}"#).is_err());
        let many = format!(
            r#"{{"keys":[{}]}}"#,
            (0..=MAX_JWKS_KEYS)
                .map(|i| json(key.clone().with_kid(i.to_string())))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(parse_keys(many.as_bytes()).is_err());
    }
}
