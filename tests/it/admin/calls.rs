//! The management calls one by one, through the crate's one request path:
//! typed answers, Okta's key rules, the `User-Agent` and a span on every
//! call, `429`s waited out, DPoP nonces answered, pages followed.

use std::time::Duration;

use okta_auth::admin::{AdminRole, Status};
use okta_auth::http::{Method, StatusCode};
use okta_auth::testing::{AdminRoute, Fault, MockOkta};
use okta_auth::{ApiTokenSource, Error, OktaAdmin, SigningKey, USER_AGENT};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{ADMIN_TOKEN, MANAGE_SCOPES, admin, http, line, management, org, service_app_admin};
use crate::trace_capture::Capture;

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

/// A client registered through the admin, holding `key`; its id.
async fn client(admin: &OktaAdmin, key: &SigningKey) -> String {
    admin
        .register_client("calls", &[key.public_jwk()])
        .await
        .unwrap()
        .client_id
}

#[tokio::test]
async fn keys_are_listed_added_switched_and_deleted_by_oktas_rules() {
    let okta = org().await;
    let admin = admin(&okta);
    let old = SigningKey::generate_p256().with_kid("old");
    let id = client(&admin, &old).await;

    let keys = admin.list_keys(&id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid.as_deref(), Some("old"));
    assert_eq!(keys[0].status, Status::Active);
    assert!(keys[0].id.starts_with("pks"));
    assert_eq!(keys[0].jwk.as_ref(), Some(&old.public_jwk()));
    let old_id = keys[0].id.clone();

    // The only active key cannot go.
    let e = admin.deactivate_key(&id, &old_id).await.unwrap_err();
    let o = e.oauth_error().unwrap();
    assert_eq!(o.error_code(), Some("E0000001"));
    assert!(
        o.error_causes()[0].starts_with("Can't deactivate the only active"),
        "{o:?}"
    );

    let new = SigningKey::generate_p256().with_kid("new");
    let added = admin.add_key(&id, &new.public_jwk()).await.unwrap();
    assert_eq!(
        (added.kid.as_deref(), added.status),
        (Some("new"), Status::Active)
    );
    let spare = SigningKey::generate_p256().with_kid("spare");
    let spare = admin
        .add_inactive_key(&id, &spare.public_jwk())
        .await
        .unwrap();
    assert_eq!(spare.status, Status::Inactive);
    let e = admin.add_key(&id, &new.public_jwk()).await.unwrap_err();
    assert_eq!(
        e.oauth_error().unwrap().error_code(),
        Some("E0000001"),
        "kid taken"
    );

    // An active key cannot be deleted; deactivated, it can.
    let e = admin.delete_key(&id, &old_id).await.unwrap_err();
    assert!(
        e.oauth_error().unwrap().error_causes()[0].contains("Deactivate the key"),
        "{e}"
    );
    let off = admin.deactivate_key(&id, &old_id).await.unwrap();
    assert_eq!(off.status, Status::Inactive);
    assert_eq!(
        admin.get_key(&id, &old_id).await.unwrap().status,
        Status::Inactive
    );
    admin.delete_key(&id, &old_id).await.unwrap();
    let on = admin.activate_key(&id, &spare.id).await.unwrap();
    assert_eq!(on.status, Status::Active);

    let kids: Vec<Option<String>> = admin
        .list_keys(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, [Some("new".to_owned()), Some("spare".to_owned())]);
    let info = okta.app(&id).unwrap();
    assert_eq!(info.keys.len(), 2);
}

