//! One HTTP client from the configuration, shared by the token source and
//! the middleware: the proxy from `okta.yaml` carries both token and API
//! requests, the timeouts apply, a caller's client wins (with a warning
//! naming what it cannot honour), redirects from the org stop, and the
//! rate-limit settings reach `OktaRateLimit`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use okta_auth::config::Sources;
use okta_auth::testing::{Fault, MockOkta, ServiceApp};
use okta_auth::{Error, OktaConfig, SigningKey, TokenSource, TokenType};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::capture::Logs;
use super::proxy::LoopbackProxy;
use super::{TOKEN, dir, write, yaml};
use crate::raw_server::{RawServer, Step};

const CLIENT_ID: &str = "0oaSharedClient";
const PEM: &str = include_str!("../../fixtures/keys/rsa2048-pkcs1.pem");
const PROXY_PASSWORD: &str = "hunter2-proxy-secret";

/// A MockOkta with a DPoP service app for `PEM` (kid `kid-shared`).
async fn okta_with_app() -> MockOkta {
    let okta = MockOkta::start().await;
    let public = SigningKey::parse(PEM)
        .unwrap()
        .public_jwk()
        .with_kid("kid-shared");
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(public)
            .scopes(["okta.users.read"])
            .dpop(true, true),
    )
    .unwrap();
    okta
}

#[tokio::test]
async fn token_and_api_requests_go_through_the_proxy_from_okta_yaml() {
    let okta = okta_with_app().await;
    let proxy = LoopbackProxy::start("svc-okta", PROXY_PASSWORD).await;
    let cwd = dir("shared-proxy");
    // The key beside the okta.yaml, by a relative path.
    write(cwd.join("keys/app.pem"), PEM);
    write(
        cwd.join("okta.yaml"),
        &yaml(
            &okta.uri(),
            &format!(
                "    clientId: {CLIENT_ID}\n    scopes: [okta.users.read]\n    \
                 privateKey: keys/app.pem\n    privateKeyId: kid-shared\n    proxy:\n      \
                 host: 127.0.0.1\n      port: {}\n      username: svc-okta\n      \
                 password: {PROXY_PASSWORD}\n",
                proxy.port()
            ),
        ),
    );
    let (logs, _recording) = Logs::capture();
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    let client = config.client().unwrap();
    let url = okta.org_url().endpoint("api/v1/users/me");
    for _ in 0..2 {
        let response = client.get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }

    // Two token requests (the DPoP nonce handshake, then cached) and two
    // API requests, all through the proxy with its credentials.
    assert_eq!(okta.token_requests(CLIENT_ID), 2);
    assert_eq!(okta.api_requests(), 2);
    let seen = proxy.seen();
    let lines: Vec<&str> = seen.iter().map(|p| p.request_line.as_str()).collect();
    let token = format!("POST {}", okta.token_endpoint());
    let api = format!("GET {url}");
    assert_eq!(lines, [&token, &token, &api, &api]);
    assert!(seen.iter().all(|p| p.authorized), "{seen:?}");

    // Nothing secret in what was logged, at every level: not the proxy
    // password (nor its basic-auth form), the access token or the key.
    let received = okta.received();
    let authorization = &received.last().unwrap().headers["authorization"];
    let access_token = authorization.to_str().unwrap().split_once(' ').unwrap().1;
    let basic = STANDARD.encode(format!("svc-okta:{PROXY_PASSWORD}"));
    let all = logs.all();
    assert!(!all.is_empty());
    let key_line = PEM.lines().nth(1).unwrap();
    for secret in [
        PROXY_PASSWORD,
        basic.as_str(),
        access_token,
        "BEGIN",
        key_line,
    ] {
        assert!(!all.contains(secret), "{secret} logged");
    }
    assert!(!format!("{config:?}").contains(PROXY_PASSWORD));
}

