//! `MockOkta`'s custom authorization servers as a resource server sees
//! them: JWT access tokens in Okta's format, metadata, JWKS, key rotation
//! and minted tokens. Signatures are checked with `jsonwebtoken` against
//! the JWKS the fake org serves, independently of the crate's JOSE code.
//! This file: the helpers and the tokens the token endpoints issue.

mod discovery;
mod keys;
mod minted;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, TokenData, Validation};
use okta_auth::http::Method;
use okta_auth::testing::{
    AccessTokenClaims, CustomServer, EXPIRED_AGO, Fault, JWKS_MAX_AGE, MINTED_CLIENT_ID,
    MINTED_SCOPE, MockOkta, ServiceApp,
};
use okta_auth::url::Url;
use okta_auth::{
    AccessToken, DpopKey, DpopMode, Error, ServiceAppSource, SigningKey, TokenSource, TokenType,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const SECRET_CLIENT: &str = "0oaSecretClient";
const SECRET: &str = "s3cret-VALUE";
const APP: &str = "0oaOrdersApp";

/// A fake org with the custom server `default` and a secret client of it.
async fn org() -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_custom_server("default").unwrap();
    okta.register_secret_client("default", SECRET_CLIENT, SECRET, ["orders.read"])
        .unwrap();
    okta
}

async fn secret_client_token(okta: &MockOkta, server: &str) -> AccessToken {
    ServiceAppSource::builder(okta.org_url(), SECRET_CLIENT)
        .client_secret(SECRET)
        .scopes(["orders.read"])
        .authorization_server(server)
        .dpop(DpopMode::Never)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap()
}

async fn get(url: &Url) -> reqwest::Response {
    reqwest::get(url.clone()).await.unwrap()
}

/// The JWKS as served, read by `jsonwebtoken`.
async fn served_jwks(okta: &MockOkta, server: &str) -> JwkSet {
    get(&okta.jwks_uri(server).unwrap())
        .await
        .json()
        .await
        .unwrap()
}

/// Verifies `token` as a strict resource server would: RS256 with the
/// served key of its `kid`, `iss`, `aud` and `exp` (60 s leeway).
fn verify(token: &str, jwks: &JwkSet, iss: &str, aud: &str) -> Result<TokenData<Value>, ErrorKind> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.into_kind())?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .ok_or(ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[iss]);
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| e.into_kind())
}

/// The JOSE header of a compact JWS as raw JSON.
fn raw_header(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn kids(jwks: &JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect()
}

/// Okta's access token claims, for a client credentials token of `cid`.
fn assert_okta_claims(claims: &Value, iss: &str, aud: &str, cid: &str, scp: &[&str]) {
    assert_eq!(claims["ver"], 1);
    let jti = claims["jti"].as_str().unwrap();
    assert!(jti.starts_with("AT.") && jti.len() > 20, "{jti}");
    assert_eq!(claims["iss"], iss);
    assert_eq!(claims["aud"], aud);
    assert_eq!(claims["cid"], cid);
    assert_eq!(claims["sub"], cid, "client credentials: sub is the client");
    assert!(claims.get("uid").is_none(), "no user");
    assert_eq!(claims["scp"], json!(scp));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 3600);
}

/// The claims of a compact JWS, decoded without verification.
fn raw_claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn a_secret_clients_token_is_an_okta_jwt_verified_by_the_served_jwks() {
    let okta = org().await;
    let token = secret_client_token(&okta, "default").await;
    assert_eq!(token.token_type(), TokenType::Bearer);
    let jwt = token.secret().expose_secret();

    let jwks = served_jwks(&okta, "default").await;
    assert_eq!(jwks.keys.len(), 1);
    let header = raw_header(jwt);
    assert_eq!(
        header,
        json!({"kid": kids(&jwks)[0], "alg": "RS256"}),
        "Okta's header: kid and alg, no typ"
    );
    let iss = okta.issuer("default").unwrap();
    assert_eq!(iss, format!("{}/oauth2/default", okta.uri()));
    let verified = verify(jwt, &jwks, &iss, "api://default").unwrap();
    assert_okta_claims(
        &verified.claims,
        &iss,
        "api://default",
        SECRET_CLIENT,
        &["orders.read"],
    );
    assert!(verified.claims.get("cnf").is_none(), "not DPoP-bound");
    assert_eq!(okta.jwks_requests("default"), 1);

    // The crate's own JwkSet reads what is served, and `jwks()` tells the same.
    let ours: okta_auth::JwkSet = get(&okta.jwks_uri("default").unwrap())
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(ours, okta.jwks("default").unwrap());
    assert_eq!(ours.keys()[0].kid(), Some(kids(&jwks)[0].as_str()));
    assert_eq!(
        ours.keys()[0].algorithm(),
        Some(okta_auth::Algorithm::RS256)
    );
}

