//! API tokens (`/api/v1/api-tokens`): their metadata (never the secret),
//! and their revocation, including the token making the call
//! (`DELETE /api/v1/api-tokens/current`).

use serde_json::{Value, json};

use super::super::api::Grant;
use super::super::reply::Reply;
use super::super::state::State;
use super::authz::forbidden;
use super::{Call, iso8601, not_found, okta_id};

/// The user every API token of the fake org belongs to: its super admin
/// (`00u1mockadmin`, the `admin@example.com` of `/api/v1/users`).
pub(crate) const TOKEN_USER: &str = "00u1mockadmin";

/// How long an API token lives without use: 30 days.
const TOKEN_WINDOW_SECS: u64 = 30 * 24 * 3600;

/// What Okta shows of an API token.
#[derive(Debug, Clone)]
pub(crate) struct ApiTokenRecord {
    /// Okta's id of the token (`00T…`).
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created: u64,
}

/// Records the metadata of an API token being registered (once).
pub(crate) fn registered(state: &mut State, secret: &str, now: u64) {
    let count = state.admin.api_tokens.len();
    state
        .admin
        .api_tokens
        .entry(secret.to_owned())
        .or_insert_with(|| ApiTokenRecord {
            id: okta_id("00T"),
            name: format!("Mock API token {}", count + 1),
            created: now,
        });
}

impl ApiTokenRecord {
    fn json(&self, base: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "userId": TOKEN_USER,
            "clientName": "Okta API",
            "tokenWindow": "P30D",
            "network": { "connection": "ANYWHERE" },
            "created": iso8601(self.created),
            "lastUpdated": iso8601(self.created),
            "expiresAt": iso8601(self.created + TOKEN_WINDOW_SECS),
            "_links": {
                "self": { "href": format!("{base}/api/v1/api-tokens/{}", self.id) },
                "user": { "href": format!("{base}/api/v1/users/{TOKEN_USER}") },
            },
        })
    }
}

/// The tokens still valid, oldest first: (secret, record).
fn active(state: &State) -> Vec<(&String, &ApiTokenRecord)> {
    let mut tokens: Vec<_> = state
        .admin
        .api_tokens
        .iter()
        .filter(|(secret, _)| state.api_tokens.contains(*secret))
        .collect();
    tokens.sort_by(|a, b| (a.1.created, &a.1.id).cmp(&(b.1.created, &b.1.id)));
    tokens
}

pub(crate) fn list(call: &Call<'_>, state: &mut State) -> Reply {
    let tokens: Vec<Value> = active(state)
        .into_iter()
        .map(|(_, record)| record.json(call.base))
        .collect();
    Reply::json(200, &Value::Array(tokens))
}

pub(crate) fn get(call: &Call<'_>, state: &mut State) -> Reply {
    match active(state)
        .into_iter()
        .find(|(_, record)| record.id == call.target.item)
    {
        Some((_, record)) => Reply::json(200, &record.json(call.base)),
        None => not_found(&call.target.item, "ApiToken"),
    }
}

pub(crate) fn revoke(call: &Call<'_>, state: &mut State) -> Reply {
    let secret = active(state)
        .into_iter()
        .find(|(_, record)| record.id == call.target.item)
        .map(|(secret, _)| secret.clone());
    match secret {
        Some(secret) => {
            state.api_tokens.remove(&secret);
            Reply::empty(204)
        }
        None => not_found(&call.target.item, "ApiToken"),
    }
}

/// Revokes the API token that authorized this request: its next call gets
/// `401`. Only an API token has a "current" one: an access token gets `403`.
pub(crate) fn revoke_current(call: &Call<'_>, state: &mut State) -> Reply {
    match call.grant {
        Grant::ApiToken(secret) => {
            state.api_tokens.remove(secret);
            Reply::empty(204)
        }
        Grant::Token { .. } => forbidden(),
    }
}
