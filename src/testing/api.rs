//! The management API routes `/api/v1/…`, and how Okta checks the
//! credential on them.

use std::sync::Arc;

use http::HeaderMap;
use http::header::AUTHORIZATION;
use wiremock::{Request, Respond, ResponseTemplate};

use super::admin::authz;
use super::directory;
use super::jwt;
use super::proof::{self, Expect, Refusal};
use super::reply::{Endpoint, Reply, answer};
use super::state::{ReceivedRequest, Shared, State};

/// The wiremock responder for `/api/v1/…`.
pub(crate) struct ApiEndpoint(pub(crate) Arc<Shared>);

/// A request as logged (with its DPoP proof decoded, if any), before the
/// endpoint adds what it learned.
pub(crate) fn received(request: &Request) -> ReceivedRequest {
    let (proof_header, proof_claims) = request
        .headers
        .get(crate::DPOP)
        .and_then(|v| v.to_str().ok())
        .and_then(jwt::peek)
        .unzip();
    let mut headers: HeaderMap = request.headers.clone();
    for name in [AUTHORIZATION, crate::DPOP] {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
    ReceivedRequest {
        method: request.method.clone(),
        path: request.url.path().to_owned(),
        query: request.url.query().map(str::to_owned),
        headers,
        form: Vec::new(),
        client_id: None,
        assertion_header: None,
        assertion_claims: None,
        proof_header,
        proof_claims,
        body: None,
        status: 0,
        request_id: String::new(),
    }
}

impl Respond for ApiEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let now = shared.now();
        let mut state = shared.lock();
        let log = received(request);
        state.api_requests += 1;
        answer(shared, &mut state, Endpoint::Api, log, now, |state| {
            serve(shared, state, request, now)
        })
    }
}

/// Who is calling, and with what rights.
pub(crate) enum Grant {
    /// An API token (its secret): everything its super admin may do.
    ApiToken(String),
    /// An access token of the org authorization server: its client's admin
    /// roles, as far as its scopes reach.
    Token {
        client_id: String,
        scopes: Vec<String>,
    },
}

fn serve(shared: &Shared, state: &mut State, request: &Request, now: u64) -> Reply {
    match authenticate(shared, state, request, now) {
        Ok(grant) => directory::serve(shared, state, request, &grant),
        Err(reply) => reply,
    }
}

/// Okta's 401: `E0000011` with a challenge in the scheme used; a `DPoP`
/// one lists the algorithms proofs may use ([`proof::ALGORITHMS`]).
fn unauthorized(shared: &Shared, scheme: &str, error: &str, description: &str) -> Reply {
    let algs = if scheme == "DPoP" {
        format!(" algs=\"{}\",", proof::ALGORITHMS.join(" "))
    } else {
        String::new()
    };
    Reply::okta(401, "E0000011", "Invalid token provided").header(
        "www-authenticate",
        &format!(
            "{scheme}{algs} realm=\"{}\", error=\"{error}\", error_description=\"{description}\"",
            shared.base
        ),
    )
}

