//! Client assertions (RFC 7523 `private_key_jwt`), checked as Okta does.

use std::collections::{HashMap, HashSet};

use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::admin::ClientKey;
use super::app::ServiceApp;
use std::time::Duration;

use super::jwt;
use crate::jose::Jwk;

/// How far ahead a client assertion's `exp` may be: 1 hour. An assertion
/// whose `exp - iat` (`exp - now` on the fake org's clock, without `iat`)
/// is 3600 s or more is rejected too, as Okta does under slight clock
/// skew.
pub const OKTA_MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// The clock skew tolerated on `iat` (assertions and proofs) and `exp`:
/// 60 seconds.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The algorithms a client assertion may use. (Okta also takes ES512,
/// which `jsonwebtoken` cannot verify; the mock rejects it.)
const ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Okta's answer to a client it cannot authenticate.
pub(crate) const BAD_CLIENT: &str =
    "Client authentication failed. Either the client or the client credentials are invalid.";

/// A verified assertion: the client and its `jti` (not yet recorded).
pub(crate) struct Verified {
    pub(crate) client_id: String,
    pub(crate) jti: String,
}

/// Checks `assertion` for `endpoint`; `Err` is the `error_description` of
/// a 401 `invalid_client`.
pub(crate) fn verify(
    assertion: &str,
    apps: &HashMap<String, ServiceApp>,
    used_jtis: &HashSet<String>,
    endpoint: &str,
    now: u64,
) -> Result<Verified, String> {
    let malformed = || "The client_assertion token is malformed.".to_owned();
    let (header, claims) = jwt::peek(assertion).ok_or_else(malformed)?;
    let alg = jwt::string(&header, "alg")
        .and_then(|a| jwt::algorithm(a, ALGORITHMS))
        .ok_or_else(|| {
            "The client_assertion token has an unsupported signing algorithm.".to_owned()
        })?;
    let iss = jwt::string(&claims, "iss").unwrap_or_default();
    // A deactivated app cannot authenticate (a deleted one is gone).
    let app = apps
        .get(iss)
        .filter(|app| app.admin.active)
        .ok_or_else(|| BAD_CLIENT.to_owned())?;
    let key = select_key(&app.keys, jwt::string(&header, "kid"))
        .ok_or_else(|| "The client_assertion JWT kid is invalid.".to_owned())?;
    if !jwt::signature_ok(assertion, key, alg) {
        return Err("The client_assertion signature is invalid.".into());
    }
    if jwt::string(&claims, "sub") != Some(iss) {
        return Err(
            "The client_assertion token's iss and sub claims must both be the client_id.".into(),
        );
    }
    if !audience_is(&claims, endpoint) {
        return Err(
            "The audience claim for client_assertion must be the endpoint invoked for the request."
                .into(),
        );
    }
    let exp = jwt::seconds(&claims, "exp")
        .ok_or_else(|| "The client_assertion token must have an exp claim.".to_owned())?;
    let iat = match claims.get("iat") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| "The client_assertion token has an invalid iat claim.".to_owned())?,
        ),
    };
    let (limit, skew) = (OKTA_MAX_ASSERTION_LIFETIME.as_secs(), CLOCK_SKEW.as_secs());
    // Okta measures the lifetime from `iat`, or from its own clock when
    // the optional `iat` is left out: an hour or more is refused either way.
    let too_far = match iat {
        Some(iat) => exp > now.saturating_add(limit) || exp.saturating_sub(iat) >= limit,
        None => exp.saturating_sub(now) >= limit,
    };
    if too_far {
        return Err("The client_assertion token has an expiration too far into the future.".into());
    }
    if exp.saturating_add(skew) <= now {
        return Err("The client_assertion token is expired.".into());
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(skew)) {
        return Err("The client_assertion token was issued in the future.".into());
    }
    let jti = jwt::string(&claims, "jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| "The client_assertion token must have a jti claim.".to_owned())?;
    if used_jtis.contains(jti) {
        return Err("The client_assertion token has already been used.".into());
    }
    Ok(Verified {
        client_id: iss.to_owned(),
        jti: jti.to_owned(),
    })
}

/// The active key named by `kid`; without a `kid`, the app's only active
/// key. An inactive key signs nothing Okta accepts.
fn select_key<'a>(keys: &'a [ClientKey], kid: Option<&str>) -> Option<&'a Jwk> {
    let mut active = keys.iter().filter(|k| k.active).map(|k| &k.jwk);
    match kid {
        Some(kid) => active.find(|k| k.kid() == Some(kid)),
        None => {
            let only = active.next();
            active.next().is_none().then_some(only).flatten()
        }
    }
}

/// `aud` is the endpoint, or an array holding it.
fn audience_is(claims: &Value, endpoint: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == endpoint,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(endpoint)),
        _ => false,
    }
}