#[tokio::test]
async fn a_private_key_jwt_apps_dpop_token_carries_cnf_jkt_and_the_servers_audience() {
    let okta = MockOkta::start().await;
    okta.register_custom_server(CustomServer::new("aus1orders").audience("api://orders"))
        .unwrap();
    let key = SigningKey::generate_p256().with_kid("app-key");
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(key.public_jwk())
            .scopes(["orders.read", "orders.write"])
            .dpop(true, true)
            .token_lifetime(Duration::from_secs(600)),
    )
    .unwrap();
    let dpop = DpopKey::generate();
    let token = ServiceAppSource::builder(okta.org_url(), APP)
        .private_key(key)
        .scopes(["orders.read", "orders.write"])
        .authorization_server("aus1orders")
        .dpop(DpopMode::Always)
        .dpop_key(dpop.clone())
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);

    let iss = okta.issuer("aus1orders").unwrap();
    let jwks = served_jwks(&okta, "aus1orders").await;
    let claims = verify(token.secret().expose_secret(), &jwks, &iss, "api://orders")
        .unwrap()
        .claims;
    assert_eq!(claims["cid"], APP);
    assert_eq!(claims["sub"], APP);
    assert_eq!(claims["scp"], json!(["orders.read", "orders.write"]));
    assert_eq!(claims["cnf"], json!({"jkt": dpop.thumbprint()}));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 600, "the app's token lifetime");
    assert_eq!(token.expires_in().unwrap().as_secs().div_ceil(10), 60);
}

#[tokio::test]
async fn each_server_signs_with_its_own_key() {
    let okta = org().await;
    okta.register_custom_server("aus2").unwrap();
    okta.register_secret_client("aus2", SECRET_CLIENT, SECRET, ["orders.read"])
        .unwrap();
    let from_default = secret_client_token(&okta, "default").await;
    let from_aus2 = secret_client_token(&okta, "aus2").await;
    let (default_jwks, aus2_jwks) = (
        served_jwks(&okta, "default").await,
        served_jwks(&okta, "aus2").await,
    );
    assert_ne!(kids(&default_jwks), kids(&aus2_jwks));
    let aus2 = okta.issuer("aus2").unwrap();
    verify(
        from_aus2.secret().expose_secret(),
        &aus2_jwks,
        &aus2,
        "api://aus2",
    )
    .unwrap();
    // The other server's token is signed by a key aus2 does not publish.
    let err = verify(
        from_default.secret().expose_secret(),
        &aus2_jwks,
        &aus2,
        "api://aus2",
    );
    assert_eq!(err.unwrap_err(), ErrorKind::InvalidKeyFormat, "unknown kid");
}

#[tokio::test]
async fn the_management_api_refuses_custom_server_jwts() {
    let okta = org().await;
    let secret_client = secret_client_token(&okta, "default").await;
    let minted = okta
        .mint_access_token(
            "default",
            AccessTokenClaims::new().scopes(["okta.users.read"]),
        )
        .unwrap();
    let minted = AccessToken::new(TokenType::Bearer, minted.expose_secret()).unwrap();
    let url = okta.org_url().endpoint("api/v1/users/me");
    for token in [&secret_client, &minted] {
        let headers = token.authorize(&Method::GET, &url).unwrap();
        let response = reqwest::Client::new()
            .get(url.clone())
            .headers(headers)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    }
    // The issued JWT is still the fake org's record: revocable.
    assert!(okta.revoke(secret_client.secret().expose_secret()));
    assert!(
        !okta.revoke(minted.secret().expose_secret()),
        "minted: not issued"
    );
}
