//! The reqwest-middleware stack `OktaConfig::client` builds, assembled by
//! hand to show its parts: every request to the org gets a
//! token (cached, refreshed ahead of expiry, DPoP proofs included), 401s are
//! retried once with a new token, 429s wait for Okta's rate-limit reset.
//! Requests to any other host pass untouched. It prints the status and body
//! of one `GET /api/v1/users?limit=1`, and exits non-zero unless it succeeded.
//!
//! ```sh
//! export OKTA_CLIENT_ORGURL=https://example.okta.com
//! export OKTA_CLIENT_CLIENTID=0oa… OKTA_CLIENT_SCOPES=okta.users.read
//! export OKTA_CLIENT_PRIVATEKEY=./private-key.pem
//! cargo run --example middleware
//! ```

use okta_auth::{OktaAuth, OktaConfig, OktaRateLimit, reqwest, reqwest_middleware};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = OktaConfig::from_env()?;
    let org = config.org()?;

    let auth = OktaAuth::new(org.clone(), config.token_source()?);
    // OktaAuth follows redirects itself, so credentials never leave the org.
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .build()?;
    let client = reqwest_middleware::ClientBuilder::new(http)
        .with(OktaRateLimit::new(org.clone())) // outer: waits out 429s
        .with(auth) // inner: a token and a fresh DPoP proof for every try
        .build();

    let response = client.get(users_url(&org)).send().await?;
    let status = response.status();
    println!("{status} {}", response.text().await?);
    if !status.is_success() {
        return Err(format!("GET /api/v1/users failed: {status}").into());
    }
    Ok(())
}

/// `{org}/api/v1/users?limit=1`: one user, read-only.
fn users_url(org: &okta_auth::OrgUrl) -> okta_auth::url::Url {
    let mut url = org.endpoint("api/v1/users");
    url.set_query(Some("limit=1"));
    url
}
