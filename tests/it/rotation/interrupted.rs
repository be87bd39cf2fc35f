//! A rotation stopped after any step — by a crash between steps or a fault
//! at the next step's route — completes when run again, and the app never
//! holds a key twice.

use okta_auth::Error;
use okta_auth::http::Method;
use okta_auth::rotation::{KeyRotation, RotationStep};
use okta_auth::testing::{AdminRoute, Fault};

use super::{
    CLIENT_ID, NEW_KID, OLD_KID, Registry, count, keys, last_token_kid, new_key, org, refused,
    rotated,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_stopped_after_each_step_completes_when_run_again() {
    for stopped_after in 0..=RotationStep::ALL.len() {
        let (okta, source) = org(true).await;
        let old_key = source.signing_key().unwrap();
        let registry = Registry::new(&okta);
        let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
        let done = &RotationStep::ALL[..stopped_after];
        for &step in done {
            rotation.run_step(step, &registry, &source).await.unwrap();
        }
        if done.contains(&RotationStep::DeactivateOld) {
            // Refused as soon as it is deactivated.
            let refusal = refused(&okta, old_key.clone(), true).await;
            assert_eq!(
                (refusal.error(), refusal.status().as_u16()),
                ("invalid_client", 401)
            );
        }

        // Run again, whole.
        let report = rotation.run(&registry, &source).await.unwrap();
        let skipped: Vec<_> = done
            .iter()
            .copied()
            .filter(|&s| s != RotationStep::Prove)
            .collect();
        assert_eq!(report.skipped(), skipped, "stopped after {stopped_after}");
        assert_eq!(report.steps.len(), RotationStep::ALL.len());
        assert_eq!(keys(&okta), rotated(), "stopped after {stopped_after}");
        assert_eq!(count(&okta, Method::POST, "/credentials/jwks"), 1);
        assert_eq!(last_token_kid(&okta), NEW_KID);
        let refusal = refused(&okta, old_key, true).await;
        assert_eq!(refusal.error(), "invalid_client");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_at_each_step_stops_the_rotation_and_a_second_run_completes() {
    enum At {
        Admin(AdminRoute),
        TokenEndpoint,
    }
    let cases = [
        (At::Admin(AdminRoute::ListKeys), RotationStep::AddKey),
        (At::Admin(AdminRoute::AddKey), RotationStep::AddKey),
        (At::TokenEndpoint, RotationStep::Prove),
        (
            At::Admin(AdminRoute::DeactivateKey),
            RotationStep::DeactivateOld,
        ),
        (At::Admin(AdminRoute::DeleteKey), RotationStep::DeleteOld),
    ];
    for (at, failing) in cases {
        let (okta, source) = org(true).await;
        // The DPoP nonce handshake first: the proof is then one request.
        okta_auth::TokenSource::token(&source).await.unwrap();
        let registry = Registry::new(&okta);
        let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
        match at {
            At::Admin(route) => okta.fail_next_admin_requests(route, 1, Fault::Status(503)),
            At::TokenEndpoint => okta.fail_next_token_requests(1, Fault::Status(503)),
        }

        let error = rotation.run(&registry, &source).await.unwrap_err();
        let Error::Rotation(stopped) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(stopped.step(), failing, "{error}");
        let before: Vec<_> = RotationStep::ALL
            .into_iter()
            .take_while(|&s| s != failing)
            .collect();
        assert_eq!(stopped.report().done(), before);
        assert!(error.is_transient(), "{error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        assert!(
            error.to_string().contains(failing.as_str()) && error.to_string().contains(CLIENT_ID),
            "{error}"
        );
        // A failed proof puts the old key back: it is still the active one.
        let signs_with = source.signing_key().unwrap();
        if failing == RotationStep::Prove {
            assert!(stopped.switched_back());
            assert_eq!(signs_with.kid(), Some(OLD_KID));
        }

        let report = rotation.run(&registry, &source).await.unwrap();
        assert_eq!(report.steps.len(), RotationStep::ALL.len(), "{report}");
        assert_eq!(keys(&okta), rotated(), "{error}");
        assert_eq!(source.signing_key().unwrap().kid(), Some(NEW_KID));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_rotation_run_again_only_proves_the_key() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
    let first = rotation.run(&registry, &source).await.unwrap();
    assert_eq!(first.done(), RotationStep::ALL);
    let writes = |okta| {
        count(okta, Method::POST, "/credentials/jwks")
            + count(okta, Method::POST, "/lifecycle/deactivate")
            + count(okta, Method::DELETE, "")
    };
    let before = writes(&okta);

    let again = rotation.run(&registry, &source).await.unwrap();
    assert_eq!(again.done(), [RotationStep::Prove]);
    assert_eq!(writes(&okta), before, "no write the second time");
    assert_eq!(keys(&okta), rotated());
    let text = again.to_string();
    assert!(text.contains("add key: skipped"), "{text}");
    assert!(
        text.contains("delete old key: skipped (not on the app)"),
        "{text}"
    );
}
