//! Rate limits for real: `MockOkta`'s buckets (accurate headers, `429`
//! when empty, refilled at the reset) and `OktaRateLimit`'s pacing, which
//! spreads a window's last requests until its reset instead of running into
//! those `429`s — never for another origin.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::testing::{Fault, MockOkta, OKTA_RATE_WINDOW, RATE_LIMIT};
use okta_auth::{ApiTokenSource, OktaAuth, OktaRateLimit, OrgUrl, RateLimit};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::middleware::client;

const TOKEN: &str = "00pacing-api-token";

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

/// A fake org with an API token and buckets of `limit` per Okta's minute.
async fn org(limit: u64) -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_api_token(TOKEN);
    okta.rate_limit(limit, OKTA_RATE_WINDOW);
    okta
}

/// `OktaRateLimit` (as given) over `OktaAuth` with the API token.
fn paced_client(okta: &MockOkta, rate: OktaRateLimit) -> ClientWithMiddleware {
    let auth = OktaAuth::new(okta.org_url(), ApiTokenSource::new(TOKEN).unwrap());
    client(auth, Some(rate))
}

/// A plain client: no pool timers under paused time.
fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> u64 {
    r.headers()[name].to_str().unwrap().parse().unwrap()
}

fn date_secs(r: &reqwest::Response) -> u64 {
    let date = r.headers()["date"].to_str().unwrap();
    httpdate::parse_http_date(date)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(start_paused = true)]
async fn a_bucket_counts_down_refuses_with_okta_429_and_refills_at_the_reset() {
    let okta = org(3).await;
    let http = plain();
    let get = |p: &str| {
        http.get(okta.org_url().endpoint(p))
            .header("authorization", format!("SSWS {TOKEN}"))
            .send()
    };
    let first = get("api/v1/users").await.unwrap();
    assert_eq!(first.status(), 200);
    let reset = header(&first, "x-rate-limit-reset");
    assert_eq!(reset - date_secs(&first), 60, "the window's end");
    assert_eq!(header(&first, "x-rate-limit-limit"), 3);
    assert_eq!(header(&first, "x-rate-limit-remaining"), 2);

    tokio::time::advance(Duration::from_secs(10)).await;
    let second = get("api/v1/users").await.unwrap();
    assert_eq!(header(&second, "x-rate-limit-remaining"), 1);
    assert_eq!(header(&second, "x-rate-limit-reset"), reset, "same window");
    // Every request counts, refused ones too.
    let unauthorized = http
        .get(okta.org_url().endpoint("api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(header(&unauthorized, "x-rate-limit-remaining"), 0);

    let limited = get("api/v1/users").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "x-rate-limit-limit"), 3);
    assert_eq!(header(&limited, "x-rate-limit-remaining"), 0);
    assert_eq!(header(&limited, "x-rate-limit-reset"), reset);
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000047");
    assert_eq!(
        body["errorSummary"],
        "API call exceeded rate limit due to too many requests."
    );
    assert_eq!(okta.rate_limited_requests(), 1);

    // Another endpoint family has a bucket of its own; the token endpoint
    // and other paths are never limited and report the fixed limit.
    let me = get("api/v1/users/me").await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "x-rate-limit-remaining"), 2);
    let keys = http
        .get(okta.org_url().endpoint("oauth2/v1/keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&keys, "x-rate-limit-limit"), RATE_LIMIT);

    // An injected fault comes first, and counts.
    okta.fail_next_api_requests(1, Fault::Status(503));
    assert_eq!(get("api/v1/users").await.unwrap().status(), 503);
    assert_eq!(okta.rate_limited_requests(), 1);

    // Refilled at the reset (on the fake org's clock, whole seconds), a new
    // window.
    tokio::time::advance(Duration::from_secs(48)).await;
    assert_eq!(get("api/v1/users").await.unwrap().status(), 429);
    tokio::time::advance(Duration::from_secs(3)).await;
    let refilled = get("api/v1/users").await.unwrap();
    assert_eq!(refilled.status(), 200);
    assert_eq!(header(&refilled, "x-rate-limit-remaining"), 2);
    let new_reset = header(&refilled, "x-rate-limit-reset");
    assert!(new_reset >= reset + 60);
    assert_eq!(new_reset - date_secs(&refilled), 60);
    assert_eq!(okta.rate_limited_requests(), 2);
    let statuses: Vec<u16> = okta.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 401, 429, 200, 404, 503, 429, 200]);
}

/// Sits under `OktaRateLimit` and notes when (paused time) each request
/// left.
#[derive(Default)]
struct Departures(Mutex<Vec<tokio::time::Instant>>);

