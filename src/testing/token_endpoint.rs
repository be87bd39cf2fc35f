//! `POST /oauth2/v1/token` and `/oauth2/{id}/v1/token`: the client
//! credentials grant, as Okta answers it.

use std::sync::Arc;

use http::Method;
use http::header::CONTENT_TYPE;
use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::client_auth::{authenticate, basic_auth};
use super::custom_server;
use super::jwt;
use super::proof::{self, Expect, Refusal};
use super::reply::{Endpoint, Reply, answer};
use super::scopes;
use super::state::{IssuedToken, Shared, State, random_id};

/// The last instant (unix seconds) a token may expire at: the largest a
/// JWT's `exp` holds (an `i64`). A longer
/// [`token_lifetime`](super::ServiceApp::token_lifetime) ends there.
const LAST_EXPIRY: u64 = i64::MAX.unsigned_abs();

/// The wiremock responder for every token endpoint.
pub(crate) struct TokenEndpoint(pub(crate) Arc<Shared>);

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let now = shared.now();
        let mut state = shared.lock();
        let form = parse_form(&request.body);
        let mut log = super::api::received(request);
        log.form = form
            .iter()
            .map(|(k, v)| {
                // Both are credentials: a client assertion is good at this
                // endpoint until it expires. Its decoded header and claims
                // are kept below.
                let v = if k == "client_secret" || k == "client_assertion" {
                    "[redacted]"
                } else {
                    v
                };
                (k.clone(), v.to_owned())
            })
            .collect();
        if let Some((header, claims)) = field(&form, "client_assertion").and_then(jwt::peek) {
            log.assertion_header = Some(header);
            log.assertion_claims = Some(claims);
        }
        log.client_id = basic_auth(request)
            .map(|(user, _)| user)
            .or_else(|| {
                log.assertion_claims
                    .as_ref()
                    .and_then(|c| jwt::string(c, "iss"))
                    .map(str::to_owned)
            })
            .or_else(|| field(&form, "client_id").map(str::to_owned));
        if let Some(client) = &log.client_id {
            *state.token_requests.entry(client.clone()).or_default() += 1;
        }

        answer(shared, &mut state, Endpoint::Token, log, now, |state| {
            grant(shared, state, request, &form, now)
        })
    }
}

/// The form fields, or an empty list if the body is not a form.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The grant itself, once no fault was injected.
fn grant(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    form: &[(String, String)],
    now: u64,
) -> Reply {
    let server = match server_id(request.url.path()) {
        Some(server) => server,
        None => return Reply::okta(404, "E0000007", "Not found: Resource not found"),
    };
    if let Some(id) = &server
        && !state.custom_servers.contains_key(id)
    {
        return Reply::okta(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {id} (AuthorizationServer)"),
        );
    }
    if request.method != Method::POST {
        return Reply::oauth(
            405,
            "invalid_request",
            "The token endpoint only accepts POST.",
        )
        .header("allow", "POST");
    }
    if request.url.query().is_some() {
        return Reply::oauth(
            400,
            "invalid_request",
            "Parameters must be sent in the request body, not in the query string.",
        );
    }
    let is_form = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Reply::oauth(
            400,
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded.",
        );
    }
    let mut names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let repeated = names.len() != {
        let mut unique = names.clone();
        unique.dedup();
        unique.len()
    };
    if repeated {
        return Reply::oauth(
            400,
            "invalid_request",
            "Request parameters must not be repeated.",
        );
    }
    match field(form, "grant_type") {
        Some("client_credentials") => {}
        None => {
            return Reply::oauth(
                400,
                "invalid_request",
                "The 'grant_type' parameter is missing.",
            );
        }
        Some(_) => {
            return Reply::oauth(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            );
        }
    }
    let endpoint = format!("{}{}", shared.base, request.url.path());
    let mut client = match authenticate(state, request, form, server.as_deref(), &endpoint, now) {
        Ok(client) => client,
        Err(reply) => return reply,
    };

    // DPoP: required by the app, or offered by the client (RFC 9449 §5).
    let proofs: Vec<_> = request.headers.get_all(crate::DPOP).iter().collect();
    let jkt = match proofs.as_slice() {
        [] if client.require_dpop => {
            return Reply::oauth(
                400,
                "invalid_dpop_proof",
                "The DPoP proof JWT header is missing.",
            );
        }
        [] => None,
        [proof] => {
            let nonce = state.nonce.clone();
            let htu = proof::request_htu(&shared.base, request);
            let expect = Expect {
                htm: request.method.as_str(),
                htu: &htu,
                now,
                nonce: client.require_nonce.then_some(nonce.as_str()),
                access_token: None,
            };
            let proof = proof.to_str().unwrap_or_default();
            match proof::verify(proof, &expect, &mut state.proof_jtis) {
                Ok(jkt) => Some(jkt),
                Err(Refusal::NeedsNonce) => {
                    return Reply::oauth(
                        400,
                        "use_dpop_nonce",
                        "Authorization server requires nonce in DPoP proof.",
                    )
                    .header("dpop-nonce", &nonce);
                }
                Err(Refusal::Replayed) => {
                    return Reply::oauth(
                        400,
                        "dpop_proof_already_used",
                        "The DPoP proof JWT has already been used.",
                    );
                }
                Err(Refusal::Invalid(why)) => {
                    return Reply::oauth(400, "invalid_dpop_proof", &why);
                }
                Err(Refusal::WrongAth) => {
                    return Reply::oauth(
                        400,
                        "invalid_dpop_proof",
                        "The DPoP proof JWT 'ath' claim is invalid.",
                    );
                }
            }
        }
        _ => {
            return Reply::oauth(
                400,
                "invalid_dpop_proof",
                "Only one DPoP proof JWT may be sent.",
            );
        }
    };

    // The org authorization server knows only `okta.*` scopes, those Okta
    // publishes or has granted to an app; custom servers know every scope
    // but those.
    let known = |scope: &str| {
        let okta = scope.starts_with("okta.")
            && (scopes::is_published(scope)
                || state
                    .apps
                    .values()
                    .any(|app| app.scopes.iter().any(|g| g == scope)));
        okta == server.is_none()
    };
    let scopes = match check_scopes(field(form, "scope"), &client.scopes, known) {
        Ok(scopes) => scopes,
        Err(reply) => return reply,
    };

    // A lifetime reaching past the last instant the org can write ends
    // there, in `expires_in` as in `exp`.
    let expires_at = now.saturating_add(client.lifetime).min(LAST_EXPIRY);
    client.lifetime = expires_at.saturating_sub(now);

    // Custom authorization servers issue signed JWTs, the org
    // authorization server opaque tokens (as far as its clients know).
    let secret = match &server {
        Some(id) => {
            match custom_server::issue(shared, state, id, &client, &scopes, jkt.as_deref(), now) {
                Ok(token) => token,
                Err(reply) => return reply,
            }
        }
        None => random_id("mock-at-"),
    };
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let scope = scopes.join(" ");
    state.issued.insert(
        secret.clone(),
        IssuedToken {
            client_id: client.client_id.clone(),
            scopes,
            expires_at,
            jkt,
            revoked: false,
            server,
        },
    );
    Reply::json(
        200,
        &json!({
            "token_type": token_type,
            "expires_in": client.lifetime,
            "access_token": secret,
            "scope": scope,
        }),
    )
    .no_store()
}

