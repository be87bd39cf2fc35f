//! Adversarial review of the middleware (`OktaAuth`, `OktaRateLimit`) and
//! the request path under it: each test pins one defect found in review.

use std::time::Duration;

use okta_auth::{AccessToken, ApiTokenSource, DpopKey, OktaAuth, OktaRateLimit, OrgUrl};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const DATE: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const DATE_EPOCH: u64 = 1_893_456_000;

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

async fn org_and_other() -> (MockServer, MockServer, OrgUrl) {
    let org = MockServer::start().await;
    let other = MockServer::start().await;
    let org_url: OrgUrl = org.uri().parse().unwrap();
    (org, other, org_url)
}

/// `rate` (outer) over `OktaAuth` with an API token, as the docs build it;
/// no idle pool, so no pool timers run under paused time.
fn stack(org: &OrgUrl, rate: OktaRateLimit) -> ClientWithMiddleware {
    let auth = OktaAuth::uncached(org.clone(), ApiTokenSource::new("00ssws").unwrap());
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    ClientBuilder::new(http).with(rate).with(auth).build()
}

fn okta_answer(status: u16, limit: u64, remaining: u64, reset: u64) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("date", DATE)
        .insert_header("x-rate-limit-limit", limit.to_string().as_str())
        .insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
        .insert_header("x-rate-limit-reset", reset.to_string().as_str())
}

/// One answer with a far-future `X-Rate-Limit-Reset` (here a reset in
/// milliseconds, as a misbehaving proxy or gateway writes it) pins the
/// family's window for good: every later answer has an earlier reset, so
/// it is ignored as "an earlier window", and every request to the family
/// waits `max_wait` forever, even after Okta reports 99 of 100 left.
#[tokio::test(start_paused = true)]
async fn review_mw_one_far_future_reset_paces_a_family_forever() {
    let (org, _other, org_url) = org_and_other().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 0, DATE_EPOCH * 1000))
        .up_to_n_times(1)
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 99, DATE_EPOCH + 60))
        .mount(&org)
        .await;
    let c = stack(
        &org_url,
        OktaRateLimit::new(org_url.clone()).pace_below(0.2),
    );
    let url = format!("{}/api/v1/users", org.uri());
    // The odd answer, then a normal one that reports a fresh window (the
    // second request may well wait: the first said nothing was left).
    for _ in 0..2 {
        assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    }
    // Okta now says 99 of 100 are left: nothing to pace.
    let start = now();
    for _ in 0..3 {
        assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    }
    let took = now() - start;
    assert!(
        took < Duration::from_secs(1),
        "three requests with 99 of 100 left took {took:?}: the far-future window is never replaced"
    );
}

/// `max_wait` is "the longest wait before one retry, whatever the server
/// says (the jitter comes on top)". With pacing on, a `429` whose reset is
/// beyond `max_wait` waits `max_wait`, then the retry's pacing claim finds
/// the window the `429` reported (nothing left, reset ahead) and waits
/// `max_wait` again: twice the cap before one retry.
#[tokio::test(start_paused = true)]
async fn review_mw_pacing_doubles_the_max_wait_before_a_429_retry() {
    let (org, _other, org_url) = org_and_other().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(429, 100, 0, DATE_EPOCH + 59))
        .up_to_n_times(1)
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 99, DATE_EPOCH + 59))
        .mount(&org)
        .await;
    let rate = OktaRateLimit::new(org_url.clone())
        .max_wait(Duration::from_secs(5))
        .jitter(Duration::ZERO)
        .pace_below(0.2);
    let c = stack(&org_url, rate);
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users", org.uri()))
        .send()
        .await
        .unwrap();
    let took = now() - start;
    assert_eq!(r.status(), 200);
    assert_eq!(org.received_requests().await.unwrap().len(), 2);
    assert!(
        took <= Duration::from_secs(5),
        "one retry after {took:?}, max_wait is 5 s and jitter 0"
    );
}

/// "Other origins are never paced", and `OktaRateLimit` reads Okta's
/// headers: yet when the org redirects to another origin, `OktaAuth`
/// follows it and the other origin's answer reaches `OktaRateLimit` as if
/// it were the org's. Its `X-Rate-Limit-*` headers then pace the org's
/// requests (here 51 s before the next call to `/api/v1/users/*`, which
/// the org never limited).
#[tokio::test(start_paused = true)]
async fn review_mw_another_origins_rate_headers_pace_the_org() {
    let (org, other, org_url) = org_and_other().await;
    let away = format!("{}/landing", other.uri());
    Mock::given(path("/api/v1/users/go"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/users/me"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(okta_answer(200, 100, 0, DATE_EPOCH + 50))
        .mount(&other)
        .await;
    let c = stack(
        &org_url,
        OktaRateLimit::new(org_url.clone()).pace_below(0.2),
    );
    let r = c
        .get(format!("{}/api/v1/users/go", org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url().as_str(), away);
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users/me", org.uri()))
        .send()
        .await
        .unwrap();
    let took = now() - start;
    assert_eq!(r.status(), 200);
    assert!(
        took < Duration::from_secs(1),
        "the org's request was paced {took:?} by another origin's headers"
    );
}

/// README, Security: "The middleware ... never carries them across a
/// redirect to another origin." The `switch_source` doc example builds its
/// client as `ClientBuilder::new(reqwest::Client::new()).with(auth.clone())`
/// (no `redirect_policy`): reqwest then follows the org's redirect itself
/// and hands the other origin the `DPoP` proof (bound to the token by
/// `ath`); `OktaAuth` only notices afterwards and returns `Error::Config`.
#[tokio::test]
async fn review_mw_the_switch_source_example_client_hands_a_proof_to_another_origin() {
    let (org, other, org_url) = org_and_other().await;
    let away = format!("{}/landing", other.uri());
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&other)
        .await;
    let token = AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap();
    let auth = OktaAuth::new(org_url.clone(), Fixed(token));
    // As in the `OktaAuth::switch_source` doc example.
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(auth.clone())
        .build();
    let _ = client.get(org_url.endpoint("api/v1/users")).send().await;
    let got: Vec<Request> = other.received_requests().await.unwrap();
    for r in &got {
        assert!(
            r.headers.get("dpop").is_none(),
            "a DPoP proof for the org reached {}",
            r.url
        );
    }
}

/// Always the same token.
struct Fixed(AccessToken);

#[async_trait::async_trait]
impl okta_auth::TokenSource for Fixed {
    async fn token(&self) -> Result<AccessToken, okta_auth::Error> {
        Ok(self.0.clone())
    }

    fn is_cached(&self) -> bool {
        true
    }
}
