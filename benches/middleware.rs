//! A request through `OktaAuth` (a pre-fetched Bearer token, as a warm
//! cache serves it) beside the same reqwest-middleware client without it,
//! against one loopback wiremock server, in one group. The ratio is the
//! middleware's overhead on a real (if short) round trip. Plain reqwest is
//! measured too, for the cost of reqwest-middleware itself.
//!
//! The loopback round trip is noisy on a shared machine, so a second group
//! measures the same chains without the network: a last middleware answers
//! `200` at once, and the difference is `OktaAuth`'s own CPU cost.

use std::hint::black_box;

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use okta_auth::{AccessToken, Error, OktaAuth, OrgUrl, TokenSource, TokenType};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Always the same token, no I/O: what a warm cache hands out.
struct Prefetched(AccessToken);

#[async_trait]
impl TokenSource for Prefetched {
    async fn token(&self) -> Result<AccessToken, Error> {
        Ok(self.0.clone())
    }
    /// No I/O: `OktaAuth::new` uses it as it is.
    fn is_cached(&self) -> bool {
        true
    }
}

/// A fresh loopback server and a fresh client (its own connection pool) for
/// one bench function, so no function inherits another's server state.
fn fresh(rt: &tokio::runtime::Runtime) -> (MockServer, reqwest::Client, OrgUrl) {
    let server = rt.block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(path("/api/v1/users"))
            .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
            .mount(&server)
            .await;
        server
    });
    let org: OrgUrl = server.uri().parse().unwrap();
    let policy = OktaAuth::new(org.clone(), Prefetched(token())).redirect_policy();
    let http = reqwest::Client::builder().redirect(policy).build().unwrap();
    (server, http, org)
}

fn token() -> AccessToken {
    AccessToken::new(TokenType::Bearer, "eyJraWQiOiJiZW5jaCJ9.payload.sig").unwrap()
}

fn requests(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("middleware_request");

    let (_server, plain, org) = fresh(&rt);
    let url = org.endpoint("api/v1/users");
    group.bench_function("reqwest_bare", |b| {
        b.to_async(&rt).iter(|| async {
            let r = plain.get(url.clone()).send().await.unwrap();
            black_box(r.bytes().await.unwrap())
        })
    });

    let (_server, http, org) = fresh(&rt);
    let url = org.endpoint("api/v1/users");
    let bare: ClientWithMiddleware = ClientBuilder::new(http).build();
    group.bench_function("reqwest_middleware_bare", |b| {
        b.to_async(&rt).iter(|| async {
            let r = bare.get(url.clone()).send().await.unwrap();
            black_box(r.bytes().await.unwrap())
        })
    });

    let (_server, http, org) = fresh(&rt);
    let url = org.endpoint("api/v1/users");
    let with_auth: ClientWithMiddleware = ClientBuilder::new(http)
        .with(OktaAuth::new(org, Prefetched(token())))
        .build();
    group.bench_function("okta_auth_bearer", |b| {
        b.to_async(&rt).iter(|| async {
            let r = with_auth.get(url.clone()).send().await.unwrap();
            black_box(r.bytes().await.unwrap())
        })
    });
    group.finish();
}

/// Answers every request with `200` without sending it.
struct Canned;

#[async_trait]
impl reqwest_middleware::Middleware for Canned {
    async fn handle(
        &self,
        _req: reqwest::Request,
        _extensions: &mut okta_auth::http::Extensions,
        _next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        Ok(reqwest::Response::from(okta_auth::http::Response::new(
            "[]",
        )))
    }
}

fn overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let url = org.endpoint("api/v1/users");
    let http = reqwest::Client::new();
    let bare = ClientBuilder::new(http.clone()).with(Canned).build();
    let with_auth = ClientBuilder::new(http)
        .with(OktaAuth::new(org, Prefetched(token())))
        .with(Canned)
        .build();

    let mut group = c.benchmark_group("middleware_overhead");
    group.bench_function("canned_bare", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(bare.get(url.clone()).send().await.unwrap()) })
    });
    group.bench_function("canned_okta_auth_bearer", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(with_auth.get(url.clone()).send().await.unwrap()) })
    });
    group.finish();
}

criterion_group!(benches, requests, overhead);
criterion_main!(benches);
