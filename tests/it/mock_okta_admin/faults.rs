//! Faults per management route: a test can fail one step of a flow.

use std::time::Duration;

use okta_auth::SigningKey;
use okta_auth::http::Method;
use okta_auth::testing::{AdminRoute, Fault};

use super::{admin, assign_role, grant, new_client, org};

#[tokio::test]
async fn a_fault_hits_only_its_route() {
    let okta = org().await;
    let id = new_client(&okta, &SigningKey::generate_p256().with_kid("k1"), None).await;
    okta.fail_next_admin_requests(AdminRoute::GrantScope, 1, Fault::Status(500));
    okta.fail_next_admin_requests(
        AdminRoute::AssignRole,
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let before = okta.api_requests();

    // Other routes are untouched.
    assert_eq!(
        admin(&okta, Method::GET, &format!("api/v1/apps/{id}"), None)
            .await
            .status,
        200
    );
    // The grants step fails once, is logged, and changes nothing.
    let failed = grant(&okta, &id, "okta.users.read").await;
    assert_eq!((failed.status, failed.okta_error().0), (500, "E0000009"));
    let log = okta.received().pop().unwrap();
    assert_eq!(
        (log.status, log.path.as_str()),
        (500, format!("/api/v1/apps/{id}/grants").as_str())
    );
    assert!(log.body.is_some());
    assert!(okta.app(&id).unwrap().grants.is_empty());
    assert_eq!(grant(&okta, &id, "okta.users.read").await.status, 201);

    // The roles step is rate limited once.
    let limited = assign_role(&okta, &id, "APP_ADMIN").await;
    assert_eq!((limited.status, limited.okta_error().0), (429, "E0000047"));
    assert_eq!(limited.header("x-rate-limit-remaining"), "0");
    assert!(okta.app(&id).unwrap().roles.is_empty());
    assert_eq!(assign_role(&okta, &id, "APP_ADMIN").await.status, 200);
    assert_eq!(
        okta.api_requests() - before,
        5,
        "counted as management requests"
    );

    // The management API's own faults reach these routes too.
    okta.fail_next_api_requests(1, Fault::Status(503));
    let a = admin(
        &okta,
        Method::GET,
        &format!("api/v1/apps/{id}/grants"),
        None,
    )
    .await;
    assert_eq!(a.status, 503);
}
