//! An app's JSON Web Keys (`/api/v1/apps/{appId}/credentials/jwks`), with
//! Okta's rules: unique `kid`s, RSA of at least 2048 bits, at most 50 keys,
//! the last active key of a `private_key_jwt` app cannot be deactivated,
//! only inactive keys can be deleted.

use serde_json::{Value, json};

use super::super::app::MAX_KEYS;
use super::super::reply::Reply;
use super::super::state::State;
use super::{Call, app_mut, invalid, iso8601, malformed, not_found, okta_id, status};
use crate::error::{Error, JwkProblem};
use crate::jose::Jwk;

/// Okta's cause for deactivating an app's only active key.
pub(crate) const ONLY_ACTIVE: &str = "Can't deactivate the only active JSON Web Key when the value \
     for `token_endpoint_auth_method` is `private_key_jwt`.";

/// Okta's cause for deleting an active key.
pub(crate) const DELETE_ACTIVE: &str =
    "You can't delete an active JSON Web Key. Deactivate the key before deleting it.";

/// Okta's cause for a `kid` already taken.
pub(crate) const DUPLICATE_KID: &str = "All keys in the 'jwks' must have a unique `kid`.";

/// Okta's cause for a key without a `kid` among several.
pub(crate) const NEEDS_KID: &str = "Each key should have a unique kid when adding multiple keys. \
     Use the Apps API to update the JWKS to add a kid for the existing key, or delete the \
     existing key and re-add the key with a kid using the JWKS APIs.";

/// Okta's cause for an RSA key under 2048 bits.
pub(crate) const RSA_TOO_SHORT: &str =
    "RSA key length in the 'jwks' is less than '2,048' bits for the given key.";

/// One public key of an app, as the JWKS API shows it.
#[derive(Debug, Clone)]
pub(crate) struct ClientKey {
    /// Okta's id of the key (`pks…`), distinct from its `kid`.
    pub(crate) id: String,
    pub(crate) jwk: Jwk,
    pub(crate) active: bool,
    pub(crate) created: u64,
    pub(crate) last_updated: u64,
}

impl ClientKey {
    pub(crate) fn new(jwk: Jwk, active: bool, now: u64) -> Self {
        Self {
            id: okta_id("pks"),
            jwk,
            active,
            created: now,
            last_updated: now,
        }
    }

    /// The key as Okta answers it: its public members, `id`, `kid`,
    /// `status`, times and lifecycle links.
    pub(crate) fn json(&self, base: &str, app_id: &str) -> Value {
        let mut value = serde_json::to_value(&self.jwk).unwrap_or_default();
        let href = format!("{base}/api/v1/apps/{app_id}/credentials/jwks/{}", self.id);
        let links = if self.active {
            json!({ "deactivate": { "href": format!("{href}/lifecycle/deactivate") } })
        } else {
            json!({
                "activate": { "href": format!("{href}/lifecycle/activate") },
                "delete": { "href": href },
            })
        };
        if let Value::Object(map) = &mut value {
            map.insert("id".into(), json!(self.id));
            map.entry("kid").or_insert(Value::Null);
            map.insert("status".into(), json!(status(self.active)));
            map.insert("created".into(), json!(iso8601(self.created)));
            map.insert("lastUpdated".into(), json!(iso8601(self.last_updated)));
            map.insert("_links".into(), links);
        }
        value
    }
}

/// A public signing key from JSON (members Okta adds, like `id` and
/// `status`, are ignored), or Okta's cause for refusing it.
pub(crate) fn parse_public_jwk(value: &Value) -> Result<Jwk, String> {
    if value.get("use").and_then(Value::as_str) == Some("enc") {
        return Err("The fake org takes signing keys only (`use`: `sig`).".into());
    }
    let jwk: Jwk = match value.to_string().parse() {
        Ok(jwk) => jwk,
        Err(Error::InvalidJwk(JwkProblem::PrivateMember(member))) => {
            return Err(format!(
                "The JSON Web Key holds the private member `{member}`: send the public key only."
            ));
        }
        Err(Error::InvalidJwk(problem)) => {
            return Err(format!("The JSON Web Key is invalid: {problem}."));
        }
        Err(_) => return Err("The JSON Web Key is invalid.".into()),
    };
    match jwk.verifying_key() {
        Ok(_) => Ok(jwk),
        Err(Error::InvalidJwk(JwkProblem::RsaKeySize)) => Err(RSA_TOO_SHORT.into()),
        Err(_) => Err(format!(
            "The JSON Web Key is invalid: {}.",
            JwkProblem::InvalidKey
        )),
    }
}

