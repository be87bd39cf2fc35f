//! Apps (`/api/v1/apps/{appId}`): the app object of a service app, its DPoP
//! setting, and its lifecycle (deactivate before delete).

use serde_json::{Value, json};

use super::super::app::ServiceApp;
use super::super::reply::Reply;
use super::super::state::State;
use super::grants::ScopeGrant;
use super::roles::RoleAssignment;
use super::{Call, app_mut, invalid, iso8601, malformed, status, with_causes};

/// What the Apps API knows of an app beside its keys and scopes.
#[derive(Debug, Clone)]
pub(crate) struct AppRecord {
    /// Its `label` (a registered client's `client_name`).
    pub(crate) label: String,
    /// `ACTIVE` (else `INACTIVE`): an inactive app gets no tokens and its
    /// tokens are refused.
    pub(crate) active: bool,
    pub(crate) created: u64,
    pub(crate) last_updated: u64,
    pub(crate) grants: Vec<ScopeGrant>,
    pub(crate) roles: Vec<RoleAssignment>,
}

impl Default for AppRecord {
    fn default() -> Self {
        Self {
            label: String::new(),
            active: true,
            created: 0,
            last_updated: 0,
            grants: Vec::new(),
            roles: Vec::new(),
        }
    }
}

/// The app object Okta answers for an OIDC service app (`private_key_jwt`).
pub(crate) fn app_json(base: &str, app: &ServiceApp) -> Value {
    let id = &app.client_id;
    let record = &app.admin;
    let href = format!("{base}/api/v1/apps/{id}");
    let lifecycle = if record.active {
        json!({ "deactivate": { "href": format!("{href}/lifecycle/deactivate") } })
    } else {
        json!({ "activate": { "href": format!("{href}/lifecycle/activate") } })
    };
    let keys: Vec<&crate::jose::Jwk> = app.keys.iter().map(|k| &k.jwk).collect();
    json!({
        "id": id,
        "name": "oidc_client",
        "label": record.label,
        "status": status(record.active),
        "created": iso8601(record.created),
        "lastUpdated": iso8601(record.last_updated),
        "signOnMode": "OPENID_CONNECT",
        "features": [],
        "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
        "visibility": { "autoLaunch": false, "autoSubmitToolbar": false, "hide": { "iOS": true, "web": true } },
        "credentials": {
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "oauthClient": {
                "autoKeyRotation": true,
                "client_id": id,
                "token_endpoint_auth_method": "private_key_jwt",
                "pkce_required": false,
            },
        },
        "settings": {
            "app": {},
            "oauthClient": {
                "client_uri": null,
                "logo_uri": null,
                "redirect_uris": [],
                "response_types": ["token"],
                "grant_types": ["client_credentials"],
                "application_type": "service",
                "consent_method": "REQUIRED",
                "issuer_mode": "DYNAMIC",
                "dpop_bound_access_tokens": app.require_dpop,
                "jwks": { "keys": keys },
            },
        },
        "_links": lifecycle,
    })
}

/// `GET /api/v1/apps`, oldest first; `?q=` keeps the apps whose label
/// starts with it (case-insensitive).
pub(crate) fn list(call: &Call<'_>, state: &mut State) -> Reply {
    let q = call
        .query
        .map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .and_then(|mut pairs| pairs.find(|(k, _)| k == "q"))
        .map(|(_, v)| v.to_lowercase());
    let mut apps: Vec<&ServiceApp> = state
        .apps
        .values()
        .filter(|app| {
            q.as_deref()
                .is_none_or(|q| app.admin.label.to_lowercase().starts_with(q))
        })
        .collect();
    apps.sort_by(|a, b| (a.admin.created, &a.client_id).cmp(&(b.admin.created, &b.client_id)));
    let apps: Vec<Value> = apps.iter().map(|app| app_json(call.base, app)).collect();
    Reply::json(200, &Value::Array(apps))
}

pub(crate) fn get(call: &Call<'_>, state: &mut State) -> Reply {
    match app_mut(state, &call.target.app) {
        Ok(app) => Reply::json(200, &app_json(call.base, app)),
        Err(reply) => reply,
    }
}

/// `PUT /api/v1/apps/{appId}`: replaces the app's properties. `label` and
/// `signOnMode` are required; the changes taken are the `label` and
/// `settings.oauthClient.dpop_bound_access_tokens`, which a replacement
/// without it sets to `false` (the Apps API's default). System properties
/// (`id`, `name`, `status`, times) are ignored, as are the keys (managed
/// through the JWKS API).
pub(crate) fn replace(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(body @ Value::Object(_)) = call.body else {
        return malformed();
    };
    let label = match body.get("label").and_then(Value::as_str) {
        Some(label) if !label.trim().is_empty() => label.to_owned(),
        _ => return invalid("label", "label: The field cannot be left blank."),
    };
    if body.get("signOnMode").and_then(Value::as_str) != Some("OPENID_CONNECT") {
        return invalid(
            "signOnMode",
            "signOnMode: The sign-on mode of an OAuth 2.0 service app is OPENID_CONNECT.",
        );
    }
    let method = body.pointer("/credentials/oauthClient/token_endpoint_auth_method");
    if method.is_some_and(|m| m != "private_key_jwt") {
        return invalid(
            "token_endpoint_auth_method",
            "token_endpoint_auth_method: The fake org's service apps use private_key_jwt.",
        );
    }
    let dpop = match body.pointer("/settings/oauthClient/dpop_bound_access_tokens") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(dpop)) => *dpop,
        Some(_) => {
            return invalid(
                "dpop_bound_access_tokens",
                "dpop_bound_access_tokens: The value must be a boolean.",
            );
        }
    };
    app.admin.label = label;
    app.require_dpop = dpop;
    app.require_nonce = dpop;
    app.admin.last_updated = call.now;
    Reply::json(200, &app_json(call.base, app))
}

/// `POST …/lifecycle/activate|deactivate`: `200 {}`, also when the app is
/// already so.
pub(crate) fn set_active(call: &Call<'_>, state: &mut State, active: bool) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    if app.admin.active != active {
        app.admin.active = active;
        app.admin.last_updated = call.now;
    }
    Reply::json(200, &json!({}))
}

/// `DELETE /api/v1/apps/{appId}`: only an inactive app, else Okta's
/// `403 E0000056`.
pub(crate) fn delete(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    if app.admin.active {
        return with_causes(
            403,
            "E0000056",
            "Delete application forbidden.",
            "The application must be deactivated before deletion.",
        );
    }
    state.apps.remove(&call.target.app);
    Reply::empty(204)
}