/// The credential of a management request: an API token, or an org
/// authorization server's access token (with its DPoP proof); Okta's 401
/// otherwise.
pub(crate) fn authenticate(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    now: u64,
) -> Result<Grant, Reply> {
    let invalid = |scheme: &str, why: &str| unauthorized(shared, scheme, "invalid_token", why);
    let values: Vec<_> = request.headers.get_all(AUTHORIZATION).iter().collect();
    let value = match values.as_slice() {
        [] => None,
        [value] => value.to_str().ok(),
        _ => {
            return Err(unauthorized(
                shared,
                "Bearer",
                "invalid_request",
                "Only one Authorization header may be sent.",
            ));
        }
    };
    let Some((scheme, credential)) = value.and_then(|v| v.split_once(' ')) else {
        return Err(invalid("Bearer", "The access token is missing."));
    };
    let credential = credential.trim();
    if scheme.eq_ignore_ascii_case("SSWS") {
        return if state.api_tokens.contains(credential) {
            Ok(Grant::ApiToken(credential.to_owned()))
        } else {
            Err(invalid("Bearer", "The API token is invalid."))
        };
    }
    let dpop = scheme.eq_ignore_ascii_case("DPoP");
    if !dpop && !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(invalid(
            "Bearer",
            "The authorization scheme is not supported.",
        ));
    }
    let challenge = if dpop { "DPoP" } else { "Bearer" };
    let Some(token) = state.issued.get(credential) else {
        return Err(invalid(challenge, "The access token is invalid."));
    };
    // Revoked, or from a custom authorization server: the management API
    // takes only the org authorization server's tokens.
    if token.revoked || token.server.is_some() {
        return Err(invalid(challenge, "The access token is invalid."));
    }
    if token.expires_at <= now {
        return Err(invalid(challenge, "The access token is expired."));
    }
    // The app was deactivated or deleted since.
    if !authz::client_is_active(state, &token.client_id) {
        return Err(invalid(challenge, "The access token is invalid."));
    }
    let client_id = token.client_id.clone();
    let scopes = token.scopes.clone();
    let jkt = token.jkt.clone();
    match (dpop, jkt) {
        (false, None) => Ok(Grant::Token { client_id, scopes }),
        (false, Some(_)) => Err(unauthorized(
            shared,
            "DPoP",
            "invalid_request",
            "The DPoP authentication scheme is required for this access token \
             (dpop_authentication_scheme_required).",
        )),
        (true, None) => Err(invalid(
            "Bearer",
            "The access token is not DPoP bound (access_token_not_dpop_bound).",
        )),
        (true, Some(jkt)) => {
            check_resource_proof(shared, state, request, credential, &jkt, now)?;
            Ok(Grant::Token { client_id, scopes })
        }
    }
}

/// The `DPoP` proof of a resource request: RFC 9449 §7 and the binding.
fn check_resource_proof(
    shared: &Shared,
    state: &mut State,
    request: &Request,
    token: &str,
    jkt: &str,
    now: u64,
) -> Result<(), Reply> {
    let refuse = |error: &str, why: &str| unauthorized(shared, "DPoP", error, why);
    let proofs: Vec<_> = request.headers.get_all(crate::DPOP).iter().collect();
    let proof = match proofs.as_slice() {
        [] => {
            return Err(refuse(
                "invalid_dpop_proof",
                "The DPoP proof JWT header is missing.",
            ));
        }
        [proof] => proof.to_str().unwrap_or_default(),
        _ => {
            return Err(refuse(
                "invalid_dpop_proof",
                "Only one DPoP proof JWT may be sent.",
            ));
        }
    };
    let htu = proof::request_htu(&shared.base, request);
    let nonce = state.nonce.clone();
    let expect = Expect {
        htm: request.method.as_str(),
        htu: &htu,
        now,
        nonce: state.require_resource_nonce.then_some(nonce.as_str()),
        access_token: Some(token),
    };
    match proof::verify(proof, &expect, &mut state.proof_jtis) {
        Ok(thumbprint) if thumbprint == jkt => Ok(()),
        Ok(_) => Err(refuse(
            "invalid_dpop_proof",
            "The DPoP proof key does not match the access token binding.",
        )),
        Err(Refusal::NeedsNonce) => {
            let mut reply = refuse(
                "use_dpop_nonce",
                "Resource server requires nonce in DPoP proof.",
            );
            reply = reply.header("dpop-nonce", &nonce);
            Err(reply)
        }
        Err(Refusal::Replayed) => Err(refuse(
            "invalid_dpop_proof",
            "The DPoP proof JWT has already been used (dpop_proof_already_used).",
        )),
        Err(Refusal::WrongAth) => Err(refuse(
            "invalid_dpop_proof",
            "The 'ath' claim in the DPoP proof JWT is invalid (dpop_proof_invalid_ath).",
        )),
        Err(Refusal::Invalid(why)) => Err(refuse("invalid_dpop_proof", &why)),
    }
}

/// Every other path: Okta's 404, with the usual headers.
pub(crate) struct Fallback(pub(crate) Arc<Shared>);

impl Respond for Fallback {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &*self.0;
        let mut state = shared.lock();
        let mut log = received(request);
        let reply = Reply::okta(
            404,
            "E0000007",
            &format!(
                "Not found: Resource not found: {} (Resource)",
                request.url.path()
            ),
        );
        let (status, template, request_id) = reply.finish(shared, &mut state);
        log.status = status;
        log.request_id = request_id;
        state.record(log);
        template
    }
}