/// Okta's rules for adding `jwk` to an app holding `keys`.
pub(crate) fn check_addition(keys: &[ClientKey], jwk: &Jwk) -> Result<(), String> {
    if keys.len() >= MAX_KEYS {
        return Err(format!(
            "You can't create a new key. You have reached the maximum number of keys allowed \
             ({MAX_KEYS}). To add another key, you must first delete an existing one."
        ));
    }
    let Some(kid) = jwk.kid() else {
        return if keys.is_empty() {
            Ok(())
        } else {
            Err(NEEDS_KID.into())
        };
    };
    if keys.iter().any(|k| k.jwk.kid().is_none()) {
        return Err(NEEDS_KID.into());
    }
    if keys.iter().any(|k| k.jwk.kid() == Some(kid)) {
        return Err(DUPLICATE_KID.into());
    }
    Ok(())
}

pub(crate) fn list(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let keys: Vec<Value> = app
        .keys
        .iter()
        .map(|k| k.json(call.base, &app.client_id))
        .collect();
    Reply::json(200, &Value::Array(keys))
}

pub(crate) fn add(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(body @ Value::Object(map)) = call.body else {
        return malformed();
    };
    let active = match map.get("status").map(|s| s.as_str()) {
        None | Some(Some("ACTIVE")) => true,
        Some(Some("INACTIVE")) => false,
        Some(_) => {
            return invalid(
                "JsonWebKey",
                "status: The status must be ACTIVE or INACTIVE.",
            );
        }
    };
    let jwk = match parse_public_jwk(body) {
        Ok(jwk) => jwk,
        Err(cause) => return invalid("JsonWebKey", &cause),
    };
    if let Err(cause) = check_addition(&app.keys, &jwk) {
        return invalid("JsonWebKey", &cause);
    }
    let key = ClientKey::new(jwk, active, call.now);
    let answer = key.json(call.base, &app.client_id);
    app.keys.push(key);
    app.admin.last_updated = call.now;
    Reply::json(201, &answer)
}

pub(crate) fn get(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    match app.keys.iter().find(|k| k.id == call.target.item) {
        Some(key) => Reply::json(200, &key.json(call.base, &app.client_id)),
        None => not_found(&call.target.item, "JsonWebKey"),
    }
}

/// Activates or deactivates a key; either is a no-op on a key already so.
pub(crate) fn set_active(call: &Call<'_>, state: &mut State, active: bool) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let active_keys = app.keys.iter().filter(|k| k.active).count();
    let Some(key) = app.keys.iter_mut().find(|k| k.id == call.target.item) else {
        return not_found(&call.target.item, "JsonWebKey");
    };
    if !active && key.active && active_keys == 1 {
        return invalid("JsonWebKey", ONLY_ACTIVE);
    }
    if key.active != active {
        key.active = active;
        key.last_updated = call.now;
    }
    Reply::json(200, &key.json(call.base, &app.client_id))
}

pub(crate) fn delete(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(at) = app.keys.iter().position(|k| k.id == call.target.item) else {
        return not_found(&call.target.item, "JsonWebKey");
    };
    if app.keys[at].active {
        return invalid("JsonWebKey", DELETE_ACTIVE);
    }
    app.keys.remove(at);
    app.admin.last_updated = call.now;
    Reply::empty(204)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    fn key(kid: Option<&str>) -> ClientKey {
        let jwk = SigningKey::generate_p256().public_jwk();
        let jwk = match kid {
            Some(kid) => jwk.with_kid(kid),
            None => jwk,
        };
        ClientKey::new(jwk, true, 0)
    }

    #[test]
    fn kids_must_be_unique_and_present_among_several() {
        let one = [key(Some("a"))];
        assert!(check_addition(&[], &key(None).jwk).is_ok());
        assert!(check_addition(&one, &key(Some("b")).jwk).is_ok());
        assert_eq!(
            check_addition(&one, &key(Some("a")).jwk).unwrap_err(),
            DUPLICATE_KID
        );
        assert_eq!(check_addition(&one, &key(None).jwk).unwrap_err(), NEEDS_KID);
        assert_eq!(
            check_addition(&[key(None)], &key(Some("b")).jwk).unwrap_err(),
            NEEDS_KID
        );
    }

    #[test]
    fn private_and_encryption_keys_are_refused_without_echoing_them() {
        let mut value = serde_json::to_value(key(Some("a")).jwk).unwrap();
        value["d"] = json!("c2VjcmV0LXZhbHVl");
        let cause = parse_public_jwk(&value).unwrap_err();
        assert!(
            cause.contains("`d`") && !cause.contains("c2VjcmV0"),
            "{cause}"
        );
        let mut value = serde_json::to_value(key(Some("a")).jwk).unwrap();
        value["use"] = json!("enc");
        assert!(parse_public_jwk(&value).is_err());
        value["use"] = json!("sig");
        value["status"] = json!("ACTIVE");
        value["id"] = json!("pks1");
        assert!(parse_public_jwk(&value).is_ok());
    }
}
