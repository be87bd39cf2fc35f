//! Written as a downstream crate would use the harness: only the public
//! `okta_auth` and `okta_auth::testing` API, the way the module docs show,
//! and only the crates the README's install lines give (reqwest and
//! serde_json through okta-auth's re-exports).

use okta_auth::http::{Method, StatusCode};
use okta_auth::reqwest;
use okta_auth::serde_json::{self, json};
use okta_auth::testing::{ApiResponse, ApiRoute, Fault, MockOkta, MockUser, ServiceApp};
use okta_auth::{ApiTokenSource, ServiceAppSource, SigningKey, TokenSource, TokenSourceExt};

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

/// More "application code": the factor types of a user, from an Okta
/// endpoint the fake org does not serve itself (the test mounts it).
async fn factor_types(
    org: &okta_auth::OrgUrl,
    source: &dyn TokenSource,
    user_id: &str,
) -> Result<Vec<String>, reqwest::Error> {
    let url = org.endpoint(&format!("api/v1/users/{user_id}/factors"));
    let headers = source
        .token()
        .await
        .unwrap()
        .authorize(&Method::GET, &url)
        .unwrap();
    let factors: Vec<serde_json::Value> = reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(factors
        .iter()
        .filter_map(|f| f["factorType"].as_str().map(str::to_owned))
        .collect())
}

/// A service app of the fake org, DPoP required, granted `scopes`, and the
/// cached source the application would build for it.
fn service_app(okta: &MockOkta, client_id: &str, scopes: &[&str]) -> impl TokenSource + use<> {
    let key = SigningKey::generate_p256().with_kid(format!("{client_id}-1"));
    okta.register_service_app(
        ServiceApp::new(client_id)
            .jwk(key.public_jwk())
            .scopes(scopes.iter().copied())
            .dpop(true, true),
    )
    .unwrap();
    ServiceAppSource::builder(okta.org_url(), client_id)
        .private_key(key)
        .scopes(scopes.iter().copied())
        .build()
        .unwrap()
        .cached()
}

#[tokio::test]
async fn application_code_calls_its_own_endpoint_with_real_authorization() {
    let okta = MockOkta::start().await;
    let grace = okta.add_user(MockUser::new("grace@example.com")).unwrap();
    okta.mount(
        ApiRoute::new(Method::GET, "/api/v1/users/{id}/factors")
            .scopes(["okta.users.read", "okta.users.manage"])
            .respond_with(|request| {
                let user = request.param("id").unwrap_or_default();
                let factors = json!([{ "id": "mbl1", "factorType": "push", "userId": user }]);
                ApiResponse::json(StatusCode::OK, factors)
            }),
    )
    .unwrap();

    // A service app granted the wrong scope is refused, as by Okta.
    let groups_only = service_app(&okta, "0oaGroupsOnly", &["okta.groups.read"]);
    let refused = factor_types(&okta.org_url(), &groups_only, &grace)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(StatusCode::FORBIDDEN));

    // The right scope passes, with a DPoP-bound token and its proof.
    let reader = service_app(&okta, "0oaUsersReader", &["okta.users.read"]);
    let types = factor_types(&okta.org_url(), &reader, &grace)
        .await
        .unwrap();
    assert_eq!(types, ["push"]);

    let calls: Vec<_> = okta
        .received()
        .into_iter()
        .filter(|r| r.path.ends_with("/factors"))
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].status, 403);
    assert_eq!(calls[1].status, 200);
    assert_eq!(calls[1].proof_claims.as_ref().unwrap()["htm"], "GET");
}