/// `None` for a path that is no token endpoint; `Some(None)` for the org
/// authorization server; `Some(Some(id))` for a custom one.
fn server_id(path: &str) -> Option<Option<String>> {
    if path == "/oauth2/v1/token" {
        return Some(None);
    }
    let id = path.strip_prefix("/oauth2/")?.strip_suffix("/v1/token")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| Some(id.to_owned()))
}

/// The requested scopes, if all are granted: Okta's errors otherwise. A
/// scope the authorization server does not `know` is `invalid_scope`.
fn check_scopes(
    requested: Option<&str>,
    granted: &[String],
    known: impl Fn(&str) -> bool,
) -> Result<Vec<String>, Reply> {
    let requested: Vec<String> = requested
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if requested.is_empty() {
        return Err(Reply::oauth(
            400,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, \
             'scope' must be provided.",
        ));
    }
    if !requested.iter().all(|s| known(s)) {
        return Err(Reply::oauth(
            400,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        ));
    }
    let missing: Vec<&str> = requested
        .iter()
        .filter(|s| !granted.contains(s))
        .map(String::as_str)
        .collect();
    if missing.len() == requested.len() {
        return Err(Reply::oauth(
            400,
            "consent_required",
            "You are not allowed any of the requested scopes.",
        ));
    }
    if !missing.is_empty() {
        return Err(Reply::oauth(
            400,
            "invalid_scope",
            &format!(
                "The following scopes are not granted to the client: {}",
                missing.join(" ")
            ),
        ));
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths_name_their_server() {
        assert_eq!(server_id("/oauth2/v1/token"), Some(None));
        assert_eq!(
            server_id("/oauth2/default/v1/token"),
            Some(Some("default".into()))
        );
        assert_eq!(server_id("/oauth2//v1/token"), None);
        assert_eq!(server_id("/oauth2/a-b/v1/token"), None);
        assert_eq!(server_id("/oauth2/v1/tokens"), None);
    }

    #[test]
    fn forms_parse_and_bad_bodies_are_empty() {
        let form = parse_form(b"a=1&scope=x+y&b=%20");
        assert_eq!(field(&form, "scope"), Some("x y"));
        assert_eq!(field(&form, "b"), Some(" "));
        assert!(parse_form(b"").is_empty());
        assert!(field(&parse_form(b"{\"json\":1}"), "scope").is_none());
    }

    #[test]
    fn scopes_must_be_known_and_all_granted() {
        let granted = vec!["okta.users.read".to_owned(), "okta.groups.read".to_owned()];
        let okta = |s: &str| s.starts_with("okta.");
        assert!(check_scopes(Some("okta.users.read"), &granted, okta).is_ok());
        assert_eq!(
            check_scopes(Some("okta.users.manage"), &granted, okta)
                .err()
                .unwrap()
                .status,
            400
        );
        assert!(check_scopes(None, &granted, okta).is_err());
        assert!(check_scopes(Some("  "), &granted, okta).is_err());
        assert!(check_scopes(Some("okta.users.read"), &granted, |_| false).is_err());
    }
}