#[tokio::test]
async fn a_wrong_proxy_password_fails_the_token_request() {
    let okta = okta_with_app().await;
    let proxy = LoopbackProxy::start("svc-okta", PROXY_PASSWORD).await;
    let config = OktaConfig::new()
        .org_url(okta.uri())
        .client_id(CLIENT_ID)
        .scopes(["okta.users.read"])
        .private_key(PEM)
        .private_key_id("kid-shared")
        .proxy_host("127.0.0.1")
        .proxy_port(proxy.port())
        .proxy_username("svc-okta")
        .proxy_password("wrong");
    let err = config.token_source().unwrap().token().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(407), "{err:?}");
    assert_eq!(okta.token_requests(CLIENT_ID), 0);
    assert!(!proxy.seen()[0].authorized);
}

/// A server that accepts connections and never answers.
async fn silent_server() -> RawServer {
    RawServer::start(std::sync::Arc::new(|_| vec![Step::Hang])).await
}

#[allow(clippy::disallowed_methods)] // real time: the timeouts are real
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

#[tokio::test]
async fn the_request_timeout_applies_to_token_and_api_requests() {
    const SAFETY: Duration = Duration::from_secs(10);
    let silent = silent_server().await;
    // Fractional seconds, the squashed (Java, Node) spelling.
    let sources = Sources::empty()
        .var("OKTA_CLIENT_ORGURL", silent.url())
        .var("OKTA_CLIENT_REQUESTTIMEOUT", "0.3");

    // A token request: a service app whose token endpoint never answers.
    let config = OktaConfig::load(
        &sources
            .clone()
            .var("OKTA_CLIENT_CLIENTID", CLIENT_ID)
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", PEM.replace('\n', "\\n")),
    )
    .unwrap();
    let source = config.token_source().unwrap();
    let started = now();
    let err = tokio::time::timeout(SAFETY, source.token())
        .await
        .expect("the request timeout fired")
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // An API request through the middleware, with an API token.
    let config = OktaConfig::load(&sources.var("OKTA_CLIENT_TOKEN", TOKEN)).unwrap();
    let client = config.client().unwrap();
    let started = now();
    let err = tokio::time::timeout(
        SAFETY,
        client.get(format!("{}/api/v1/users", silent.url())).send(),
    )
    .await
    .expect("the request timeout fired")
    .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(silent.requests(), 2);
}

