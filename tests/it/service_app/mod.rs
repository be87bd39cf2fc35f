//! `ServiceAppSource` against a wiremock token endpoint: what goes over the
//! wire, what comes back, and the DPoP nonce handshake.
//!
//! The shared fixtures (the endpoint, keys, canned answers, claim readers)
//! live here; each behaviour has a module of its own.

mod dpop;
mod faults;
mod request;
mod settings;
mod transport;

use std::collections::{BTreeMap, HashSet};

use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_auth::{OrgUrl, ServiceAppSource, ServiceAppSourceBuilder, SigningKey};
use serde_json::{Value, json};
use wiremock::{MockServer, Request, ResponseTemplate};

use crate::signing_key::{fixture, rsa_public_key, verify};

const CLIENT_ID: &str = "0oaServiceApp123";
const ACCESS_TOKEN: &str = "eyJ.access-token-VERY-SECRET.sig";
const CLIENT_SECRET: &str = "client-secret-Shh-42";
const ORG_PATH: &str = "/oauth2/v1/token";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn org(server: &MockServer) -> OrgUrl {
    server.uri().parse().unwrap()
}

fn endpoint(server: &MockServer, p: &str) -> String {
    format!("{}{p}", server.uri())
}

fn rsa_key() -> SigningKey {
    SigningKey::parse(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .with_kid("kid-rsa-1")
}

fn builder(server: &MockServer) -> ServiceAppSourceBuilder {
    ServiceAppSource::builder(org(server), CLIENT_ID)
        .private_key(rsa_key())
        .scopes(["okta.users.read", "okta.groups.read"])
}

fn bearer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": ACCESS_TOKEN,
        "scope": "okta.users.read okta.groups.read"
    }))
}

fn dpop_token() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "DPoP",
        "expires_in": 3600,
        "access_token": ACCESS_TOKEN,
        "scope": "okta.users.read"
    }))
}

fn use_dpop_nonce(nonce: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .insert_header("DPoP-Nonce", nonce)
        .set_body_json(json!({
            "error": "use_dpop_nonce",
            "error_description": "Authorization server requires nonce in DPoP proof."
        }))
}

fn form(request: &Request) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (k, v) in okta_auth::url::form_urlencoded::parse(&request.body) {
        assert!(
            fields.insert(k.into_owned(), v.into_owned()).is_none(),
            "repeated form field"
        );
    }
    fields
}

fn assertion_claims(request: &Request, aud: &str) -> (jsonwebtoken::Header, Value) {
    let assertion = form(request)["client_assertion"].clone();
    verify(
        &assertion,
        okta_auth::Algorithm::RS256,
        &rsa_public_key(),
        aud,
    )
}

/// Verifies a DPoP proof with its own embedded jwk; returns the jwk's
/// thumbprint and the claims.
fn proof_claims(request: &Request) -> (String, Value) {
    let proof = request
        .headers
        .get("dpop")
        .expect("a DPoP proof")
        .to_str()
        .unwrap();
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let jwk = header.jwk.unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Value>(proof, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    (jwk.thumbprint(ThumbprintHash::SHA256).unwrap(), claims)
}
