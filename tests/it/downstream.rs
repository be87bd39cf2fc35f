//! Written as a downstream crate would use the harness: only the public
//! `okta_auth` and `okta_auth::testing` API, the way the module docs show.

use okta_auth::http::Method;
use okta_auth::testing::{Fault, MockOkta};
use okta_auth::{ApiTokenSource, TokenSource};

/// The "application code" under test: counts the org's users.
async fn count_users(
    org: &okta_auth::OrgUrl,
    source: &dyn TokenSource,
) -> Result<usize, Box<dyn std::error::Error>> {
    let url = org.endpoint("api/v1/users");
    let headers = source.token().await?.authorize(&Method::GET, &url)?;
    let response = reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await?
        .error_for_status()?;
    let users: Vec<serde_json::Value> = response.json().await?;
    Ok(users.len())
}

#[tokio::test]
async fn application_code_runs_against_the_fake_org() {
    let okta = MockOkta::start().await;
    okta.register_api_token("00downstream-token");
    let source = ApiTokenSource::new("00downstream-token").unwrap();

    assert_eq!(count_users(&okta.org_url(), &source).await.unwrap(), 2);

    okta.fail_next_api_requests(1, Fault::Status(503));
    assert!(count_users(&okta.org_url(), &source).await.is_err());
    assert_eq!(count_users(&okta.org_url(), &source).await.unwrap(), 2);

    let wrong = ApiTokenSource::new("00not-registered").unwrap();
    assert!(count_users(&okta.org_url(), &wrong).await.is_err());

    assert_eq!(okta.api_requests(), 4);
    let last = okta.received().pop().unwrap();
    assert_eq!(last.status, 401);
    assert_eq!(last.path, "/api/v1/users");
}