#[tokio::test]
async fn apps_grants_and_roles_read_as_typed_answers() {
    let okta = org().await;
    let admin = admin(&okta);
    let key = SigningKey::generate_p256().with_kid("k1");
    let id = client(&admin, &key).await;

    let app = admin.get_app(&id).await.unwrap();
    assert_eq!(app.id, id);
    assert_eq!(app.client_id.as_deref(), Some(id.as_str()));
    assert_eq!(app.label.as_deref(), Some("calls"));
    assert_eq!(app.status, Status::Active);
    assert_eq!(app.sign_on_mode.as_deref(), Some("OPENID_CONNECT"));
    assert_eq!(app.dpop_bound_access_tokens, Some(true));
    let listed = admin.list_apps(Some("cal")).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&app));
    assert!(admin.list_apps(Some("other")).await.unwrap().is_empty());

    let off = admin.set_app_dpop(&id, false).await.unwrap();
    assert_eq!(off.dpop_bound_access_tokens, Some(false));
    assert!(!okta.app(&id).unwrap().dpop_bound_access_tokens);
    let on = admin.set_app_dpop(&id, true).await.unwrap();
    assert_eq!(on.dpop_bound_access_tokens, Some(true));
    assert!(okta.app(&id).unwrap().dpop_bound_access_tokens);

    let grant = admin.grant_scope(&id, "okta.users.read").await.unwrap();
    assert!(grant.id.starts_with("oag"));
    assert_eq!(grant.scope_id, "okta.users.read");
    assert_eq!(grant.issuer, okta.uri());
    assert_eq!(grant.status, Status::Active);
    assert_eq!(
        admin.list_grants(&id).await.unwrap(),
        std::slice::from_ref(&grant)
    );
    assert_eq!(admin.get_grant(&id, &grant.id).await.unwrap(), grant);
    admin.revoke_grant(&id, &grant.id).await.unwrap();
    assert!(admin.list_grants(&id).await.unwrap().is_empty());

    let role = admin
        .assign_role(&id, &AdminRole::ReportAdmin)
        .await
        .unwrap();
    assert!(role.id.starts_with("irb"));
    assert_eq!(role.role, AdminRole::ReportAdmin);
    assert_eq!(role.assignment_type.as_deref(), Some("CLIENT"));
    assert_eq!(
        admin.list_roles(&id).await.unwrap(),
        std::slice::from_ref(&role)
    );
    assert_eq!(admin.get_role(&id, &role.id).await.unwrap(), role);
    let e = admin
        .assign_role(&id, &AdminRole::ReportAdmin)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::CONFLICT));
    admin.unassign_role(&id, &role.id).await.unwrap();
    assert!(admin.list_roles(&id).await.unwrap().is_empty());

    admin.deactivate_app(&id).await.unwrap();
    assert_eq!(admin.get_app(&id).await.unwrap().status, Status::Inactive);
    admin.activate_app(&id).await.unwrap();
    admin.deactivate_app(&id).await.unwrap();
    admin.delete_app(&id).await.unwrap();
    assert!(okta.apps().is_empty());

    // Every call carried the crate's User-Agent and the API token.
    for r in management(&okta) {
        assert_eq!(r.headers["user-agent"], USER_AGENT, "{}", line(&r));
        assert_eq!(
            r.headers["authorization"],
            format!("SSWS {ADMIN_TOKEN}").as_str()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_is_waited_out_and_retried_with_oktas_retry_headers() {
    let okta = org().await;
    let admin = admin(&okta);
    okta.fail_next_admin_requests(
        AdminRoute::ListApps,
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(5),
        },
    );
    let start = now();
    assert!(admin.list_apps(None).await.unwrap().is_empty());
    let waited = now() - start;
    assert!(
        waited >= Duration::from_secs(5) && waited <= Duration::from_secs(8),
        "{waited:?}"
    );
    let sent = management(&okta);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].status, 429);
    assert_eq!(
        sent[1].headers["x-okta-retry-for"],
        sent[0].request_id.as_str()
    );
    assert_eq!(sent[1].headers["x-okta-retry-count"], "1");

    // Retries run out: Error::RateLimited with the server's wait.
    let admin = OktaAdmin::builder(okta.org_url(), ApiTokenSource::new(ADMIN_TOKEN).unwrap())
        .http_client(http())
        .rate_limit_retries(0)
        .build()
        .unwrap();
    okta.fail_next_admin_requests(
        AdminRoute::ListApps,
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let e = admin.list_apps(None).await.unwrap_err();
    assert!(e.is_transient());
    assert!(e.retry_after().unwrap() >= Duration::from_secs(30), "{e:?}");
}

