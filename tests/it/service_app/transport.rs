//! A request that never gets an answer says why, in a few fixed words and
//! no URL: connection refused, a failed DNS lookup, a broken connection,
//! TLS. The cause stays in the source chain, and the cache's warning
//! carries the message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use okta_auth::{Error, OrgUrl, ServiceAppSource, SigningKey, TokenSource, TokenSourceExt};

use crate::raw_server::{RawServer, Step, head};
use crate::trace_capture::Capture;

fn source(org: &str, client: Option<reqwest::Client>) -> ServiceAppSource {
    let org: OrgUrl = org.parse().unwrap();
    let mut builder = ServiceAppSource::builder(org, "0oaTransport")
        .private_key(SigningKey::generate_p256())
        .scopes(["okta.users.read"]);
    if let Some(client) = client {
        builder = builder.http_client(client);
    }
    builder.build().unwrap()
}

/// `http://127.0.0.1:{port}` where nothing listens.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Checks what every transport error shares: transient, a source, and no
/// URL or host in the message.
fn check(e: &Error, org: &str) -> String {
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(e.is_transient());
    assert!(
        std::error::Error::source(e).is_some(),
        "the cause stays in the chain"
    );
    let text = e.to_string();
    let host = org
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    assert!(!text.contains(host), "{text}");
    assert!(!text.contains("oauth2"), "{text}");
    text
}

#[tokio::test]
async fn connection_refused_says_so() {
    let org = closed_port();
    let e = source(&org, None).token().await.unwrap_err();
    assert_eq!(
        check(&e, &org),
        "http request to okta failed: connection refused"
    );
}

/// Fails every lookup without asking any DNS server.
struct NoSuchHost(AtomicUsize);

impl reqwest::dns::Resolve for NoSuchHost {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            Err::<reqwest::dns::Addrs, _>(Box::new(std::io::Error::other("no such host"))
                as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

#[tokio::test]
async fn a_failed_dns_lookup_says_so() {
    let resolver = Arc::new(NoSuchHost(AtomicUsize::new(0)));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(resolver.clone())
        .build()
        .unwrap();
    let org = "https://example-does-not-resolve.okta.com";
    let e = source(org, Some(client)).token().await.unwrap_err();
    assert_eq!(
        check(&e, org),
        "http request to okta failed: dns lookup failed"
    );
    assert_eq!(
        resolver.0.load(Ordering::SeqCst),
        1,
        "our resolver, no real lookup"
    );
}

#[tokio::test]
async fn a_broken_connection_says_how() {
    let cut_body = || {
        let mut out = head("200 OK", &[("Content-Length", "4096")]);
        out.extend_from_slice(br#"{"token_type":"#);
        out
    };
    let cases: [(Vec<Step>, &str); 5] = [
        (vec![Step::Reset], "connection reset"),
        (vec![Step::Close], "no complete http response"),
        (
            vec![Step::Send(b"HELLO THERE\r\n\r\n".to_vec())],
            "no complete http response",
        ),
        (
            vec![Step::Send(cut_body()), Step::Reset],
            "connection reset while reading the response body",
        ),
        (
            vec![Step::Send(cut_body()), Step::Close],
            "connection closed early while reading the response body",
        ),
    ];
    for (steps, cause) in cases {
        let server = RawServer::start(Arc::new(move |_| steps.clone())).await;
        let e = source(&server.url(), None).token().await.unwrap_err();
        assert_eq!(
            check(&e, &server.url()),
            format!("http request to okta failed: {cause}")
        );
    }
}

#[tokio::test]
async fn tls_to_a_plain_http_server_names_tls() {
    let server = wiremock::MockServer::start().await;
    let org = format!("https://localhost:{}", server.address().port());
    let e = source(&org, None).token().await.unwrap_err();
    let text = check(&e, &org);
    // rustls reports the handshake as such; native-tls (chosen when both
    // backends are on) cannot be told from a refused proxy tunnel.
    assert!(
        text == "http request to okta failed: tls handshake failed"
            || text == "http request to okta failed: tls handshake or proxy tunnel failed",
        "{text}"
    );
}

#[tokio::test]
async fn the_caches_warning_carries_the_cause() {
    let (capture, _recording) = Capture::start();
    let cache = source(&closed_port(), None).cached();
    let e = cache.token().await.unwrap_err();
    assert!(e.to_string().ends_with("connection refused"), "{e}");
    let warning = capture
        .event("okta token refresh failed")
        .expect("the cache warns");
    assert_eq!(warning.level, tracing::Level::WARN);
    assert_eq!(
        warning.field("error"),
        Some("http request to okta failed: connection refused")
    );
}
