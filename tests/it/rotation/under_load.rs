//! A whole rotation while 100 tasks call the API through `OktaAuth` (a
//! cached `ServiceAppSource`, DPoP on): no call fails, every token request
//! from the rotation on signs with the new `kid`, the old key is refused.

use std::collections::HashSet;

use okta_auth::rotation::{KeyRotation, RotationStep};
use okta_auth::{OktaAuth, TokenSourceExt};

use super::load::{Load, client};
use super::{CLIENT_ID, NEW_KID, Registry, keys, new_key, org, refused, rotated, token_requests};

const TASKS: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_under_load_fails_no_call_and_later_token_requests_sign_with_the_new_kid() {
    let (okta, source) = org(true).await;
    let old_key = source.signing_key().unwrap();
    // The live client: its cache over a clone of the source (they share
    // the key), so the test can force its next fetch.
    let cache = source.clone().cached();
    let auth = OktaAuth::new(okta.org_url(), cache.clone());
    let load = Load::start(TASKS, client(auth), okta.org_url().endpoint("api/v1/users"));
    load.wait_for_calls(2 * TASKS).await;

    // Token requests up to now (what the log still holds of them).
    let before: HashSet<String> = token_requests(&okta.received())
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    let posts_before = okta.token_requests(CLIENT_ID);
    let registry = Registry::tapping(&okta);
    let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
    let calls_before = load.calls();
    let report = rotation.run(&registry, &source).await.unwrap();
    assert_eq!(report.done(), RotationStep::ALL, "{report}");
    let during = load.calls() - calls_before;

    // The live client kept its token through the rotation; force its next
    // fetch, which signs with the new key.
    let held = cache.cached_token().unwrap();
    cache.invalidate(&held);
    let fresh = cache.token().await.unwrap();
    registry.take_snapshot();
    assert!(!fresh.same_token(&held));
    load.wait_for_calls(2 * TASKS).await;
    let outcome = load.stop().await;

    assert!(
        outcome.failures.is_empty(),
        "{} of {} calls failed: {:?}",
        outcome.failures.len(),
        outcome.calls,
        &outcome.failures[..outcome.failures.len().min(5)]
    );
    let after: Vec<_> = token_requests(&registry.tapped())
        .into_iter()
        .filter(|(id, ..)| !before.contains(id))
        .collect();
    // Every token request since the rotation began is in the log copies:
    // the proof and the live client's forced fetch, nothing else.
    assert_eq!(
        after.len(),
        okta.token_requests(CLIENT_ID) - posts_before,
        "{after:?}"
    );
    assert_eq!(after.len(), 2, "{after:?}");
    for (_, kid, status) in &after {
        assert_eq!((kid.as_str(), *status), (NEW_KID, 200), "{after:?}");
    }

    let refusal = refused(&okta, old_key, true).await;
    assert_eq!(
        (refusal.error(), refusal.status().as_u16()),
        ("invalid_client", 401)
    );
    assert_eq!(keys(&okta), rotated());
    assert!(during > 0, "the load ran through the rotation");
    eprintln!(
        "{TASKS} tasks: {} calls, {during} of them during the rotation, none failed",
        outcome.calls
    );
}
