//! A real loopback token endpoint (wiremock): a hundred callers make one
//! request and share one server error.

use std::time::Duration;

use async_trait::async_trait;
use okta_auth::http::StatusCode;
use okta_auth::{AccessToken, Error, OAuthError, TokenSource, TokenSourceExt, TokenType};

use super::secs;

/// A minimal client-credentials source against a loopback token endpoint.
struct HttpSource {
    client: reqwest::Client,
    url: String,
}

#[async_trait]
impl TokenSource for HttpSource {
    async fn token(&self) -> Result<AccessToken, Error> {
        let response = self
            .client
            .post(&self.url)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| Error::Config(format!("transport: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::OAuth(OAuthError::new(status, "server_error")));
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| Error::Config(format!("body: {e}")))?;
        let secret = body["access_token"].as_str().unwrap_or_default();
        let lifetime = secs(body["expires_in"].as_u64().unwrap_or_default());
        Ok(AccessToken::new(TokenType::Bearer, secret)?.with_lifetime(lifetime))
    }
}

async fn hundred_callers(server: &wiremock::MockServer) -> Vec<Result<AccessToken, Error>> {
    let cache = HttpSource {
        client: reqwest::Client::new(),
        url: format!("{}/oauth2/v1/token", server.uri()),
    }
    .cached();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = cache.clone();
            tokio::spawn(async move { c.token().await })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_make_one_request_to_a_real_server() {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({
                    "token_type": "Bearer",
                    "access_token": "wire-secret-token",
                    "expires_in": 3600,
                    "scope": "okta.users.read",
                }))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let results = hundred_callers(&server).await;
    let first = results[0].as_ref().unwrap().clone();
    for r in &results {
        assert!(r.as_ref().unwrap().same_token(&first));
    }
    assert!(first.expires_in().unwrap() > secs(3500));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_callers_share_one_server_error() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;

    for r in hundred_callers(&server).await {
        let err = r.unwrap_err();
        assert!(err.is_transient());
        assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    }
    server.verify().await;
}
