//! `GET /oauth2/{id}/.well-known/oauth-authorization-server` (RFC 8414,
//! also at `/.well-known/oauth-authorization-server/oauth2/{id}`),
//! `GET /oauth2/{id}/.well-known/openid-configuration` and the JWKS
//! `GET /oauth2/{id}/v1/keys` of custom authorization servers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::reply::{Endpoint, Reply, answer};
use super::state::{Shared, State};
use crate::jose::JwkSet;
use crate::key::SigningKey;

/// The path regex of every route answered here.
pub(crate) const PATHS: &str = concat!(
    r"^(/oauth2/[A-Za-z0-9]+/(v1/keys|\.well-known/(oauth-authorization-server|openid-configuration))",
    r"|/\.well-known/oauth-authorization-server/oauth2/[A-Za-z0-9]+)$",
);

/// The wiremock responder for [`PATHS`] (GET only).
pub(crate) struct Discovery(pub(crate) Arc<Shared>);

/// What a path asks for.
#[derive(Debug, PartialEq, Eq)]
enum Document {
    Keys,
    OAuthMetadata,
    OpenIdConfiguration,
}

impl Respond for Discovery {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let now = shared.now();
        let mut state = shared.lock();
        let log = super::api::received(request);
        let Some((id, document)) = route(request.url.path()) else {
            // The wiremock matcher lets only `PATHS` through.
            let reply = Reply::okta(404, "E0000007", "Not found: Resource not found");
            return finish(shared, &mut state, log, reply);
        };
        if let Some(server) = state.custom_servers.get_mut(id) {
            match document {
                Document::Keys => server.jwks_requests += 1,
                _ => server.metadata_requests += 1,
            }
        }
        if document == Document::Keys {
            return answer(shared, &mut state, Endpoint::Keys, log, now, |state| {
                keys(shared, state, id)
            });
        }
        let reply = if state.custom_servers.contains_key(id) {
            Reply::json(200, &metadata(shared, id, &document))
        } else {
            unknown_server(id)
        };
        finish(shared, &mut state, log, reply)
    }
}

/// Adds the usual headers and logs the request, like
/// [`answer`] without faults.
fn finish(
    shared: &Shared,
    state: &mut State,
    mut log: super::state::ReceivedRequest,
    reply: Reply,
) -> ResponseTemplate {
    let (status, template, request_id) = reply.finish(shared, state);
    log.status = status;
    log.request_id = request_id;
    state.record(log);
    template
}

/// The server id and document a path names.
fn route(path: &str) -> Option<(&str, Document)> {
    if let Some(id) = path.strip_prefix("/.well-known/oauth-authorization-server/oauth2/") {
        return Some((id, Document::OAuthMetadata));
    }
    let (id, rest) = path.strip_prefix("/oauth2/")?.split_once('/')?;
    let document = match rest {
        "v1/keys" => Document::Keys,
        ".well-known/oauth-authorization-server" => Document::OAuthMetadata,
        ".well-known/openid-configuration" => Document::OpenIdConfiguration,
        _ => return None,
    };
    Some((id, document))
}

/// Okta's 404 for a server id it does not know.
fn unknown_server(id: &str) -> Reply {
    Reply::okta(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {id} (AuthorizationServer)"),
    )
}

/// The JWKS with Okta's cache headers.
fn keys(shared: &Shared, state: &mut State, id: &str) -> Reply {
    let Some(server) = state.custom_servers.get(id) else {
        return unknown_server(id);
    };
    let jwks: JwkSet = server.keys.iter().map(SigningKey::public_jwk).collect();
    let max_age = server.jwks_max_age.as_secs();
    let expires = shared.system_now() + Duration::from_secs(max_age);
    let Ok(body) = serde_json::to_value(&jwks) else {
        return Reply::okta(500, "E0000009", "Internal Server Error");
    };
    Reply::json(200, &body)
        .header(
            "cache-control",
            &format!("max-age={max_age}, must-revalidate"),
        )
        .header("expires", &httpdate::fmt_http_date(expires))
}

