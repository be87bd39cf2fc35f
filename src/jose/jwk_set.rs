//! [`JwkSet`]: a JWK set (RFC 7517 §5), as a JWKS endpoint serves it.

use std::str::FromStr;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize};

use super::Jwk;
use super::raw_jwk::{PRIVATE_MEMBERS, RawJwk};
use crate::error::{Error, JwkProblem};

/// A JWK set (RFC 7517 §5): `{"keys":[…]}`, as a JWKS endpoint serves it
/// and as Okta's client registration takes it.
///
/// Parsing follows RFC 7517 §5: a key that is not understood or cannot be
/// used (another `kty`, curve, `alg` or `use`, missing or malformed
/// members, an EC point off its curve, an RSA `e` that is not odd and
/// greater than 1, a `kid` with control characters) is skipped,
/// but a key with private members fails the whole set with
/// [`JwkProblem::PrivateMember`] — a key set that leaks a private key is
/// not to be trusted.
///
/// ```
/// use okta_auth::JwkSet;
///
/// let jwks: JwkSet = r#"{"keys":[
///     {"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"},
///     {"kty":"OKP","crv":"Ed25519","kid":"k2","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
/// ]}"#.parse()?;
/// assert_eq!(jwks.keys().len(), 1, "the Ed25519 key is skipped");
/// assert_eq!(jwks.find("k1").map(|k| k.kty()), Some("RSA"));
/// # Ok::<(), okta_auth::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl JwkSet {
    /// A set of these keys.
    pub fn new(keys: impl IntoIterator<Item = Jwk>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// The keys, in order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The first key whose `kid` is `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid() == Some(kid))
    }

    /// The keys, by value.
    pub fn into_keys(self) -> Vec<Jwk> {
        self.keys
    }

    fn from_values(values: Vec<serde_json::Value>) -> Result<Self, JwkProblem> {
        let mut keys = Vec::with_capacity(values.len());
        for value in values {
            if let Some(object) = value.as_object()
                && let Some(member) = PRIVATE_MEMBERS
                    .into_iter()
                    .find(|m| object.get(*m).is_some_and(|v| !v.is_null()))
            {
                return Err(JwkProblem::PrivateMember(member));
            }
            // RFC 7517 §5: keys not understood are ignored.
            if let Ok(mut raw) = RawJwk::deserialize(value)
                && let Ok(jwk) = Jwk::from_raw(&mut raw)
            {
                keys.push(jwk);
            }
        }
        Ok(Self { keys })
    }
}

impl FromIterator<Jwk> for JwkSet {
    fn from_iter<I: IntoIterator<Item = Jwk>>(keys: I) -> Self {
        Self::new(keys)
    }
}

/// A JWK set as it comes, keys unread.
#[derive(Deserialize)]
struct RawSet {
    keys: Option<Vec<serde_json::Value>>,
}

impl RawSet {
    fn read(self) -> Result<JwkSet, JwkProblem> {
        JwkSet::from_values(self.keys.ok_or(JwkProblem::MissingMember("keys"))?)
    }
}

impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawSet::deserialize(deserializer)?
            .read()
            .map_err(|p| de::Error::custom(Error::InvalidJwk(p)))
    }
}

impl FromStr for JwkSet {
    type Err = Error;

    /// Reads a JWK set from JSON text; see [`JwkSet`] for what is skipped
    /// and what is refused.
    fn from_str(json: &str) -> Result<Self, Error> {
        let raw: RawSet =
            serde_json::from_str(json).map_err(|_| Error::InvalidJwk(JwkProblem::Malformed))?;
        raw.read().map_err(Error::InvalidJwk)
    }
}