#[async_trait]
impl reqwest_middleware::Middleware for Departures {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut okta_auth::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0.lock().unwrap().push(now());
        next.run(req, extensions).await
    }
}

/// `OktaRateLimit` (as given) over `OktaAuth` with the API token, noting
/// departures.
fn noted_client(okta: &MockOkta, rate: OktaRateLimit) -> (ClientWithMiddleware, Arc<Departures>) {
    let auth = OktaAuth::new(okta.org_url(), ApiTokenSource::new(TOKEN).unwrap());
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let departures = Arc::new(Departures::default());
    let c = ClientBuilder::new(http)
        .with(rate)
        .with_arc(departures.clone())
        .with(auth)
        .build();
    (c, departures)
}

/// 200 requests to `/api/v1/users` from `tasks` tasks: the statuses the
/// caller saw and the paused time it took.
struct Run {
    statuses: Vec<u16>,
    took: Duration,
}

async fn two_hundred(c: &ClientWithMiddleware, okta: &MockOkta, tasks: usize) -> Run {
    let start = now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let c = c.clone();
            let url = okta.org_url().endpoint("api/v1/users");
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..200 / tasks {
                    let status = c.get(url.clone()).send().await.unwrap().status();
                    statuses.push(status.as_u16());
                }
                statuses
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.extend(h.await.unwrap());
    }
    Run {
        statuses,
        took: now() - start,
    }
}

