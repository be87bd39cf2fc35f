//! `OktaRateLimit`: Okta's `429`s waited out until the reset (capped,
//! with a fallback), retries counted, requests limited together spread
//! out, retries with fresh DPoP proofs and never to other origins.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::{AccessToken, ApiTokenSource, DpopKey, OktaAuth, OktaRateLimit, RateLimit};
use reqwest_middleware::ClientBuilder;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use super::{Servers, Tokens, client, header_of, now, received, servers, verify_proof};

const DATE: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const DATE_EPOCH: u64 = 1_893_456_000;

/// 429 with Okta's headers for the first `limited` calls (request ids
/// `req-{k}`), then 200.
struct Limited {
    limited: usize,
    resets: Vec<u64>,
    calls: AtomicUsize,
}

impl Limited {
    fn new(limited: usize, resets: &[u64]) -> Self {
        Self {
            limited,
            resets: resets.to_vec(),
            calls: AtomicUsize::new(0),
        }
    }
}

impl Respond for Limited {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let k = self.calls.fetch_add(1, Ordering::SeqCst);
        let mut t = if k < self.limited {
            ResponseTemplate::new(429)
                .set_body_json(serde_json::json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}))
                .insert_header("x-rate-limit-remaining", "0")
        } else {
            ResponseTemplate::new(200).insert_header("x-rate-limit-remaining", "99")
        };
        t = t
            .insert_header("date", DATE)
            .insert_header("x-okta-request-id", format!("req-{k}").as_str())
            .insert_header("x-rate-limit-limit", "100");
        for r in &self.resets {
            t = t.append_header("x-rate-limit-reset", (DATE_EPOCH + r).to_string().as_str());
        }
        t
    }
}

async fn rate_limited(
    s: &Servers,
    responder: Limited,
    rate: OktaRateLimit,
    expect: u64,
) -> (reqwest::Response, Duration) {
    Mock::given(path("/api/v1/users"))
        .respond_with(responder)
        .expect(expect)
        .mount(&s.org)
        .await;
    let source = ApiTokenSource::new("00ssws").unwrap();
    let c = client(OktaAuth::uncached(s.org_url.clone(), source), Some(rate));
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    (r, now() - start)
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_for_the_reset_and_retries_with_retry_headers() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, waited) = rate_limited(&s, Limited::new(1, &[5]), rate, 2).await;
    assert_eq!(r.status(), 200);
    // Reset − Date + 1 s, on the paused clock.
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(7),
        "{waited:?}"
    );
    let org = received(&s.org).await;
    assert!(header_of(&org[0], "x-okta-retry-for").is_none());
    assert!(header_of(&org[0], "x-okta-retry-count").is_none());
    assert_eq!(header_of(&org[1], "x-okta-retry-for"), Some("req-0"));
    assert_eq!(header_of(&org[1], "x-okta-retry-count"), Some("1"));
    assert_eq!(header_of(&org[1], "authorization"), Some("SSWS 00ssws"));
    let rate = r.extensions().get::<RateLimit>().expect("rate limit state");
    assert_eq!(rate.limit(), Some(100));
    assert_eq!(rate.remaining(), Some(99));
    assert_eq!(rate.reset_epoch_secs(), Some(DATE_EPOCH + 5));
}

