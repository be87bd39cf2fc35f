//! `OktaAdmin` is a `KeyRegistry`: a whole rotation run with the admin
//! client itself (an admin's API token, SSWS) against MockOkta.

use okta_auth::http::Method;
use okta_auth::rotation::{KeyRotation, RotationStep};

use super::{
    CLIENT_ID, NEW_KID, OLD_KID, admin, keys, last_token_kid, new_key, org, refused, rotated,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_runs_through_okta_admin_with_an_api_token() {
    let (okta, source) = org(true).await;
    let old_key = source.signing_key().unwrap();
    let admin = admin(&okta);

    let report = KeyRotation::for_source(&source, new_key())
        .unwrap()
        .run(&admin, &source)
        .await
        .unwrap();

    assert_eq!(report.done(), RotationStep::ALL, "{report}");
    assert_eq!(keys(&okta), rotated());
    assert_eq!(source.signing_key().unwrap().kid(), Some(NEW_KID));
    assert_eq!(last_token_kid(&okta), NEW_KID);
    // Each key call went to the JWKS routes with the admin's API token.
    let jwks = format!("/api/v1/apps/{CLIENT_ID}/credentials/jwks");
    let calls: Vec<_> = okta
        .received()
        .into_iter()
        .filter(|r| r.path.starts_with(&jwks))
        .map(|r| {
            let scheme = r.headers["authorization"].to_str().unwrap().to_owned();
            let scheme = scheme.split(' ').next().unwrap().to_owned();
            (r.method, r.path[jwks.len()..].to_owned(), scheme, r.status)
        })
        .collect();
    let writes: Vec<_> = calls
        .iter()
        .filter(|(method, ..)| *method != Method::GET)
        .map(|(method, rest, _, status)| (method.clone(), rest.ends_with("/deactivate"), *status))
        .collect();
    assert_eq!(
        writes,
        [
            (Method::POST, false, 201),
            (Method::POST, true, 200),
            (Method::DELETE, false, 204)
        ],
        "{calls:?}"
    );
    assert!(
        calls.iter().all(|(.., scheme, _)| scheme == "SSWS"),
        "{calls:?}"
    );
    let refusal = refused(&okta, old_key, true).await;
    assert_eq!(refusal.error(), "invalid_client");
    assert!(!keys(&okta).iter().any(|(kid, _)| kid == OLD_KID));
}