#[tokio::test]
async fn a_service_app_admin_answers_dpop_nonce_challenges() {
    let okta = org().await;
    let admin = service_app_admin(&okta, &MANAGE_SCOPES);
    okta.require_resource_nonce(true);
    let nonce = okta.current_nonce();
    assert_eq!(
        admin.list_apps(None).await.unwrap().len(),
        1,
        "the provisioner itself"
    );
    let sent = management(&okta);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].status, 401, "the challenge");
    assert_eq!(sent[1].status, 200);
    assert_eq!(
        sent[1].proof_claims.as_ref().unwrap()["nonce"],
        nonce.as_str()
    );
    assert_eq!(sent[1].proof_claims.as_ref().unwrap()["htm"], "GET");
}

#[tokio::test]
async fn each_call_runs_in_a_span_with_no_secret() {
    let (capture, _recording) = Capture::start();
    let okta = org().await;
    let admin = admin(&okta);
    admin.list_apps(Some("orders")).await.unwrap();
    let e = admin.get_app("0oaMissing").await.unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));

    let spans = capture.spans_named("okta_admin_call");
    assert_eq!(spans.len(), 2, "{}", capture.dump());
    assert_eq!(spans[0].level, tracing::Level::DEBUG);
    assert_eq!(spans[0].field("method"), Some("GET"));
    assert_eq!(spans[0].field("path"), Some("/api/v1/apps"), "no query");
    assert_eq!(spans[0].field("status"), Some("200"));
    assert_eq!(spans[0].field("retries"), Some("0"));
    assert_eq!(spans[1].field("path"), Some("/api/v1/apps/0oaMissing"));
    assert_eq!(spans[1].field("status"), Some("404"));
    assert!(!capture.dump().contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn lists_follow_next_links_within_the_org() {
    let server = MockServer::start().await;
    let app = |id: &str| serde_json::json!({ "id": id, "status": "ACTIVE", "label": id });
    let next = format!("<{}/api/v1/apps?after=0oa2>; rel=\"next\"", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/v1/apps"))
        .and(query_param("after", "0oa2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([app("0oa3")])
                .append_header(
                    "link",
                    "<https://elsewhere.example/api/v1/apps?after=0oa3>; rel=\"next\"",
                ),
        )
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/apps"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([app("0oa1"), app("0oa2")])
                .append_header("link", next.as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let admin = OktaAdmin::builder(
        server.uri().parse().unwrap(),
        ApiTokenSource::new(ADMIN_TOKEN).unwrap(),
    )
    .http_client(http())
    .build()
    .unwrap();
    // Another origin's page is not asked for (`.expect(1)` on each of the
    // org's), and the list is an error, not the two pages seen as if whole.
    let error = admin.list_apps(None).await.unwrap_err();
    assert!(
        matches!(error, Error::MalformedResponse { .. }) && !error.is_transient(),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("another origin (https://elsewhere.example)"),
        "{message}"
    );
    assert!(
        !message.contains("0oa3"),
        "the cursor is not shown: {message}"
    );
}

/// An admin of a wiremock server, with the API token.
fn admin_for(server: &MockServer) -> OktaAdmin {
    OktaAdmin::builder(
        server.uri().parse().unwrap(),
        ApiTokenSource::new(ADMIN_TOKEN).unwrap(),
    )
    .http_client(http())
    .build()
    .unwrap()
}

fn api_token(id: &str) -> serde_json::Value {
    serde_json::json!({ "id": id, "name": format!("token {id}"), "userId": "00u1" })
}

/// A page `after=00T1` holding the second token, for the first page to
/// point at.
async fn second_page(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .and(query_param("after", "00T1"))
        .respond_with(ResponseTemplate::new(200).set_body_json([api_token("00T2")]))
        .expect(1)
        .with_priority(1)
        .mount(server)
        .await;
}

/// RFC 8288 lets a `Link` target be a relative reference, resolved against
/// the URL that answered. It used to be dropped, and the list came back as
/// if complete: the caller (an incident responder listing API tokens to
/// revoke) never learnt that a page was skipped. Now it is resolved and,
/// being on the org's origin, followed.
#[tokio::test]
async fn a_relative_next_link_is_followed_or_refused_never_dropped() {
    let server = MockServer::start().await;
    second_page(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header("link", "</api/v1/api-tokens?after=00T1>; rel=\"next\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    // Resolved against the page's URL, on the org's origin: followed.
    let tokens = admin_for(&server).list_api_tokens().await.unwrap();
    let ids: Vec<_> = tokens.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["00T1", "00T2"], "a page was silently skipped");
}

/// A `rel="next"` on another origin is not followed (the token would go
/// there), and the list is an error rather than `Ok` with only the pages
/// seen, a truncated list that looks complete.
#[tokio::test]
async fn a_next_link_to_another_origin_is_an_error_not_a_short_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header(
                    "link",
                    "<https://elsewhere.example/api/v1/api-tokens?after=00T1>; rel=\"next\"",
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let result = admin_for(&server).list_api_tokens().await;
    assert!(
        result.is_err(),
        "a list whose next page could not be fetched came back as complete: {result:?}"
    );
}

/// A server that answers every page with a `rel="next"` to the very same
/// URL (the same `after` twice) used to be asked for that page
/// [`okta_auth::admin::MAX_PAGES`] times, spending 50 calls of the rate
/// limit bucket before an error that said "more than 50 pages". A repeated
/// page is an error at the second page; the error names its path, not the
/// cursor.
#[tokio::test]
async fn the_same_cursor_twice_stops_the_list_at_once() {
    let server = MockServer::start().await;
    let link = format!(
        "<{}/api/v1/api-tokens?after=00T1>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/api/v1/api-tokens"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json([api_token("00T1")])
                .append_header("link", link.as_str()),
        )
        .mount(&server)
        .await;
    let result = admin_for(&server).list_api_tokens().await;
    assert!(result.is_err());
    let calls = server.received_requests().await.unwrap().len();
    assert!(
        calls <= 3,
        "the same page was fetched {calls} times before giving up"
    );
    // The first page, then `after=00T1` once; its link names it again.
    assert_eq!(calls, 2);
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("repeats a page already fetched (/api/v1/api-tokens)"),
        "{message}"
    );
}

#[tokio::test]
async fn the_default_client_follows_no_redirect_and_sends_the_user_agent() {
    let okta = MockOkta::start().await;
    okta.register_api_token(ADMIN_TOKEN);
    let admin = OktaAdmin::new(okta.org_url(), ApiTokenSource::new(ADMIN_TOKEN).unwrap()).unwrap();
    admin.list_api_tokens().await.unwrap();
    let r = management(&okta).pop().unwrap();
    assert_eq!(r.method, Method::GET);
    assert_eq!(r.headers["user-agent"], USER_AGENT);
    assert!(format!("{admin:?}").contains("ApiTokenSource"), "{admin:?}");
    assert!(!format!("{admin:?}").contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn a_redirect_away_from_the_org_is_not_taken_for_oktas_answer() {
    let org = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(path("/api/v1/apps/0oa1"))
        .respond_with(
            ResponseTemplate::new(307)
                .append_header("location", format!("{}/app", elsewhere.uri()).as_str()),
        )
        .expect(1)
        .mount(&org)
        .await;
    Mock::given(path("/app"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "id": "0oa1", "status": "ACTIVE" })),
        )
        .expect(1)
        .mount(&elsewhere)
        .await;
    let admin = OktaAdmin::builder(
        org.uri().parse().unwrap(),
        ApiTokenSource::new(ADMIN_TOKEN).unwrap(),
    )
    .http_client(http())
    .build()
    .unwrap();
    let e = admin.get_app("0oa1").await.unwrap_err();
    assert!(e.to_string().contains("another origin"), "{e}");
    let sent = elsewhere.received_requests().await.unwrap();
    assert!(
        sent[0].headers.get("authorization").is_none(),
        "no credential"
    );
}
