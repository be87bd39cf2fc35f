//! Scope grants (`/api/v1/apps/{appId}/grants`): the `okta.*` scopes an
//! app may request from the org authorization server, one grant each.

use serde_json::{Value, json};

use super::super::app::ServiceApp;
use super::super::reply::Reply;
use super::super::scopes;
use super::super::state::State;
use super::{Call, actor, app_mut, invalid, iso8601, malformed, not_found, okta_id};

/// One scope granted to an app.
#[derive(Debug, Clone)]
pub(crate) struct ScopeGrant {
    /// Okta's id of the grant (`oag…`).
    pub(crate) id: String,
    pub(crate) scope_id: String,
    pub(crate) issuer: String,
    /// Who granted it (id, `User` or `Client`); `None` for grants made at
    /// registration through `MockOkta::register_service_app`.
    pub(crate) created_by: Option<(String, &'static str)>,
    pub(crate) created: u64,
}

impl ScopeGrant {
    pub(crate) fn new(
        scope_id: &str,
        issuer: &str,
        created_by: Option<(String, &'static str)>,
        now: u64,
    ) -> Self {
        Self {
            id: okta_id("oag"),
            scope_id: scope_id.to_owned(),
            issuer: issuer.to_owned(),
            created_by,
            created: now,
        }
    }

    fn json(&self, base: &str, app: &ServiceApp) -> Value {
        let created_by = match &self.created_by {
            Some((id, kind)) => json!({ "id": id, "type": kind }),
            None => Value::Null,
        };
        let id = &app.client_id;
        json!({
            "id": self.id,
            "status": "ACTIVE",
            "created": iso8601(self.created),
            "createdBy": created_by,
            "lastUpdated": iso8601(self.created),
            "issuer": self.issuer,
            "clientId": id,
            "scopeId": self.scope_id,
            "source": "ADMIN",
            "_embedded": { "scope": { "id": self.scope_id } },
            "_links": {
                "app": { "href": format!("{base}/api/v1/apps/{id}"), "title": app.admin.label },
                "self": { "href": format!("{base}/api/v1/apps/{id}/grants/{}", self.id) },
                "client": { "href": format!("{base}/oauth2/v1/clients/{id}"), "title": app.admin.label },
            },
        })
    }
}

pub(crate) fn list(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let grants: Vec<Value> = app
        .admin
        .grants
        .iter()
        .map(|g| g.json(call.base, app))
        .collect();
    Reply::json(200, &Value::Array(grants))
}

/// `POST`: the issuer must be the org (`https://{org}`, exactly), the scope
/// one Okta publishes and not granted yet. The app may request it at once.
pub(crate) fn grant(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(body @ Value::Object(_)) = call.body else {
        return malformed();
    };
    let issuer = match body.get("issuer").and_then(Value::as_str) {
        None => return invalid("issuer", "issuer: The field cannot be left blank."),
        Some(issuer) if issuer != call.base => {
            return invalid(
                "issuer",
                &format!(
                    "issuer: The issuer of an okta.* scope is the org authorization server, {}.",
                    call.base
                ),
            );
        }
        Some(issuer) => issuer,
    };
    let scope = match body.get("scopeId").and_then(Value::as_str) {
        None => return invalid("scopeId", "scopeId: The field cannot be left blank."),
        Some(scope) if !scopes::is_published(scope) => {
            return invalid("scopeId", "scopeId: The scope is not an Okta scope.");
        }
        Some(scope) => scope,
    };
    if app.admin.grants.iter().any(|g| g.scope_id == scope) {
        return invalid(
            "scopeId",
            "scopeId: The scope is already granted to the app.",
        );
    }
    let grant = ScopeGrant::new(scope, issuer, Some(actor(call.grant)), call.now);
    let answer = grant.json(call.base, app);
    app.admin.grants.push(grant);
    if !app.scopes.iter().any(|s| s == scope) {
        app.scopes.push(scope.to_owned());
    }
    Reply::json(201, &answer)
}

pub(crate) fn get(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    match app.admin.grants.iter().find(|g| g.id == call.target.item) {
        Some(grant) => Reply::json(200, &grant.json(call.base, app)),
        None => not_found(&call.target.item, "OAuth2ScopeConsentGrant"),
    }
}

/// `DELETE`: the app may no longer request the scope (tokens it already
/// holds keep working until they expire).
pub(crate) fn revoke(call: &Call<'_>, state: &mut State) -> Reply {
    let app = match app_mut(state, &call.target.app) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(at) = app
        .admin
        .grants
        .iter()
        .position(|g| g.id == call.target.item)
    else {
        return not_found(&call.target.item, "OAuth2ScopeConsentGrant");
    };
    let grant = app.admin.grants.remove(at);
    app.scopes.retain(|s| *s != grant.scope_id);
    Reply::empty(204)
}
