//! The table of refresh scenarios: a row per case, counts asserted.

use std::time::Duration;

use okta_auth::cache::DEFAULT_MANDATORY_WAIT;
use okta_auth::{AccessToken, Error};
use tokio::time::advance;

use super::{Fake, Step, cache, now, permanent, secs, settle, transient};

/// A scenario: name, time of the first call (s), the source's next answer,
/// what each call does, what the first and second calls get, total fetches.
type Row = (&'static str, u64, Option<Step>, Act, Want, Want, usize);

/// What each call of a table row does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    /// Asks for a token.
    Call,
    /// Reports the token in hand (the old one, then what the first call
    /// got) as rejected, as `OktaAuth` does on a `401`, then asks.
    Reject,
}

/// What a table row expects from a call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// The token cached before the scenario.
    Old,
    /// A newly fetched token.
    New,
    /// An error.
    Fails,
}

/// The spirit of AWS's cross-SDK credential-refresh scenarios: a 100 s
/// token (advisory at 75 s, mandatory at 90 s, expiry margin from 95 s),
/// the source's next answer, the time of the first call, what two calls
/// (the second after the background work settled) get, and how many
/// fetches happened in total. A call that gets the old token never waits
/// longer than the mandatory wait.
#[tokio::test(start_paused = true)]
async fn refresh_scenarios() {
    use Act::*;
    use Want::*;
    let rows: &[Row] = &[
        ("fresh: served, no fetch", 10, None, Call, Old, Old, 1),
        (
            "advisory, refresh ok: old now, new next",
            80,
            None,
            Call,
            Old,
            New,
            2,
        ),
        (
            "advisory, transient failure: keep serving",
            80,
            Some(Step::Err(transient())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "advisory, permanent failure: keep serving",
            80,
            Some(Step::Err(permanent())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "advisory, the source panics: keep serving, backing off",
            80,
            Some(Step::Panic),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, refresh ok: wait for the new",
            95,
            None,
            Call,
            New,
            New,
            2,
        ),
        (
            "mandatory, transient failure: still valid, served",
            95,
            Some(Step::Err(transient())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, permanent failure: still valid, served",
            95,
            Some(Step::Err(permanent())),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, the source panics: still valid, served",
            95,
            Some(Step::Panic),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "mandatory, the source hangs: the usable token after a short wait",
            91,
            Some(Step::Hang),
            Call,
            Old,
            Old,
            2,
        ),
        (
            "expired, refresh ok: wait for the new",
            105,
            None,
            Call,
            New,
            New,
            2,
        ),
        (
            "expired, transient failure: error, backing off",
            105,
            Some(Step::Err(transient())),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "expired, permanent failure: error, cached",
            105,
            Some(Step::Err(permanent())),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "expired, the source panics: error, backing off",
            105,
            Some(Step::Panic),
            Call,
            Fails,
            Fails,
            2,
        ),
        (
            "rejected: a new token, which its own rejection does not drop",
            10,
            None,
            Reject,
            New,
            New,
            2,
        ),
        (
            "rejected, the refetch fails: error, backing off",
            10,
            Some(Step::Err(transient())),
            Reject,
            Fails,
            Fails,
            2,
        ),
    ];
    for (name, at, next, act, first, second, fetches) in rows.iter().cloned() {
        let fake = Fake::new([Step::Ok(secs(100))], Step::Ok(secs(100)), Duration::ZERO);
        let cache = cache(&fake);
        let old = cache.token().await.unwrap();
        if let Some(step) = next {
            fake.push(step);
        }
        advance(secs(at)).await;
        let check =
            |got: &Result<AccessToken, Error>, want: Want, waited: Duration| match (got, want) {
                (Ok(t), Old) => {
                    assert!(t.same_token(&old), "{name}: wanted the old token");
                    assert!(
                        waited <= DEFAULT_MANDATORY_WAIT,
                        "{name}: waited {waited:?}"
                    );
                }
                (Ok(t), New) => assert!(!t.same_token(&old), "{name}: wanted a new token"),
                (Err(_), Fails) => {}
                (got, want) => panic!("{name}: got {got:?}, wanted {want:?}"),
            };
        let call = |in_hand: &AccessToken| {
            if act == Reject {
                cache.invalidate(in_hand);
            }
            let start = now();
            let cache = &cache;
            async move { (cache.token().await, now() - start) }
        };
        let (got, waited) = call(&old).await;
        check(&got, first, waited);
        settle().await;
        let in_hand = got.as_ref().unwrap_or(&old).clone();
        let (got, waited) = call(&in_hand).await;
        check(&got, second, waited);
        settle().await;
        assert_eq!(fake.calls(), fetches, "{name}");
    }
}