/// A custom authorization server's metadata, with the members Okta's
/// carries.
fn metadata(shared: &Shared, id: &str, document: &Document) -> Value {
    let issuer = super::custom_server::issuer(shared, id);
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/v1/authorize"),
        "token_endpoint": format!("{issuer}/v1/token"),
        "registration_endpoint": format!("{}/oauth2/v1/clients", shared.base),
        "jwks_uri": format!("{issuer}/v1/keys"),
        "response_types_supported": [
            "code", "token", "id_token", "code id_token", "code token",
            "id_token token", "code id_token token",
        ],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "password",
            "client_credentials", "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
        "subject_types_supported": ["public"],
        "scopes_supported": [
            "openid", "profile", "email", "address", "phone", "offline_access", "device_sso",
        ],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt",
            "private_key_jwt", "none",
        ],
        "claims_supported": [
            "ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub",
        ],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": format!("{issuer}/v1/introspect"),
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt",
            "private_key_jwt", "none",
        ],
        "revocation_endpoint": format!("{issuer}/v1/revoke"),
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt",
            "private_key_jwt", "none",
        ],
        "end_session_endpoint": format!("{issuer}/v1/logout"),
        "request_parameter_supported": true,
        "request_object_signing_alg_values_supported": [
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
        ],
        "device_authorization_endpoint": format!("{issuer}/v1/device/authorize"),
        "dpop_signing_alg_values_supported": super::proof::ALGORITHMS,
    });
    if *document == Document::OpenIdConfiguration
        && let Some(members) = doc.as_object_mut()
    {
        members.insert(
            "userinfo_endpoint".into(),
            json!(format!("{issuer}/v1/userinfo")),
        );
        members.insert(
            "id_token_signing_alg_values_supported".into(),
            json!(["RS256"]),
        );
        members.insert(
            "claims_supported".into(),
            json!([
                "iss",
                "ver",
                "sub",
                "aud",
                "iat",
                "exp",
                "jti",
                "auth_time",
                "amr",
                "idp",
                "nonce",
                "name",
                "nickname",
                "preferred_username",
                "given_name",
                "middle_name",
                "family_name",
                "email",
                "email_verified",
                "profile",
                "zoneinfo",
                "locale",
                "address",
                "phone_number",
                "picture",
                "website",
                "gender",
                "birthdate",
                "updated_at",
                "at_hash",
                "c_hash",
            ]),
        );
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_a_server_and_a_document() {
        let re = matches(PATHS);
        for (path, expected) in [
            ("/oauth2/default/v1/keys", Some(("default", Document::Keys))),
            (
                "/oauth2/aus1/.well-known/oauth-authorization-server",
                Some(("aus1", Document::OAuthMetadata)),
            ),
            (
                "/oauth2/aus1/.well-known/openid-configuration",
                Some(("aus1", Document::OpenIdConfiguration)),
            ),
            (
                "/.well-known/oauth-authorization-server/oauth2/aus1",
                Some(("aus1", Document::OAuthMetadata)),
            ),
            ("/oauth2/aus1/v1/token", None),
        ] {
            assert_eq!(route(path), expected, "{path}");
            assert_eq!(re(path), expected.is_some(), "{path}");
        }
        assert!(!re("/oauth2/v1/keys"));
        assert!(!re("/oauth2/a-b/v1/keys"));
    }

    /// Whether wiremock's matcher lets `path` through.
    fn matches(pattern: &str) -> impl Fn(&str) -> bool {
        let matcher = wiremock::matchers::path_regex(pattern);
        move |path: &str| {
            let request = wiremock::Request {
                url: url::Url::parse(&format!("http://127.0.0.1{path}")).unwrap(),
                method: http::Method::GET,
                headers: http::HeaderMap::new(),
                body: Vec::new(),
            };
            wiremock::Match::matches(&matcher, &request)
        }
    }
}
