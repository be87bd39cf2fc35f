//! okta-auth in one command, with no Okta org and no network:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With no `OKTA_CLIENT_ORGURL` set, it starts the embedded fake Okta
//! (`okta_auth::testing::MockOkta`) on loopback, registers an API token and
//! a service app that requires DPoP, and uses both side by side: tokens
//! obtained (redacted), the cache answering repeat calls without new token
//! requests, a DPoP-bound call through the middleware, and a table of what
//! went over the wire.
//!
//! With `OKTA_CLIENT_*` set (see the README's configuration table) it runs
//! against your org instead: one read-only call, `GET /api/v1/users?limit=1`
//! (it exits non-zero unless Okta answers it with a success).

use std::sync::Arc;

use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{
    ApiTokenSource, OktaAuth, OktaConfig, OrgUrl, ServiceAppSource, SigningKey, TokenSource,
    TokenSourceExt,
};
use okta_auth::{reqwest, reqwest_middleware};

const API_TOKEN: &str = "00quickstart-api-token";
const CLIENT_ID: &str = "0oaquickstart";
const SCOPES: [&str; 1] = ["okta.users.read"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os(okta_auth::config::ENV_ORG_URL).is_some() {
        return real_org().await;
    }

    println!("No OKTA_CLIENT_ORGURL set: starting a fake Okta org on loopback.\n");
    let okta = MockOkta::start().await;
    okta.register_api_token(API_TOKEN);
    // A new key pair for the service app; in real life the public half is
    // registered in the Admin UI and the private half comes from a file.
    let key = SigningKey::generate_p256().with_kid("quickstart-key");
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(key.public_jwk())
            .scopes(SCOPES)
            .dpop(true, true),
    )?;
    let org = okta.org_url();

    // 1. An API token (SSWS): no network needed to get the token.
    let api_token = ApiTokenSource::new(API_TOKEN)?.cached();
    println!("API token:        {:?}", api_token.token().await?);

    // 2. A service app: client credentials with private_key_jwt and DPoP,
    //    cached so that repeat calls cost nothing.
    let service_app = ServiceAppSource::builder(org.clone(), CLIENT_ID)
        .private_key(key)
        .scopes(SCOPES)
        .build()?
        .cached();
    let first = service_app.token().await?;
    println!("Service app:      {first:?}");
    println!(
        "                  token requests so far: {} (proof without nonce, then with Okta's nonce)",
        okta.token_requests(CLIENT_ID)
    );
    for _ in 0..100 {
        service_app.token().await?;
    }
    println!(
        "100 more token() calls: {} token requests in all (served from the cache)\n",
        okta.token_requests(CLIENT_ID)
    );

    // 3. The middleware puts the right headers on every request to the org.
    call_users(&org, Arc::new(api_token), "SSWS").await?;
    call_users(&org, Arc::new(service_app), "DPoP").await?;

    println!("\nWhat went over the wire:");
    println!(
        "  {:<6} {:<18} {:<13} {:<16} status",
        "method", "path", "authorization", "dpop proof"
    );
    for request in okta.received() {
        let proof = match &request.proof_claims {
            Some(claims) if claims.get("nonce").is_some() => "yes, with nonce",
            Some(_) => "yes",
            None => "-",
        };
        println!(
            "  {:<6} {:<18} {:<13} {:<16} {}",
            request.method.as_str(),
            request.path,
            auth_scheme(&request.headers),
            proof,
            request.status,
        );
    }
    println!(
        "\nThe 400 is Okta's DPoP nonce handshake (use_dpop_nonce): the first proof had no \
         nonce,\nso the source retried once with the nonce and remembered it for next time."
    );
    Ok(())
}

async fn call_users(
    org: &OrgUrl,
    source: Arc<dyn TokenSource>,
    label: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let auth = OktaAuth::new(org.clone(), source);
    // OktaAuth follows redirects itself, so credentials never leave the org.
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(http)
        .with(auth)
        .build();
    let response = client.get(users_url(org)).send().await?;
    println!("GET /api/v1/users with {label:<4} -> {}", response.status());
    if !response.status().is_success() {
        return Err(format!("GET /api/v1/users failed: {}", response.status()).into());
    }
    Ok(())
}

/// The same read-only call against the org configured in the environment.
async fn real_org() -> Result<(), Box<dyn std::error::Error>> {
    let config = OktaConfig::from_env()?;
    let org = config.org()?;
    println!("Using {org} ({:?} mode).", config.mode()?);
    call_users(&org, config.token_source()?, "the configured credentials").await
}

/// `{org}/api/v1/users?limit=1`: one user, read-only.
fn users_url(org: &okta_auth::OrgUrl) -> okta_auth::url::Url {
    let mut url = org.endpoint("api/v1/users");
    url.set_query(Some("limit=1"));
    url
}

/// The scheme of a request's `Authorization` header, never its secret.
fn auth_scheme(headers: &okta_auth::http::HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(' ').next())
        .unwrap_or("-")
}
