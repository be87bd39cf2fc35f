//! Cold start: from nothing to the first authorized API response, against
//! a `MockOkta` service app that requires DPoP (so two token requests, the
//! nonce handshake, then one API request), in one group:
//!
//! - `separate_clients`: the way the README put it together before
//!   `OktaConfig::client`: a `ServiceAppSource` (which builds its own
//!   reqwest client), cached, under `OktaAuth` on a second client built by
//!   the caller, with `OktaRateLimit`;
//! - `one_shared_client`: `OktaConfig::client()`, the same stack on one
//!   client shared by the token source and the middleware (one TLS root
//!   store loaded, one connection pool).
//!
//! Each iteration builds everything afresh; the org and the key are
//! reused. Run with `cargo bench --bench cold_start`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use okta_auth::testing::{MockOkta, ServiceApp};
use okta_auth::{
    OktaAuth, OktaConfig, OktaRateLimit, ServiceAppSource, SigningKey, TokenSourceExt,
};
use reqwest_middleware::ClientBuilder;

const CLIENT_ID: &str = "0oaColdStart";
const PEM: &str = include_str!("../tests/fixtures/keys/ec-p256-pkcs8.pem");

fn cold_start(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::parse(PEM).unwrap().with_kid("kid-cold");
    let okta = rt.block_on(async {
        let okta = MockOkta::start().await;
        okta.register_service_app(
            ServiceApp::new(CLIENT_ID)
                .jwk(key.public_jwk())
                .scopes(["okta.users.read"])
                .dpop(true, true),
        )
        .unwrap();
        okta
    });
    let org = okta.org_url();
    let url = org.endpoint("api/v1/users/me");

    let mut group = c.benchmark_group("cold_start");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(10));

    group.bench_function("separate_clients", |b| {
        b.to_async(&rt).iter(|| async {
            let source = ServiceAppSource::builder(org.clone(), CLIENT_ID)
                .private_key(key.clone())
                .scopes(["okta.users.read"])
                .build()
                .unwrap()
                .cached();
            let auth = OktaAuth::new(org.clone(), source);
            let http = reqwest::Client::builder()
                .redirect(auth.redirect_policy())
                .build()
                .unwrap();
            let client = ClientBuilder::new(http)
                .with(OktaRateLimit::new(org.clone()))
                .with(auth)
                .build();
            let response = client.get(url.clone()).send().await.unwrap();
            assert_eq!(response.status(), 200);
            black_box(response.bytes().await.unwrap())
        })
    });

    group.bench_function("one_shared_client", |b| {
        b.to_async(&rt).iter(|| async {
            let client = OktaConfig::new()
                .org_url(org.issuer())
                .client_id(CLIENT_ID)
                .scopes(["okta.users.read"])
                .signing_key(key.clone())
                .client()
                .unwrap();
            let response = client.get(url.clone()).send().await.unwrap();
            assert_eq!(response.status(), 200);
            black_box(response.bytes().await.unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
