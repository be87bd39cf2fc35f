//! `OktaAuth::switch_source`: a running client (every clone) moves from an
//! API token to a service app with no failed call; a source that cannot get
//! a token is refused and the old one stays.

use std::sync::Arc;

use async_trait::async_trait;
use okta_auth::http::StatusCode;
use okta_auth::{AccessToken, ApiTokenSource, Error, OktaAuth, SigningKey, TokenSource};
use tokio::sync::{Notify, Semaphore};

use super::load::{Load, Sent, client};
use super::{ADMIN_TOKEN, CLIENT_ID, org, source};

const TASKS: usize = 50;

fn api_token() -> ApiTokenSource {
    ApiTokenSource::new(ADMIN_TOKEN).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_from_an_api_token_to_a_service_app_under_load_fails_no_call() {
    for (dpop, scheme) in [(false, "Bearer"), (true, "DPoP")] {
        let (okta, service_app) = org(dpop).await;
        let auth = OktaAuth::new(okta.org_url(), api_token());
        // The client holds a clone; the switch goes through the original.
        let load = Load::start(
            TASKS,
            client(auth.clone()),
            okta.org_url().endpoint("api/v1/users"),
        );
        load.wait_for_calls(2 * TASKS).await;
        auth.switch_source(service_app).await.unwrap();
        load.mark();
        load.wait_for_calls(4 * TASKS).await;
        let outcome = load.stop().await;

        assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
        let count = |after: bool, s: &str| {
            outcome
                .schemes
                .get(&(after, s.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        assert!(count(false, "SSWS") >= 2 * TASKS, "{:?}", outcome.schemes);
        // Every call begun after the switch carried the service app's token.
        let after: usize = outcome
            .schemes
            .iter()
            .filter(|((a, _), _)| *a)
            .map(|(_, n)| n)
            .sum();
        assert!(after >= 2 * TASKS, "{:?}", outcome.schemes);
        assert_eq!(count(true, scheme), after, "{:?}", outcome.schemes);
        // Cached as `OktaAuth::new` caches: one token (two requests with the
        // DPoP nonce handshake) for every call after the switch.
        assert_eq!(okta.token_requests(CLIENT_ID), if dpop { 2 } else { 1 });
        assert!(
            format!("{auth:?}").contains("CachingTokenSource"),
            "{auth:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_to_a_source_that_cannot_get_a_token_fails_and_keeps_the_old_one() {
    let (okta, _) = org(true).await;
    let auth = OktaAuth::new(okta.org_url(), api_token());
    let client = client(auth.clone());
    let url = okta.org_url().endpoint("api/v1/users");
    // A key the app does not hold.
    let stranger = source(
        &okta,
        SigningKey::generate_p256().with_kid("stranger"),
        true,
    );

    let error = auth.switch_source(stranger).await.unwrap_err();
    let oauth = error.oauth_error().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(
        (oauth.error(), oauth.status()),
        ("invalid_client", StatusCode::UNAUTHORIZED)
    );
    let r = client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.extensions().get::<Sent>().unwrap().0, "SSWS");
    assert!(format!("{auth:?}").contains("ApiTokenSource"), "{auth:?}");
}

/// An API token handed out only once the test opens the gate.
struct Gate {
    entered: Notify,
    open: Semaphore,
}

#[async_trait]
impl TokenSource for Gate {
    async fn token(&self) -> Result<AccessToken, Error> {
        self.entered.notify_one();
        drop(self.open.acquire().await.unwrap());
        api_token().token().await
    }
    fn is_cached(&self) -> bool {
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_holding_the_old_token_is_retried_with_the_new_source() {
    let (okta, service_app) = org(true).await;
    let gate = Arc::new(Gate {
        entered: Notify::new(),
        open: Semaphore::new(0),
    });
    let auth = OktaAuth::new(okta.org_url(), gate.clone());
    let client = client(auth.clone());
    let url = okta.org_url().endpoint("api/v1/users");
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    gate.entered.notified().await;

    // The request has its API token; the switch happens, the token is
    // revoked (the migration's last step), then the request goes out.
    auth.switch_source(service_app).await.unwrap();
    assert!(okta.revoke(ADMIN_TOKEN));
    gate.open.add_permits(1);

    let r = in_flight.await.unwrap().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.extensions().get::<Sent>().unwrap().0, "DPoP");
    let api: Vec<_> = okta
        .received()
        .into_iter()
        .filter(|r| r.path == "/api/v1/users")
        .map(|r| {
            let auth = r.headers["authorization"].to_str().unwrap().to_owned();
            (auth.split(' ').next().unwrap().to_owned(), r.status)
        })
        .collect();
    assert_eq!(api, [("SSWS".to_owned(), 401), ("DPoP".to_owned(), 200)]);
}
