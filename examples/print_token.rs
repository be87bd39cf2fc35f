//! Prints an `Authorization` header value for the Okta org configured in the
//! environment (or `okta.yaml`), for scripts — like
//! `gcloud auth print-access-token`:
//!
//! ```sh
//! curl -H "Authorization: $(cargo run -q --example print_token)" \
//!      "$OKTA_CLIENT_ORGURL/api/v1/users?limit=1"
//! ```
//!
//! Only `SSWS` and `Bearer` tokens can be used this way: a DPoP-bound token
//! needs a fresh proof for every request. So the service app's token is asked
//! for without DPoP (`DpopMode::Never`), and an app that requires DPoP gets an
//! error saying so (exit 1). The token goes to stdout and nothing else does;
//! errors go to stderr and never contain the secret.

use okta_auth::secrecy::ExposeSecret;
use okta_auth::{DpopMode, OktaConfig, TokenType};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(header) => {
            println!("{header}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("print_token: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String, Box<dyn std::error::Error>> {
    let source = OktaConfig::from_env()?
        .dpop_mode(DpopMode::Never)
        .token_source()?;
    let token = source.token().await?;
    if token.token_type() == TokenType::Dpop {
        return Err(
            "this service app requires DPoP: its tokens need a proof per request, \
                    use the middleware or AccessToken::authorize instead"
                .into(),
        );
    }
    Ok(format!(
        "{} {}",
        token.token_type().scheme(),
        token.secret().expose_secret()
    ))
}
