//! Prints the headers that authorize an Okta API request with an API token,
//! with the secret redacted. No network.
//!
//! ```sh
//! cargo run --example ssws_headers
//! OKTA_CLIENT_TOKEN=00abc… OKTA_CLIENT_ORGURL=https://example.okta.com cargo run --example ssws_headers
//! ```

use okta_auth::http::Method;
use okta_auth::{ApiTokenSource, OrgUrl, TokenSource};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let org: OrgUrl = std::env::var("OKTA_CLIENT_ORGURL")
        .unwrap_or_else(|_| "https://example.okta.com".into())
        .parse()?;
    let token = std::env::var("OKTA_CLIENT_TOKEN").unwrap_or_else(|_| "00demo-api-token".into());

    let source = ApiTokenSource::new(token)?;
    let url = org.endpoint("api/v1/users/me");
    let headers = source.token().await?.authorize(&Method::GET, &url)?;

    println!("GET {url}");
    for (name, value) in &headers {
        // Authorization values are marked sensitive: never print them whole.
        let shown = match value.to_str() {
            Ok(v) if value.is_sensitive() => {
                format!("{} [redacted]", v.split(' ').next().unwrap_or(""))
            }
            Ok(v) => v.to_owned(),
            Err(_) => "[binary]".to_owned(),
        };
        println!("{name}: {shown}");
    }
    Ok(())
}
