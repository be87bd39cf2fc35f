//! `OktaAuth` and `OktaRateLimit` against `testing::MockOkta`, which checks
//! every token and DPoP proof itself, with a second server beside it that
//! must never see a credential.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{Fault, MockOkta, ServiceApp};
use okta_auth::{
    AccessToken, ApiTokenSource, DpopMode, Error, OktaAuth, OktaRateLimit, RateLimit,
    ServiceAppSource, SigningKey, TokenSource, TokenSourceExt, TokenType,
};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::middleware::client;

const CLIENT_ID: &str = "0oaMiddlewareApp";

/// A minimal cache: keeps the token until it is invalidated.
struct Keep<S> {
    inner: S,
    current: Mutex<Option<AccessToken>>,
}

impl<S> Keep<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            current: Mutex::new(None),
        }
    }
    fn current(&self) -> Option<AccessToken> {
        self.current.lock().unwrap().clone()
    }
}

#[async_trait]
impl<S: TokenSource> TokenSource for Keep<S> {
    async fn token(&self) -> Result<AccessToken, Error> {
        if let Some(t) = self.current() {
            return Ok(t);
        }
        let t = self.inner.token().await?;
        *self.current.lock().unwrap() = Some(t.clone());
        Ok(t)
    }
    fn invalidate(&self, rejected: &AccessToken) {
        let mut current = self.current.lock().unwrap();
        if current.as_ref().is_some_and(|c| c.same_token(rejected)) {
            *current = None;
        }
    }
    fn is_cached(&self) -> bool {
        true
    }
}

