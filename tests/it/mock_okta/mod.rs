//! `testing::MockOkta`: every rule of the fake token endpoint and API,
//! driven by hand-built requests (reqwest + jsonwebtoken directly).
//!
//! The shared harness (a client's `Signer`, hand-built requests, a
//! registered app) lives here; each part of the fake org has a module of
//! its own.

mod api_dpop;
mod assertion;
mod faults;
mod management_api;
mod token_dpop;
mod token_request;

use crate::support::Answer;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::url::Url;
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const RSA: &str = include_str!("../../fixtures/keys/rsa2048-pkcs8.pem");
const EC256: &str = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
const EC384: &str = include_str!("../../fixtures/keys/ec-p384-pkcs8.pem");
const RSA1024: &str = include_str!("../../fixtures/keys/rsa1024-pkcs8.pem");

/// A client's private key, as the test holds it.
struct Signer {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
}

impl Signer {
    fn rsa(alg: Algorithm) -> Self {
        Self {
            key: EncodingKey::from_rsa_pem(RSA.as_bytes()).unwrap(),
            alg,
            kid: Some("rsa-1".into()),
        }
    }
    fn ec256() -> Self {
        Self {
            key: EncodingKey::from_ec_pem(EC256.as_bytes()).unwrap(),
            alg: Algorithm::ES256,
            kid: Some("ec-1".into()),
        }
    }
    fn ec384() -> Self {
        Self {
            key: EncodingKey::from_ec_pem(EC384.as_bytes()).unwrap(),
            alg: Algorithm::ES384,
            kid: Some("ec-384".into()),
        }
    }
    /// The public JWK, with the kid, made by jsonwebtoken and read by us.
    fn jwk(&self) -> okta_auth::Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.key, self.alg).unwrap();
        jwk.common.key_id = self.kid.clone();
        ours(&jwk)
    }
    /// A valid assertion for `client_id` at `aud`, after `edit` on the claims.
    fn assertion(&self, client_id: &str, aud: &str, edit: impl FnOnce(&mut Value)) -> String {
        let now = get_current_timestamp();
        let mut claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "iat": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
        });
        edit(&mut claims);
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, &claims, &self.key).unwrap()
    }
}

/// A jsonwebtoken JWK as ours, through its JSON.
fn ours(jwk: &Jwk) -> okta_auth::Jwk {
    serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap()
}

/// A compact JWS from raw JSON parts, so tests can send what no library
/// would build.
fn raw_jwt(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    let msg = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), key, alg).unwrap();
    format!("{msg}.{sig}")
}

/// A DPoP proof signed by the RSA fixture key with `alg` (any, `PS*`
/// included: jsonwebtoken signs what no client of ours would), carrying
/// `nonce` and the `ath` of `token` when given.
fn rsa_proof(
    alg: Algorithm,
    htm: &str,
    htu: &str,
    nonce: Option<&str>,
    token: Option<&str>,
) -> String {
    let key = EncodingKey::from_rsa_pem(RSA.as_bytes()).unwrap();
    let public =
        serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
    let header = json!({
        "typ": "dpop+jwt",
        "alg": serde_json::to_value(alg).unwrap(),
        "jwk": { "kty": "RSA", "n": public["n"], "e": public["e"] },
    });
    let mut claims = json!({
        "htm": htm, "htu": htu, "iat": get_current_timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(token) = token {
        let ath = <sha2::Sha256 as sha2::Digest>::digest(token.as_bytes());
        claims["ath"] = json!(URL_SAFE_NO_PAD.encode(ath));
    }
    raw_jwt(&header, &claims, &key, alg)
}

impl Answer {
    fn error(&self) -> (&str, &str) {
        (
            self.body["error"].as_str().unwrap_or_default(),
            self.body["error_description"].as_str().unwrap_or_default(),
        )
    }
    fn token(&self) -> &str {
        self.body["access_token"].as_str().unwrap()
    }
}

async fn post_form(url: &Url, form: &[(&str, &str)], dpop: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().post(url.clone()).form(form);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    Answer::read(request.send().await.unwrap()).await
}

async fn grant(url: &Url, assertion: &str, scope: &str, dpop: Option<&str>) -> Answer {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    post_form(url, &form, dpop).await
}

async fn get(url: &Url, authorization: &str, dpop: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new()
        .get(url.clone())
        .header("Authorization", authorization);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    Answer::read(request.send().await.unwrap()).await
}

const APP: &str = "0oa-service";
const READ: &str = "okta.users.read";

/// A fake org with one app holding the RSA, EC P-256 and EC P-384 keys.
async fn org(dpop: bool) -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(Signer::rsa(Algorithm::RS256).jwk())
            .jwk(Signer::ec256().jwk())
            .jwk(Signer::ec384().jwk())
            .scopes([READ, "okta.groups.read"])
            .dpop(dpop, true),
    )
    .unwrap();
    okta
}

async fn rejected_assertion(edit: impl FnOnce(&mut Value), description: &str) {
    let okta = org(false).await;
    let endpoint = okta.token_endpoint();
    let assertion = Signer::rsa(Algorithm::RS256).assertion(APP, endpoint.as_str(), edit);
    let a = grant(&endpoint, &assertion, READ, None).await;
    assert_eq!(a.status, 401, "{:?}", a.body);
    assert_eq!(a.error(), ("invalid_client", description));
}

async fn bearer_token(okta: &MockOkta, scope: &str) -> String {
    let endpoint = okta.token_endpoint();
    let a = grant(
        &endpoint,
        &Signer::ec256().assertion(APP, endpoint.as_str(), |_| {}),
        scope,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.token().to_owned()
}
