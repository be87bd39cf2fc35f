//! The plan keeps Okta's key rules by itself: at most 50 keys, unique
//! `kid`s, never the last active key deactivated, only inactive keys
//! deleted — a step whose turn has not come is refused before anything is
//! sent, and leaves the app as it was.

use okta_auth::http::Method;
use okta_auth::rotation::{KeyRegistry, KeyRotation, MAX_APP_KEYS, RotationStep, StepOutcome};
use okta_auth::testing::Status;
use okta_auth::{Error, SigningKey};

use super::{CLIENT_ID, NEW_KID, OLD_KID, Registry, count, keys, new_key, org, rotated};

/// The step and the cause's message of a failed rotation.
fn stopped(error: &Error) -> (RotationStep, String) {
    let Error::Rotation(e) = error else {
        panic!("{error:?}");
    };
    (e.step(), e.cause().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_out_of_turn_are_refused_and_change_nothing() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
    let original = keys(&okta);

    for (step, says) in [
        (RotationStep::Switch, "run the add key step first"),
        (RotationStep::Prove, "run the switch step first"),
        (RotationStep::DeactivateOld, "run the switch step first"),
        (
            RotationStep::DeleteOld,
            "run the deactivate old key step first",
        ),
    ] {
        let error = rotation
            .run_step(step, &registry, &source)
            .await
            .unwrap_err();
        let (at, cause) = stopped(&error);
        assert_eq!(at, step);
        assert!(cause.contains(says), "{step}: {cause}");
        assert!(!error.is_transient());
    }
    assert_eq!(keys(&okta), original);
    assert_eq!(source.signing_key().unwrap().kid(), Some(OLD_KID));
    assert_eq!(okta.token_requests(CLIENT_ID), 0);
    assert_eq!(count(&okta, Method::POST, ""), 0, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_holding_fifty_keys_gets_no_fifty_first() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    for i in 1..MAX_APP_KEYS {
        let key = SigningKey::generate_p256().with_kid(format!("spare-{i}"));
        registry
            .add_key(CLIENT_ID, &key.public_jwk())
            .await
            .unwrap();
    }
    let adds = count(&okta, Method::POST, "/credentials/jwks");

    let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
    let error = rotation.run(&registry, &source).await.unwrap_err();
    let (at, cause) = stopped(&error);
    assert_eq!(at, RotationStep::AddKey);
    assert!(cause.contains("50 keys"), "{cause}");
    assert_eq!(count(&okta, Method::POST, "/credentials/jwks"), adds);
    assert_eq!(okta.app(CLIENT_ID).unwrap().keys.len(), MAX_APP_KEYS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_kid_taken_by_another_key_is_refused() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    let squatter = SigningKey::generate_p256().with_kid(NEW_KID);
    registry
        .add_key(CLIENT_ID, &squatter.public_jwk())
        .await
        .unwrap();
    let before = keys(&okta);

    let rotation = KeyRotation::for_source(&source, new_key()).unwrap();
    let error = rotation.run(&registry, &source).await.unwrap_err();
    let (at, cause) = stopped(&error);
    assert_eq!(at, RotationStep::AddKey);
    assert!(cause.contains("another key under the new kid"), "{cause}");
    assert_eq!(keys(&okta), before);
    assert_eq!(source.signing_key().unwrap().kid(), Some(OLD_KID));
}

/// An old kid the app does not hold, while the new key is not on the app
/// either, is a wrong kid, not a finished rotation run again: it used to
/// add and switch to the new key and report the old key's steps as
/// "skipped: not on the app", leaving the real old key active. Refused at
/// the add step, naming the kid, before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_kid_the_app_does_not_hold_is_refused_before_anything_changes() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    let original = keys(&okta);

    let rotation = KeyRotation::new(CLIENT_ID, "orders-2023", new_key()).unwrap();
    let error = rotation.run(&registry, &source).await.unwrap_err();
    let (at, cause) = stopped(&error);
    assert_eq!(at, RotationStep::AddKey);
    assert!(
        cause.contains("no key with the old kid orders-2023"),
        "{cause}"
    );
    assert!(!error.is_transient());
    let Error::Rotation(e) = &error else {
        unreachable!()
    };
    assert!(e.report().steps.is_empty(), "{error:?}");
    assert_eq!(keys(&okta), original);
    assert_eq!(count(&okta, Method::POST, ""), 0, "nothing written");
    assert_eq!(source.signing_key().unwrap().kid(), Some(OLD_KID));
    assert_eq!(okta.token_requests(CLIENT_ID), 0);

    // With the right kid the same rotation goes through, and once done
    // (the old key gone, the new one there) it runs again as before.
    let rotation = KeyRotation::new(CLIENT_ID, OLD_KID, new_key()).unwrap();
    rotation.run(&registry, &source).await.unwrap();
    assert_eq!(keys(&okta), rotated());
    let again = rotation.run(&registry, &source).await.unwrap();
    assert_eq!(again.done(), [RotationStep::Prove]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_key_found_inactive_is_activated_not_added_again() {
    let (okta, source) = org(false).await;
    let registry = Registry::new(&okta);
    let key = new_key();
    registry
        .admin
        .add_inactive_key(CLIENT_ID, &key.public_jwk())
        .await
        .unwrap();
    assert_eq!(keys(&okta)[1], (NEW_KID.to_owned(), Status::Inactive));

    let report = KeyRotation::for_source(&source, key)
        .unwrap()
        .run(&registry, &source)
        .await
        .unwrap();
    let add = report.steps[0];
    assert_eq!(
        (add.step, add.outcome, add.detail),
        (
            RotationStep::AddKey,
            StepOutcome::Done,
            "on the app already, activated"
        )
    );
    assert_eq!(keys(&okta), rotated());
}

#[test]
fn a_plan_needs_two_different_kids() {
    for (old, new, says) in [
        ("", new_key(), "kid of the key to retire"),
        (OLD_KID, SigningKey::generate_p256(), "needs a kid"),
        (
            OLD_KID,
            SigningKey::generate_p256().with_kid(OLD_KID),
            "of its own",
        ),
    ] {
        let error = KeyRotation::new(CLIENT_ID, old, new).unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains(says)),
            "{error:?}"
        );
    }
}