#[tokio::test(start_paused = true)]
async fn max_retries_is_honoured_and_the_last_429_returned() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_retries(3);
    let (r, waited) = rate_limited(&s, Limited::new(usize::MAX, &[2]), rate, 4).await;
    assert_eq!(r.status(), 429);
    assert!(
        waited >= Duration::from_secs(9),
        "three waits of 3 s: {waited:?}"
    );
    assert_eq!(
        r.extensions().get::<RateLimit>().unwrap().remaining(),
        Some(0)
    );
    let org = received(&s.org).await;
    for (n, req) in org.iter().enumerate().skip(1) {
        assert_eq!(
            header_of(req, "x-okta-retry-for"),
            Some("req-0"),
            "always the first try's id"
        );
        assert_eq!(
            header_of(req, "x-okta-retry-count"),
            Some(n.to_string().as_str())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_is_two_retries() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, _) = rate_limited(&s, Limited::new(usize::MAX, &[1]), rate, 3).await;
    assert_eq!(r.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn zero_retries_disables_retrying() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_retries(0);
    let (r, waited) = rate_limited(&s, Limited::new(1, &[5]), rate, 1).await;
    assert_eq!(r.status(), 429);
    assert_eq!(waited, Duration::ZERO);
    assert_eq!(
        r.extensions().get::<RateLimit>().unwrap().limit(),
        Some(100)
    );
}

#[tokio::test(start_paused = true)]
async fn duplicate_reset_headers_use_the_smallest() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, waited) = rate_limited(&s, Limited::new(1, &[30, 2, 45]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(
        r.extensions()
            .get::<RateLimit>()
            .unwrap()
            .reset_epoch_secs(),
        Some(DATE_EPOCH + 2)
    );
}

#[tokio::test(start_paused = true)]
async fn the_wait_is_capped_and_missing_headers_use_the_fallback() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_wait(Duration::from_secs(10));
    let (r, waited) = rate_limited(&s, Limited::new(1, &[3600]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "{waited:?}"
    );

    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).fallback_wait(Duration::from_secs(4));
    let (r, waited) = rate_limited(&s, Limited::new(1, &[]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

/// 429 (reset 5 s after `Date`: a wait of 6 s) to a first try, 200 to a
/// retry.
struct LimitedOnce;

impl Respond for LimitedOnce {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.headers.contains_key("x-okta-retry-count") {
            return ResponseTemplate::new(200);
        }
        ResponseTemplate::new(429)
            .insert_header("date", DATE)
            .insert_header("x-rate-limit-reset", (DATE_EPOCH + 5).to_string().as_str())
    }
}

/// Sits under the middleware and notes, per request (`x-test-id`), when
/// its `429` came back and when its retry left.
#[derive(Default)]
struct Timeline(Mutex<Vec<(String, bool, tokio::time::Instant)>>);

#[async_trait]
impl reqwest_middleware::Middleware for Timeline {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut okta_auth::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let id = req.headers()["x-test-id"].to_str().unwrap().to_owned();
        let retry = req.headers().contains_key("x-okta-retry-count");
        if retry {
            self.0.lock().unwrap().push((id.clone(), true, now()));
        }
        let resp = next.run(req, extensions).await?;
        if !retry {
            self.0.lock().unwrap().push((id, false, now()));
        }
        Ok(resp)
    }
}

#[tokio::test(start_paused = true)]
async fn requests_limited_together_retry_at_different_instants_after_the_wait() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(LimitedOnce)
        .expect(100)
        .mount(&s.org)
        .await;
    let timeline = std::sync::Arc::new(Timeline::default());
    let auth = OktaAuth::uncached(s.org_url.clone(), ApiTokenSource::new("00ssws").unwrap());
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let c = ClientBuilder::new(http)
        .with(OktaRateLimit::new(s.org_url.clone()))
        .with(auth)
        .with_arc(timeline.clone())
        .build();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            let url = format!("{}/api/v1/users", s.org.uri());
            tokio::spawn(async move {
                let r = c.get(url).header("x-test-id", i.to_string()).send();
                r.await.unwrap().status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    // Each request's wait, from its 429 to its retry (the paused clock
    // moves only by timers, and in whole milliseconds).
    let events = timeline.0.lock().unwrap().clone();
    let waits: Vec<Duration> = (0..50)
        .map(|i| {
            let at = |retry: bool| {
                events
                    .iter()
                    .find(|(id, r, _)| *id == i.to_string() && *r == retry)
                    .unwrap()
                    .2
            };
            at(true) - at(false)
        })
        .collect();
    let server_wait = Duration::from_secs(6);
    for w in &waits {
        assert!(*w >= server_wait, "a retry before the server's wait: {w:?}");
        assert!(
            *w <= server_wait + OktaRateLimit::DEFAULT_JITTER,
            "more than the jitter: {w:?}"
        );
    }
    let distinct: HashSet<Duration> = waits.iter().copied().collect();
    assert!(
        distinct.len() >= 40,
        "{} distinct waits: {waits:?}",
        distinct.len()
    );
    let spread = waits
        .iter()
        .max()
        .unwrap()
        .saturating_sub(*waits.iter().min().unwrap());
    assert!(
        spread >= Duration::from_millis(500),
        "spread over {spread:?} only"
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_retries_get_fresh_dpop_proofs_and_skip_other_origins() {
    let s = servers().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(Limited::new(2, &[1]))
        .expect(3)
        .mount(&s.org)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("x-rate-limit-reset", "1"))
        .expect(1)
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(
        OktaAuth::uncached(s.org_url.clone(), source),
        Some(OktaRateLimit::new(s.org_url.clone())),
    );
    let url = format!("{}/api/v1/users", s.org.uri());
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let jtis: HashSet<String> = received(&s.org)
        .await
        .iter()
        .map(|r| {
            verify_proof(
                header_of(r, "dpop").unwrap(),
                "GET",
                &url,
                "dpop-secret",
                &key,
            )["jti"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 3, "every try has its own proof");

    let r = c
        .get(format!("{}/busy", s.other.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "another origin's 429 is not retried");
    assert!(r.extensions().get::<RateLimit>().is_none());
}

/// "Requests to other origins pass untouched", answers too: when the org
/// redirects to another origin and `OktaAuth` follows, that origin's answer
/// is not the org's. It gets no `RateLimit`, its `429` is not retried (by
/// re-sending to the org), and its `X-Rate-Limit-*` headers pace nothing:
/// they used to pace the org's `/api/v1/users/*` for 51 s, a family the
/// org never limited.
#[tokio::test(start_paused = true)]
async fn another_origins_answer_after_an_org_redirect_is_not_the_orgs() {
    let s = servers().await;
    for (from, to) in [("go", "landing"), ("busy", "busy")] {
        let away = format!("{}/{to}", s.other.uri());
        Mock::given(path(format!("/api/v1/users/{from}")))
            .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
            .mount(&s.org)
            .await;
    }
    Mock::given(path("/api/v1/users/me"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let rate_headers = |status: u16| {
        ResponseTemplate::new(status)
            .insert_header("date", DATE)
            .insert_header("x-rate-limit-limit", "100")
            .insert_header("x-rate-limit-remaining", "0")
            .insert_header("x-rate-limit-reset", (DATE_EPOCH + 50).to_string().as_str())
    };
    Mock::given(path("/landing"))
        .respond_with(rate_headers(200))
        .expect(1)
        .mount(&s.other)
        .await;
    Mock::given(path("/busy"))
        .respond_with(rate_headers(429))
        .expect(1)
        .mount(&s.other)
        .await;
    let c = client(
        OktaAuth::uncached(s.org_url.clone(), ApiTokenSource::new("00ssws").unwrap()),
        Some(OktaRateLimit::new(s.org_url.clone()).pace_below(0.2)),
    );
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users/go", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url().as_str(), format!("{}/landing", s.other.uri()));
    assert!(r.extensions().get::<RateLimit>().is_none());
    let r = c
        .get(format!("{}/api/v1/users/busy", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "returned, not retried");
    assert!(r.extensions().get::<RateLimit>().is_none());
    let r = c
        .get(format!("{}/api/v1/users/me", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let took = now() - start;
    assert_eq!(
        took,
        Duration::ZERO,
        "the org was paced or retried for {took:?} by another origin's headers"
    );
}