#[tokio::test(start_paused = true)]
async fn two_hundred_requests_against_100_a_minute_meet_429s_without_pacing() {
    let okta = org(100).await;
    let c = paced_client(&okta, OktaRateLimit::new(okta.org_url()).max_retries(0));
    let Run { statuses, took, .. } = two_hundred(&c, &okta, 1).await;
    let limited = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("pacing off: {limited} of 200 answered 429, {took:?} of paused time");
    assert_eq!(limited, 100);
    assert_eq!(okta.rate_limited_requests(), 100);
    assert_eq!(okta.api_requests(), 200);
    assert_eq!(took, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn two_hundred_requests_against_100_a_minute_meet_no_429_with_pacing() {
    let okta = org(100).await;
    // No retries: a 429 would reach the caller.
    let rate = OktaRateLimit::new(okta.org_url())
        .max_retries(0)
        .pace_below(0.2);
    let c = paced_client(&okta, rate);
    let Run { statuses, took, .. } = two_hundred(&c, &okta, 1).await;
    eprintln!(
        "pacing on, sequential: {} of 200 answered 429, {took:?} of paused time",
        okta.rate_limited_requests()
    );
    assert_eq!(statuses.iter().filter(|s| **s != 200).count(), 0);
    assert_eq!(okta.rate_limited_requests(), 0);
    assert_eq!(okta.api_requests(), 200);
    // The first window's last fifth is spread over it, the second window
    // opens after its reset (+1 s of skew margin), and its own last fifth
    // is spread too.
    assert!(
        took > Duration::from_secs(100) && took < Duration::from_secs(125),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_requests_get_their_own_slots_and_meet_no_429() {
    let okta = org(100).await;
    let rate = OktaRateLimit::new(okta.org_url())
        .max_retries(0)
        .pace_below(0.2);
    let (c, departures) = noted_client(&okta, rate);
    let run = two_hundred(&c, &okta, 8).await;
    let instants: HashSet<tokio::time::Instant> =
        departures.0.lock().unwrap().iter().copied().collect();
    eprintln!(
        "pacing on, 8 tasks: {} of 200 answered 429, {:?} of paused time, {} distinct instants",
        okta.rate_limited_requests(),
        run.took,
        instants.len(),
    );
    assert_eq!(run.statuses.iter().filter(|s| **s != 200).count(), 0);
    assert_eq!(okta.rate_limited_requests(), 0);
    assert!(run.took < Duration::from_secs(180), "{:?}", run.took);
    // Each window's paced fifth went out in slots of its own, not together.
    assert!(instants.len() >= 30, "{} instants", instants.len());
}

#[tokio::test(start_paused = true)]
async fn pacing_never_delays_another_origin_nor_another_endpoint_and_is_capped() {
    let okta = org(2).await;
    let other = MockServer::start().await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(5)
        .mount(&other)
        .await;
    let rate = OktaRateLimit::new(okta.org_url())
        .max_retries(0)
        .pace_below(1.0)
        .max_wait(Duration::from_secs(5));
    let c = paced_client(&okta, rate);
    let users = okta.org_url().endpoint("api/v1/users");
    // Both of the window's two go at once: nothing was known before the
    // first, and the second has the first slot of the paced window.
    let start = now();
    assert_eq!(c.get(users.clone()).send().await.unwrap().status(), 200);
    let r = c.get(users.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.extensions().get::<RateLimit>().unwrap().remaining(),
        Some(0)
    );
    assert_eq!(now() - start, Duration::ZERO);

    // The window is spent; another origin and another endpoint go at once.
    let start = now();
    for _ in 0..5 {
        let r = c
            .get(format!("{}/elsewhere", other.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.extensions().get::<RateLimit>().is_none());
    }
    let me = c
        .get(okta.org_url().endpoint("api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(now() - start, Duration::ZERO);

    // The spent endpoint waits for its reset, capped by the maximum wait.
    let start = now();
    let r = c.get(users).send().await.unwrap();
    assert_eq!(now() - start, Duration::from_secs(5));
    assert_eq!(r.status(), 429, "the reset is still 55 s away");
}

const DATE: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const DATE_EPOCH: u64 = 1_893_456_000;

/// A scripted org on wiremock and `rate` over `OktaAuth` with an API token.
async fn scripted(
    rate: impl FnOnce(OrgUrl) -> OktaRateLimit,
) -> (MockServer, ClientWithMiddleware) {
    let org = MockServer::start().await;
    let org_url: OrgUrl = org.uri().parse().unwrap();
    let auth = OktaAuth::uncached(org_url.clone(), ApiTokenSource::new(TOKEN).unwrap());
    let c = client(auth, Some(rate(org_url)));
    (org, c)
}

/// An answer with Okta's rate-limit headers, on the server's clock `DATE`.
fn okta_answer(status: u16, limit: u64, remaining: u64, reset: u64) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("date", DATE)
        .insert_header("x-rate-limit-limit", limit.to_string().as_str())
        .insert_header("x-rate-limit-remaining", remaining.to_string().as_str())
        .insert_header("x-rate-limit-reset", reset.to_string().as_str())
}

/// One answer with a far-future `X-Rate-Limit-Reset` (here a reset in
/// milliseconds, as a misbehaving proxy or gateway writes it) is not
/// believed for pacing: it used to name the family's window for good,
/// every later answer being "an earlier window", so every request waited
/// `max_wait` forever, even after Okta reported 99 of 100 left.
#[tokio::test(start_paused = true)]
async fn a_far_future_reset_is_not_believed_for_pacing() {
    let (org, c) = scripted(|org| OktaRateLimit::new(org).pace_below(0.2)).await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 0, DATE_EPOCH * 1000))
        .up_to_n_times(1)
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 99, DATE_EPOCH + 60))
        .mount(&org)
        .await;
    let url = format!("{}/api/v1/users", org.uri());
    // The odd answer (nothing left, a reset ~57 000 years ahead) is ignored:
    // the next request goes at once and reports a fresh window.
    let start = now();
    for _ in 0..2 {
        assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    }
    assert_eq!(now() - start, Duration::ZERO);
    // Okta now says 99 of 100 are left: nothing to pace.
    for _ in 0..3 {
        assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    }
    let took = now() - start;
    assert!(
        took < Duration::from_secs(1),
        "five requests with 99 of 100 left took {took:?}: the far-future window is never replaced"
    );
}

/// `max_wait` is "the longest wait before one retry, whatever the server
/// says (the jitter comes on top)". With pacing on, a `429` whose reset is
/// beyond `max_wait` waits `max_wait`; the retry is not paced again in the
/// window the `429` reported (nothing left, reset ahead), which used to
/// wait `max_wait` a second time.
#[tokio::test(start_paused = true)]
async fn a_429_retry_waits_max_wait_once_not_again_for_pacing() {
    let (org, c) = scripted(|org| {
        OktaRateLimit::new(org)
            .max_wait(Duration::from_secs(5))
            .jitter(Duration::ZERO)
            .pace_below(0.2)
    })
    .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(429, 100, 0, DATE_EPOCH + 59))
        .up_to_n_times(1)
        .expect(1)
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(okta_answer(200, 100, 99, DATE_EPOCH + 59))
        .expect(1)
        .mount(&org)
        .await;
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users", org.uri()))
        .send()
        .await
        .unwrap();
    let took = now() - start;
    assert_eq!(r.status(), 200);
    assert_eq!(
        took,
        Duration::from_secs(5),
        "one retry after {took:?}, max_wait is 5 s and jitter 0"
    );
}
