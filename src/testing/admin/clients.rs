//! `POST /oauth2/v1/clients`: dynamic client registration of a service app
//! (`private_key_jwt`, client credentials), with OAuth-shaped validation
//! errors (`invalid_client_metadata`).

use serde_json::{Value, json};

use super::super::app::ServiceApp;
use super::super::reply::Reply;
use super::super::state::State;
use super::keys::{ClientKey, check_addition, parse_public_jwk};
use super::{AppRecord, Call, okta_id};

/// Whether a registered service app requires DPoP unless its registration
/// says `dpop_bound_access_tokens`: `true`, as for new service apps in Okta.
pub const DEFAULT_REGISTERED_DPOP: bool = true;

fn refuse(description: &str) -> Reply {
    Reply::oauth(400, "invalid_client_metadata", description)
}

/// The metadata of a registered client, as Okta answers it.
pub(crate) fn client_json(app: &ServiceApp) -> Value {
    let keys: Vec<&crate::jose::Jwk> = app.keys.iter().map(|k| &k.jwk).collect();
    json!({
        "client_id": app.client_id,
        "client_id_issued_at": app.admin.created,
        "client_name": app.admin.label,
        "client_uri": null,
        "logo_uri": null,
        "redirect_uris": [],
        "response_types": ["token"],
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "application_type": "service",
        "jwks": { "keys": keys },
        "dpop_bound_access_tokens": app.require_dpop,
    })
}

/// Whether `value` is absent, `null`, or an array of exactly `allowed`
/// strings (`[]` included when `allow_empty`).
fn only(value: Option<&Value>, allowed: &str, allow_empty: bool) -> bool {
    match value {
        None | Some(Value::Null) => allow_empty,
        Some(Value::Array(items)) if items.is_empty() => allow_empty,
        Some(Value::Array(items)) => items.iter().all(|i| i == allowed),
        Some(_) => false,
    }
}

pub(crate) fn register(call: &Call<'_>, state: &mut State) -> Reply {
    let Some(Value::Object(body)) = call.body else {
        return refuse("The request body must be a JSON object of client metadata.");
    };
    let name = match body.get("client_name").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => name.to_owned(),
        _ => return refuse("`client_name`: The field can't be left blank."),
    };
    // RFC 7591 defaults (`web`, `authorization_code`, `client_secret_basic`)
    // are not service apps: the fake org registers service apps only.
    if body.get("application_type").and_then(Value::as_str) != Some("service") {
        return refuse("`application_type`: The fake org registers service apps only (`service`).");
    }
    if !only(body.get("grant_types"), "client_credentials", false) {
        return refuse(
            "`grant_types`: A service app takes the `client_credentials` grant (the only grant \
             the fake org runs).",
        );
    }
    if !only(body.get("response_types"), "token", true) {
        return refuse("`response_types`: A service app takes `token` or none.");
    }
    if body
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        != Some("private_key_jwt")
    {
        return refuse(
            "`token_endpoint_auth_method`: Client credentials on the org authorization server \
             require `private_key_jwt`.",
        );
    }
    if body.contains_key("jwks_uri") {
        return refuse("`jwks_uri`: The fake org takes the keys inline, in `jwks`.");
    }
    let Some(Value::Array(raw_keys)) = body.get("jwks").and_then(|j| j.get("keys")) else {
        return refuse("`jwks`: A `private_key_jwt` client needs `jwks` with its public keys.");
    };
    if raw_keys.is_empty() {
        return refuse("`jwks`: A `private_key_jwt` client needs at least one key.");
    }
    let mut keys: Vec<ClientKey> = Vec::with_capacity(raw_keys.len());
    for raw in raw_keys {
        let checked = parse_public_jwk(raw).and_then(|jwk| {
            check_addition(&keys, &jwk)?;
            Ok(jwk)
        });
        match checked {
            Ok(jwk) => keys.push(ClientKey::new(jwk, true, call.now)),
            Err(cause) => return refuse(&format!("`jwks`: {cause}")),
        }
    }
    let dpop = match body.get("dpop_bound_access_tokens") {
        None | Some(Value::Null) => DEFAULT_REGISTERED_DPOP,
        Some(Value::Bool(dpop)) => *dpop,
        Some(_) => return refuse("`dpop_bound_access_tokens`: The value must be a boolean."),
    };
    let client_id = okta_id("0oa");
    let mut app = ServiceApp::new(client_id.clone()).dpop(dpop, true);
    app.keys = keys;
    app.admin_role = false;
    app.admin = AppRecord {
        label: name,
        created: call.now,
        last_updated: call.now,
        ..AppRecord::default()
    };
    let answer = client_json(&app);
    state.apps.insert(client_id, app);
    Reply::json(201, &answer)
}