#[tokio::test]
async fn a_callers_client_wins_and_the_settings_it_cannot_honour_are_named() {
    let okta = okta_with_app().await;
    let cwd = dir("shared-callers-client");
    // A proxy that does not exist: were it used, every request would fail.
    let path = write(
        cwd.join("okta.yaml"),
        &yaml(
            &okta.uri(),
            &format!(
                "    proxy:\n      host: proxy.invalid\n      port: 3128\n      \
                 username: svc-okta\n      password: {PROXY_PASSWORD}\n    requestTimeout: 17\n"
            ),
        ),
    );
    let (logs, _guard) = Logs::capture();
    let config = OktaConfig::load(
        &Sources::empty()
            .current_dir(&cwd)
            .var("OKTA_CLIENT_CONNECTION_TIMEOUT", "9"),
    )
    .unwrap()
    .client_id(CLIENT_ID)
    .scopes(["okta.users.read"])
    .signing_key(SigningKey::parse(PEM).unwrap().with_kid("kid-shared"))
    .http_client(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    );
    let client = config.client().unwrap();
    let response = client
        .get(okta.org_url().endpoint("api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(okta.token_requests(CLIENT_ID), 2);

    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let file = path.display();
    for named in [
        format!("okta.client.proxy.host in {file}"),
        format!("okta.client.proxy.port in {file}"),
        format!("okta.client.proxy.username in {file}"),
        format!("okta.client.proxy.password in {file}"),
        format!("okta.client.requestTimeout in {file}"),
        "environment variable OKTA_CLIENT_CONNECTION_TIMEOUT".into(),
    ] {
        assert!(warnings[0].contains(&named), "{named}: {}", warnings[0]);
    }
    // Never the values (the file's path, which holds digits, set aside).
    let warning = warnings[0].replace(&file.to_string(), "{file}");
    for value in [
        "proxy.invalid",
        "3128",
        "svc-okta",
        PROXY_PASSWORD,
        "17",
        "9",
    ] {
        assert!(!warning.contains(value), "{value} in {warning}");
    }
    assert!(!logs.all().contains(PROXY_PASSWORD));
}

#[tokio::test]
async fn a_signing_key_and_cache_settings_from_code() {
    let okta = okta_with_app().await;
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&events);
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_CLIENTID", CLIENT_ID)
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            // A parsed key's own kid wins over the variable.
            .var("OKTA_CLIENT_PRIVATEKEYID", "kid-other"),
    )
    .unwrap()
    .signing_key(SigningKey::parse(PEM).unwrap().with_kid("kid-shared"))
    .cache(move |cache| {
        let seen = std::sync::Arc::clone(&seen);
        cache.observer(move |event| seen.lock().unwrap().push(format!("{event:?}")))
    });
    let source = config.token_source().unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    source.token().await.unwrap();
    assert_eq!(
        okta.token_requests(CLIENT_ID),
        2,
        "the nonce handshake, then cached"
    );
    let header = okta.received().pop().unwrap().assertion_header.unwrap();
    assert_eq!(header["kid"], "kid-shared");
    let logged = events.lock().unwrap().clone();
    assert!(
        logged[0].starts_with("Started") && logged[1].starts_with("Refreshed"),
        "{logged:?}"
    );

    // A key without a kid takes the variable's.
    let config = config.signing_key(SigningKey::parse(PEM).unwrap());
    config.token_source().unwrap().token().await.unwrap_err();
    let header = okta.received().pop().unwrap().assertion_header.unwrap();
    assert_eq!(header["kid"], "kid-other");

    // Cache settings are checked like the builder's.
    let err = config
        .cache(|cache| cache.refresh_ahead(2.0))
        .token_source()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn redirects_from_the_org_stop_at_the_token_endpoint_and_oktaauth_follows_its_own() {
    let org = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/steal", elsewhere.uri())),
        )
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/api/v1/new"))
        .mount(&org)
        .await;
    Mock::given(path("/api/v1/new"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&org)
        .await;
    Mock::given(path("/steal"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;

    // The token request is answered with the redirect, not sent on.
    let app = OktaConfig::new()
        .org_url(org.uri())
        .client_id(CLIENT_ID)
        .scopes(["okta.users.read"])
        .private_key(PEM);
    let err = app.token_source().unwrap().token().await.unwrap_err();
    assert!(
        matches!(&err, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 307),
        "{err:?}"
    );

    // An API request redirected within the org arrives, authorized again.
    let client = OktaConfig::new()
        .org_url(org.uri())
        .token(TOKEN)
        .client()
        .unwrap();
    let response = client
        .get(format!("{}/api/v1/old", org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = org.received_requests().await.unwrap();
    let last = received.last().unwrap();
    assert_eq!(last.url.path(), "/api/v1/new");
    assert_eq!(last.headers["authorization"], format!("SSWS {TOKEN}"));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_settings_reach_oktaratelimit() {
    let okta = MockOkta::start().await;
    okta.register_api_token(TOKEN);
    okta.fail_next_api_requests(
        5,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    let cwd = dir("shared-rate-limit");
    write(
        cwd.join("okta.yaml"),
        &yaml(
            &okta.uri(),
            &format!("    token: {TOKEN}\n    rateLimit:\n      maxBackoff: 2\n"),
        ),
    );
    let config = OktaConfig::load(
        &Sources::empty()
            .current_dir(&cwd)
            .var("OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", "1"),
    )
    .unwrap()
    // A client without timers of its own (timeouts, the pool's idle
    // timer): under paused time the clock jumps to the next timer while
    // the test waits for real I/O, and only the rate limit's wait may be
    // pending. The rate-limit settings apply whichever client is used.
    .http_client(
        reqwest::Client::builder()
            .pool_idle_timeout(None)
            .build()
            .unwrap(),
    );
    let client = config.client().unwrap();
    #[allow(clippy::disallowed_methods)] // the paused tokio clock
    let started = tokio::time::Instant::now();
    let response = client
        .get(okta.org_url().endpoint("api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        429,
        "one retry, then the 429 is returned"
    );
    assert_eq!(okta.api_requests(), 2);
    // The wait was capped at maxBackoff (plus up to 1 s of jitter), not 30 s.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_secs(3),
        "{waited:?}"
    );
}