/// A registered service app and a source for it; `dpop` selects the mode
/// on both sides.
fn service_app(okta: &MockOkta, dpop: bool) -> ServiceAppSource {
    let key = SigningKey::generate_p256().with_kid("mw-kid");
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"])
            .dpop(dpop, dpop),
    )
    .unwrap();
    ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"])
        .dpop(if dpop {
            DpopMode::Always
        } else {
            DpopMode::Never
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn ssws_bearer_and_dpop_tokens_are_accepted_by_the_org_and_never_sent_elsewhere() {
    let other = MockServer::start().await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&other)
        .await;
    for kind in [TokenType::Ssws, TokenType::Bearer, TokenType::Dpop] {
        let okta = MockOkta::start().await;
        let auth = match kind {
            TokenType::Ssws => {
                okta.register_api_token("00mw-api-token");
                OktaAuth::new(
                    okta.org_url(),
                    ApiTokenSource::new("00mw-api-token").unwrap(),
                )
            }
            _ => OktaAuth::new(okta.org_url(), service_app(&okta, kind == TokenType::Dpop)),
        };
        let c = client(auth, None);
        let r = c
            .get(okta.org_url().endpoint("api/v1/users"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{kind:?}");
        let api = okta
            .received()
            .into_iter()
            .find(|r| r.path == "/api/v1/users")
            .unwrap();
        let authorization = api.headers["authorization"].to_str().unwrap();
        assert!(
            authorization.starts_with(&format!("{} ", kind.scheme())),
            "{authorization}"
        );
        assert_eq!(api.proof_claims.is_some(), kind == TokenType::Dpop);

        c.get(format!("{}/elsewhere", other.uri()))
            .send()
            .await
            .unwrap();
    }
    for req in other.received_requests().await.unwrap() {
        assert!(req.headers.get("authorization").is_none());
        assert!(req.headers.get("dpop").is_none());
    }
}

#[tokio::test]
async fn a_revoked_token_gets_one_new_token_and_one_retry() {
    let okta = MockOkta::start().await;
    let source = std::sync::Arc::new(Keep::new(service_app(&okta, true)));
    let c = client(OktaAuth::new(okta.org_url(), source.clone()), None);
    let url = okta.org_url().endpoint("api/v1/users");

    assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    let first = source.current().unwrap();
    let token_requests = okta.token_requests(CLIENT_ID);
    assert!(okta.revoke(first.secret().expose_secret()));

    assert_eq!(c.get(url).send().await.unwrap().status(), 200);
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        token_requests + 1,
        "one new token"
    );
    assert_eq!(okta.api_requests(), 3, "ok, refused, retried");
    assert!(!source.current().unwrap().same_token(&first));
}

#[tokio::test]
async fn a_refused_api_token_is_not_retried() {
    let okta = MockOkta::start().await;
    let token = ApiTokenSource::new("00never-registered").unwrap();
    // Plain, and cached: neither has another token to try.
    let sources: [std::sync::Arc<dyn TokenSource>; 2] = [
        std::sync::Arc::new(token.clone()),
        std::sync::Arc::new(token.cached()),
    ];
    for (n, source) in sources.into_iter().enumerate() {
        let c = client(OktaAuth::new(okta.org_url(), source), None);
        for _ in 0..10 {
            let r = c
                .get(okta.org_url().endpoint("api/v1/users/me"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
        }
        assert_eq!(okta.api_requests(), 10 * (n + 1), "one request per call");
    }
}

/// A management API that refuses every token, as Okta refuses a revoked
/// one; the tokens come from `okta`'s token endpoint.
async fn refusing_api(okta: &MockOkta) -> MockServer {
    let api = MockServer::start().await;
    let challenge = format!(
        "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"The access token is invalid.\"",
        okta.uri()
    );
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", challenge.as_str())
                .set_body_json(serde_json::json!({
                    "errorCode": "E0000011",
                    "errorSummary": "Invalid token provided",
                })),
        )
        .mount(&api)
        .await;
    api
}

/// A cached bearer service app whose forced refreshes back off for at
/// least 5 s: longer than a loaded CI machine takes for these calls (the
/// cache's own tests pin the default timing under paused time).
fn cached_service_app(okta: &MockOkta) -> okta_auth::CachingTokenSource<ServiceAppSource> {
    okta_auth::CachingTokenSource::builder(service_app(okta, false))
        .backoff(Duration::from_secs(10), Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_refuses_every_token_costs_two_token_requests_for_ten_calls() {
    let okta = MockOkta::start().await;
    let api = refusing_api(&okta).await;
    let auth = OktaAuth::new(api.uri().parse().unwrap(), cached_service_app(&okta));
    let c = client(auth, None);
    for _ in 0..10 {
        let r = c
            .get(format!("{}/api/v1/users", api.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        2,
        "the first token, and one forced refresh"
    );
    let sent = api.received_requests().await.unwrap();
    assert_eq!(
        sent.len(),
        11,
        "one retry, with the new token, on the first call"
    );
    let tokens: Vec<_> = sent
        .iter()
        .map(|r| r.headers["authorization"].clone())
        .collect();
    assert_ne!(tokens[0], tokens[1]);
    assert!(tokens[1..].iter().all(|t| *t == tokens[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_refuses_every_token_costs_two_token_requests_for_a_hundred_callers() {
    let okta = MockOkta::start().await;
    let api = refusing_api(&okta).await;
    let auth = OktaAuth::new(api.uri().parse().unwrap(), cached_service_app(&okta));
    let c = client(auth, None);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = c.clone();
            let url = format!("{}/api/v1/users", api.uri());
            tokio::spawn(async move { c.get(url).send().await.unwrap().status() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 401);
    }
    assert_eq!(okta.token_requests(CLIENT_ID), 2);
    let sent = api.received_requests().await.unwrap().len();
    assert!((100..=200).contains(&sent), "{sent} api requests");
}

/// Sits under `OktaAuth` and spoils what it sends, as a broken proxy or a
/// retry layer below it would.
#[derive(Default)]
struct Spoil {
    /// Sends the first request's `DPoP` proof again on the second request.
    replay: bool,
    /// Sends every request to `/api/v1/users` instead (the proof's `htu`
    /// no longer matches).
    repath: bool,
    seen: Mutex<Vec<reqwest::header::HeaderValue>>,
}

#[async_trait]
impl reqwest_middleware::Middleware for Spoil {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut okta_auth::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if self.repath {
            req.url_mut().set_path("/api/v1/users");
        }
        if self.replay {
            let mut seen = self.seen.lock().unwrap();
            let proof = req.headers().get("dpop").cloned().unwrap();
            if seen.len() == 1 {
                req.headers_mut().insert("dpop", seen[0].clone());
            }
            seen.push(proof);
        }
        next.run(req, extensions).await
    }
}

fn spoiled_client(auth: OktaAuth, spoil: Spoil) -> ClientWithMiddleware {
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    ClientBuilder::new(http).with(auth).with(spoil).build()
}

#[tokio::test]
async fn a_replayed_proof_gets_a_fresh_proof_and_no_new_token() {
    let okta = MockOkta::start().await;
    let source = std::sync::Arc::new(Keep::new(service_app(&okta, true)));
    let spoil = Spoil {
        replay: true,
        ..Spoil::default()
    };
    let c = spoiled_client(OktaAuth::new(okta.org_url(), source.clone()), spoil);
    let url = okta.org_url().endpoint("api/v1/users");

    assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    let token = source.current().unwrap();
    let token_requests = okta.token_requests(CLIENT_ID);
    assert_eq!(c.get(url).send().await.unwrap().status(), 200);
    assert_eq!(okta.api_requests(), 3, "ok, replayed, fresh proof");
    let received = okta.received();
    assert_eq!(received[received.len() - 2].status, 401);
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        token_requests,
        "no token was fetched"
    );
    assert!(source.current().unwrap().same_token(&token), "nor dropped");
}

#[tokio::test]
async fn a_proof_okta_refuses_costs_no_token_request_and_no_retry() {
    let okta = MockOkta::start().await;
    let source = std::sync::Arc::new(Keep::new(service_app(&okta, true)));
    let spoil = Spoil {
        repath: true,
        ..Spoil::default()
    };
    let c = spoiled_client(OktaAuth::new(okta.org_url(), source.clone()), spoil);
    let url = okta.org_url().endpoint("api/v1/users/me");

    let mut token_requests = 0;
    for n in 1..=3 {
        let r = c.get(url.clone()).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let err = okta_auth::AuthChallenge::from_response(r.status(), r.headers())
            .and_then(|c| c.error().cloned())
            .unwrap();
        assert_eq!(err.oauth_error().unwrap().error(), "invalid_dpop_proof");
        assert_eq!(okta.api_requests(), n, "one request each, no retry");
        if n == 1 {
            // The token (with its nonce handshake).
            token_requests = okta.token_requests(CLIENT_ID);
        }
    }
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        token_requests,
        "no token request after the first"
    );
}

#[tokio::test]
async fn the_org_resource_nonce_challenge_is_answered_once_then_remembered() {
    let okta = MockOkta::start().await;
    okta.require_resource_nonce(true);
    let source = std::sync::Arc::new(Keep::new(service_app(&okta, true)));
    let c = client(OktaAuth::new(okta.org_url(), source.clone()), None);
    let url = okta.org_url().endpoint("api/v1/users");

    assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    assert_eq!(
        okta.api_requests(),
        2,
        "the token endpoint's nonce is kept apart from the resource's: one challenge"
    );

    let nonce = okta.rotate_nonce();
    assert_eq!(c.get(url.clone()).send().await.unwrap().status(), 200);
    assert_eq!(okta.api_requests(), 4, "challenge, then the new nonce");
    let received = okta.received();
    assert_eq!(received[received.len() - 2].status, 401);
    let last = received.last().unwrap();
    assert_eq!(last.proof_claims.as_ref().unwrap()["nonce"], nonce.as_str());

    assert_eq!(c.get(url).send().await.unwrap().status(), 200);
    assert_eq!(okta.api_requests(), 5, "the new nonce is remembered");
    assert_eq!(okta.token_requests(CLIENT_ID), 2, "no token was refetched");
}

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

#[tokio::test(start_paused = true)]
async fn an_org_429_is_waited_out_and_retried_with_okta_retry_headers() {
    let okta = MockOkta::start().await;
    okta.register_api_token("00mw-api-token");
    okta.fail_next_api_requests(
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(5),
        },
    );
    let c = client(
        OktaAuth::new(
            okta.org_url(),
            ApiTokenSource::new("00mw-api-token").unwrap(),
        ),
        Some(OktaRateLimit::new(okta.org_url())),
    );
    let start = now();
    let r = c
        .get(okta.org_url().endpoint("api/v1/users"))
        .send()
        .await
        .unwrap();
    let waited = now() - start;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(5) && waited <= Duration::from_secs(7),
        "{waited:?}"
    );
    let rate = r.extensions().get::<RateLimit>().unwrap();
    assert!(rate.limit().is_some() && rate.remaining().is_some());

    let received = okta.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].status, 429);
    assert_eq!(
        received[1].headers["x-okta-retry-for"],
        received[0].request_id.as_str()
    );
    assert_eq!(received[1].headers["x-okta-retry-count"], "1");
}
