//! The token endpoint misbehaving in every way we could think of, written
//! byte by byte by [`RawServer`], against a real `ServiceAppSource` (org
//! authorization server, `private_key_jwt`, DPoP `Auto`).
//!
//! One table, one harness, run twice: a direct `token()` call must end in
//! the row's error kind with the row's `is_transient()` after exactly the
//! row's number of requests, never echoing the body; and a cache holding a
//! valid token must keep serving it when a refresh hits the same fault.
//!
//! Real time (the client's timeout is what is tested): the rows that must
//! time out get a 500 ms timeout, the others a patient one so that a busy
//! machine cannot fake a timeout; rows run a few at a time, and every row
//! has an outer safety timeout, so that a hang fails the test instead of
//! blocking CI. Both tables take about a second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use okta_auth::{
    AccessToken, CachingTokenSource, Error, OrgUrl, RefreshEvent, ServiceAppSource, SigningKey,
    TokenSource,
};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::raw_server::{RawServer, Step, head, json, response};

/// The source's request timeout in the rows that must time out (hangs,
/// trickles): short, as they wait it out.
const TIMEOUT: Duration = Duration::from_millis(500);
/// The source's request timeout in every other row: they answer in
/// milliseconds, but a busy CI machine must not turn a slow answer into a
/// false `Timeout`.
const PATIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// A row that takes longer than this hangs: it fails instead of blocking.
const SAFETY: Duration = Duration::from_secs(20);
/// Rows in flight at once: enough to overlap the rows that wait out the
/// timeout, few enough that the others (each some milliseconds of CPU in a
/// debug build) never starve each other past it on a busy 2-core machine.
const CONCURRENT_ROWS: usize = 6;
/// In every body the server sends; no error may show it.
const SECRET: &str = "at-SECRET-7f3a";
const GOOD: &str = r#"{"token_type":"Bearer","expires_in":3600,"access_token":"at-SECRET-7f3a","scope":"okta.users.read"}"#;
/// 1 Jan 2030 00:00:00 UTC = 1893456000.
const DATE_2030: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const MB: usize = 1024 * 1024;

/// What a row must end in.
#[derive(Clone, Copy)]
enum Expect {
    /// A usable token (the "fault" is legal HTTP).
    Token,
    /// An error of this kind with this `is_transient()`.
    Fails {
        kind: fn(&Error) -> bool,
        transient: bool,
    },
}

/// One fault: how the server answers request `n` (from 0) of the fetch,
/// what the fetch must end in, and how many requests it may take.
#[derive(Clone, Copy)]
struct Fault {
    name: &'static str,
    answer: fn(usize) -> Vec<Step>,
    expect: Expect,
    requests: usize,
}

impl Fault {
    /// The source's timeout for this row: short where the row is about
    /// timing out.
    fn timeout(&self) -> Duration {
        match self.expect {
            Expect::Fails { kind, .. } if kind(&Error::Timeout) => TIMEOUT,
            _ => PATIENT_TIMEOUT,
        }
    }
}

const fn fails(
    name: &'static str,
    answer: fn(usize) -> Vec<Step>,
    kind: fn(&Error) -> bool,
    transient: bool,
    requests: usize,
) -> Fault {
    Fault {
        name,
        answer,
        expect: Expect::Fails { kind, transient },
        requests,
    }
}

fn send(bytes: Vec<u8>) -> Vec<Step> {
    vec![Step::Send(bytes)]
}

fn ok_json(body: &str) -> Vec<Step> {
    send(json("200 OK", body))
}

fn malformed(e: &Error) -> bool {
    matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.is_success())
}

fn malformed_expires_in(e: &Error) -> bool {
    matches!(e, Error::MalformedResponse { status: Some(s), reason } if s.as_u16() == 200 && reason.contains("expires_in"))
}

fn too_large(e: &Error) -> bool {
    matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("larger"))
}

fn transport(e: &Error) -> bool {
    matches!(e, Error::Transport(_))
}

fn timeout(e: &Error) -> bool {
    matches!(e, Error::Timeout)
}

fn dpop(e: &Error) -> bool {
    matches!(e, Error::Dpop(_))
}

fn oauth(status: u16, error: &str, e: &Error) -> bool {
    e.oauth_error()
        .is_some_and(|o| o.status().as_u16() == status && o.error() == error)
}

fn use_dpop_nonce(nonce: &str) -> Vec<u8> {
    response(
        "400 Bad Request",
        &[("Content-Type", "application/json"), ("DPoP-Nonce", nonce)],
        br#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof."}"#,
    )
}

/// A 10 MB body that starts like a token response.
fn ten_mb() -> Vec<u8> {
    let start = format!(r#"{{"access_token":"{SECRET}","pad":""#);
    // `vec!` of a byte is a memset even unoptimized; `resize` is a loop.
    let mut body = vec![b'x'; 10 * MB];
    body[..start.len()].copy_from_slice(start.as_bytes());
    body
}

#[rustfmt::skip]
fn faults() -> Vec<Fault> {
    vec![
        // Server errors: typed, transient, one request.
        fails("500 okta error document", |_| send(json("500 Internal Server Error",
            r#"{"errorCode":"E0000009","errorSummary":"Internal Server Error","errorId":"oae500"}"#)),
            |e| oauth(500, "E0000009", e) && e.oauth_error().unwrap().error_id() == Some("oae500"), true, 1),
        fails("500 empty body", |_| send(response("500 Internal Server Error", &[], b"")),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 500), true, 1),
        fails("502 html from a proxy", |_| send(response("502 Bad Gateway", &[("Content-Type", "text/html")],
            format!("<html>{SECRET}</html>").as_bytes())),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 502), true, 1),
        fails("503 with retry-after", |_| send(response("503 Service Unavailable",
            &[("Content-Type", "application/json"), ("Retry-After", "120")],
            br#"{"error":"temporarily_unavailable"}"#)),
            |e| oauth(503, "temporarily_unavailable", e) && e.retry_after().is_none(), true, 1),
        // Rate limits: the wait is Okta's rule, reset - Date + 1 s.
        fails("429 with reset and date", |_| send(response("429 Too Many Requests",
            &[("Date", DATE_2030), ("X-Rate-Limit-Limit", "100"), ("X-Rate-Limit-Remaining", "0"),
              ("X-Rate-Limit-Reset", "1893456041")],
            br#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}"#)),
            |e| matches!(e, Error::RateLimited { .. }) && e.retry_after() == Some(Duration::from_secs(42)), true, 1),
        fails("429 with reset, without date", |_| send(response("429 Too Many Requests",
            &[("X-Rate-Limit-Reset", "4102444800")], b"")),
            // Counted on this machine's clock: a wait until 2100.
            |e| matches!(e, Error::RateLimited { reset_at: Some(_), .. })
                && e.retry_after().is_some_and(|d| d > Duration::from_secs(365 * 24 * 3600)), true, 1),
        fails("429 without reset or date", |_| send(response("429 Too Many Requests", &[], b"")),
            |e| matches!(e, Error::RateLimited { reset_at: None, .. }) && e.retry_after().is_none(), true, 1),
        fails("429 with retry-after only", |_| send(response("429 Too Many Requests", &[("Retry-After", "7")], b"")),
            |e| e.retry_after() == Some(Duration::from_secs(7)), true, 1),
        fails("429 with a huge reset", |_| send(response("429 Too Many Requests",
            &[("Date", DATE_2030), ("X-Rate-Limit-Reset", "18446744073709551615")], b"")),
            |e| matches!(e, Error::RateLimited { reset_at: None, .. })
                && e.retry_after() == Some(Duration::from_secs(u64::MAX - 1_893_456_000 + 1)), true, 1),
        // Client errors: typed, permanent.
        fails("400 invalid_client", |_| send(json("400 Bad Request",
            r#"{"error":"invalid_client","error_description":"The client_assertion signature is invalid."}"#)),
            |e| oauth(400, "invalid_client", e), false, 1),
        fails("401 invalid_client", |_| send(json("401 Unauthorized",
            r#"{"error":"invalid_client","error_description":"Client authentication failed."}"#)),
            |e| oauth(401, "invalid_client", e), false, 1),
        fails("400 invalid_scope", |_| send(json("400 Bad Request", r#"{"error":"invalid_scope"}"#)),
            |e| oauth(400, "invalid_scope", e), false, 1),
        fails("403 html", |_| send(response("403 Forbidden", &[], b"<html>denied</html>")),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 403), false, 1),
        fails("307 redirect to another host", |_| send(response("307 Temporary Redirect",
            &[("Location", "http://localhost:9/steal")], b"")),
            // Followed, it would be a transport error (nothing listens there).
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 307), false, 1),
        fails("status 999", |_| send(response("999 Whatever", &[], b"")),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 999), false, 1),
        // Bodies of a 200.
        fails("truncated json", |_| ok_json(&GOOD[..40]), malformed, false, 1),
        fails("malformed json", |_| ok_json(&format!(r#"{{"access_token":"{SECRET}",,}}"#)), malformed, false, 1),
        fails("empty body", |_| ok_json(""), malformed, false, 1),
        fails("json array", |_| ok_json("[]"), malformed, false, 1),
        fails("204 no content", |_| send(response("204 No Content", &[], b"")), malformed, false, 1),
        fails("10 MB body with its length", |_| send(response("200 OK", &[], &ten_mb())), too_large, false, 1),
        fails("10 MB body chunked", |_| {
            let mut out = head("200 OK", &[("Transfer-Encoding", "chunked")]);
            for piece in ten_mb().chunks(64 * 1024) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            send(out)
        }, too_large, false, 1),
        fails("no access_token", |_| ok_json(r#"{"token_type":"Bearer","expires_in":3600}"#), malformed, false, 1),
        fails("empty access_token", |_| ok_json(r#"{"token_type":"Bearer","expires_in":3600,"access_token":""}"#),
            malformed, false, 1),
        fails("access_token with a line break", |_| ok_json(r#"{"token_type":"Bearer","expires_in":3600,"access_token":"a\r\nX: y"}"#),
            malformed, false, 1),
        fails("duplicate access_token", |_| ok_json(r#"{"token_type":"Bearer","expires_in":3600,"access_token":"a","access_token":"b"}"#),
            malformed, false, 1),
        fails("token_type mac", |_| ok_json(&GOOD.replace("Bearer", "mac")),
            |e| matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("token_type")), false, 1),
        fails("expires_in 0", |_| ok_json(&GOOD.replace("3600", "0")), malformed_expires_in, false, 1),
        fails("expires_in negative", |_| ok_json(&GOOD.replace("3600", "-1")), malformed, false, 1),
        fails("expires_in huge", |_| ok_json(&GOOD.replace("3600", "18446744073709551615")), malformed_expires_in, false, 1),
        fails("expires_in beyond u64", |_| ok_json(&GOOD.replace("3600", "1e300")), malformed, false, 1),
        fails("expires_in a string", |_| ok_json(&GOOD.replace("3600", "\"3600\"")), malformed, false, 1),
        fails("expires_in null", |_| ok_json(&GOOD.replace("3600", "null")), malformed_expires_in, false, 1),
        // Broken HTTP.
        fails("1 MB header line", |_| send(response("200 OK", &[("X-Pad", &"x".repeat(MB))], GOOD.as_bytes())),
            transport, true, 1),
        fails("garbage status line", |_| send(b"HELLO THERE\r\n\r\n".to_vec()), transport, true, 1),
        fails("two different content-lengths", |_| {
            let mut out = head("200 OK", &[("Content-Length", "10"), ("Content-Length", "20")]);
            out.extend_from_slice(GOOD.as_bytes());
            send(out)
        }, transport, true, 1),
        fails("content-length longer than the body", |_| {
            let mut out = head("200 OK", &[("Content-Length", "4096")]);
            out.extend_from_slice(GOOD.as_bytes());
            vec![Step::Send(out), Step::Close]
        }, transport, true, 1),
        fails("broken chunk size", |_| {
            let mut out = head("200 OK", &[("Transfer-Encoding", "chunked")]);
            out.extend_from_slice(b"zz\r\nhello\r\n");
            vec![Step::Send(out), Step::Close]
        }, transport, true, 1),
        fails("close before headers", |_| vec![Step::Close], transport, true, 1),
        fails("reset before headers", |_| vec![Step::Reset], transport, true, 1),
        fails("reset mid-body", |_| {
            let mut out = head("200 OK", &[("Content-Length", "4096")]);
            out.extend_from_slice(&GOOD.as_bytes()[..30]);
            vec![Step::Send(out), Step::Reset]
        }, transport, true, 1),
        fails("no answer", |_| vec![Step::Hang], timeout, true, 1),
        fails("headers then nothing", |_| vec![
            Step::Send(head("200 OK", &[("Content-Length", "100")])), Step::Hang,
        ], timeout, true, 1),
        fails("body trickled past the timeout", |_| vec![
            Step::Send(head("200 OK", &[("Content-Length", &GOOD.len().to_string())])),
            Step::Trickle { bytes: GOOD.as_bytes().to_vec(), chunk: 1, every: Duration::from_millis(50) },
        ], timeout, true, 1),
        fails("headers trickled past the timeout", |_| vec![
            Step::Trickle { bytes: json("200 OK", GOOD), chunk: 1, every: Duration::from_millis(50) },
        ], timeout, true, 1),
        // DPoP nonces.
        fails("1 MB DPoP-Nonce", |_| send(use_dpop_nonce(&"n".repeat(MB))), transport, true, 1),
        fails("2 KB DPoP-Nonce", |_| send(use_dpop_nonce(&"n".repeat(2048))), dpop, false, 1),
        fails("DPoP-Nonce with a space", |_| send(use_dpop_nonce("a b")), dpop, false, 1),
        fails("use_dpop_nonce without a nonce", |_| send(json("400 Bad Request", r#"{"error":"use_dpop_nonce"}"#)),
            dpop, false, 1),
        fails("endless use_dpop_nonce", |n| send(use_dpop_nonce(&format!("nonce-{n}"))), dpop, false, 2),
        // Legal, if unusual: these must work.
        Fault { name: "http/1.0 without a length", answer: |_| vec![
            Step::Send(format!("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{GOOD}").into_bytes()),
            Step::Close,
        ], expect: Expect::Token, requests: 1 },
        Fault { name: "100 continue first", answer: |_| {
            let mut out = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
            out.extend_from_slice(&json("200 OK", GOOD));
            send(out)
        }, expect: Expect::Token, requests: 1 },
        Fault { name: "one use_dpop_nonce", answer: |n| match n {
            0 => send(use_dpop_nonce("nonce-0")),
            _ => ok_json(GOOD),
        }, expect: Expect::Token, requests: 2 },
        fails("http/1.0 without a length, 10 MB", |_| {
            let mut out = b"HTTP/1.0 200 OK\r\n\r\n".to_vec();
            out.extend_from_slice(&ten_mb());
            vec![Step::Send(out), Step::Close]
        }, too_large, false, 1),
    ]
}

/// The source under test. `http` is shared by the rows: building a
/// reqwest client costs ~80 ms of CPU in a debug build, which 100 rows at
/// once would spend inside each other's timeouts.
fn source(server: &RawServer, http: &reqwest::Client, timeout: Duration) -> ServiceAppSource {
    let org: OrgUrl = server.url().parse().unwrap();
    ServiceAppSource::builder(org, "0oaFaults")
        .http_client(http.clone())
        .private_key(SigningKey::generate_p256().with_kid("k1"))
        .scopes(["okta.users.read"])
        .timeout(timeout)
        .build()
        .unwrap()
}

/// What went wrong with one row, if anything.
fn check(fault: &Fault, result: &Result<AccessToken, Error>) -> Result<(), String> {
    match (fault.expect, result) {
        (Expect::Token, Ok(_)) => Ok(()),
        (Expect::Fails { kind, transient }, Err(e)) => {
            let shown = format!("{e} {e:?}");
            if !kind(e) {
                Err(format!("wrong error: {e:?}"))
            } else if e.is_transient() != transient {
                Err(format!("is_transient() = {}: {e:?}", e.is_transient()))
            } else if shown.contains(SECRET) {
                Err(format!("the error shows the body: {shown}"))
            } else {
                Ok(())
            }
        }
        (_, other) => Err(format!("unexpected outcome: {other:?}")),
    }
}

/// A direct `token()` call.
async fn direct(fault: Fault, http: reqwest::Client) -> Result<(), String> {
    let server = RawServer::start(Arc::new(fault.answer)).await;
    let result = source(&server, &http, fault.timeout()).token().await;
    check(&fault, &result)?;
    match server.requests() {
        n if n == fault.requests => Ok(()),
        n => Err(format!("{n} requests, expected {}", fault.requests)),
    }
}

/// A cache that holds a valid token refreshes (in the background, from its
/// advisory point, here at once) into the fault, and keeps serving the token.
async fn cached(fault: Fault, http: reqwest::Client) -> Result<(), String> {
    let answer = fault.answer;
    let server = RawServer::start(Arc::new(move |n| match n {
        0 => ok_json(GOOD),
        n => answer(n - 1),
    }))
    .await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let cache = CachingTokenSource::builder(source(&server, &http, fault.timeout()))
        .refresh_ahead(0.0)
        .refresh_jitter(0.0)
        // Long enough that no second refresh starts while the row runs.
        .backoff(Duration::from_secs(60), Duration::from_secs(60))
        .error_ttl(Duration::from_secs(60))
        .observer(move |event| {
            let _ = tx.send(event.clone());
        })
        .build()
        .unwrap();
    let first = cache
        .token()
        .await
        .map_err(|e| format!("first fetch: {e:?}"))?;
    // Started and Refreshed.
    for _ in 0..2 {
        events.recv().await;
    }
    // The advisory point is the token's arrival, but on a multi-threaded
    // runtime the cache's clock-free hits last until its timer fires: ask
    // until a background refresh starts, getting the cached token each time.
    loop {
        let during = cache.token().await.map_err(|e| format!("during: {e:?}"))?;
        if !during.same_token(&first) {
            return Err("a caller waited for the refresh".into());
        }
        match tokio::time::timeout(Duration::from_millis(5), events.recv()).await {
            Ok(Some(RefreshEvent::Started { .. })) => break,
            Ok(other) => return Err(format!("unexpected event {other:?}")),
            Err(_) => {}
        }
    }
    let outcome = match events.recv().await {
        Some(RefreshEvent::Failed {
            error,
            serving_cached,
            ..
        }) => {
            if !serving_cached {
                return Err(format!("the valid token was dropped: {error:?}"));
            }
            Err(error)
        }
        Some(RefreshEvent::Refreshed { .. }) => {
            Ok(cache.token().await.map_err(|e| format!("{e:?}"))?)
        }
        other => return Err(format!("unexpected event {other:?}")),
    };
    check(&fault, &outcome)?;
    let after = cache.token().await.map_err(|e| format!("after: {e:?}"))?;
    if outcome.is_err() && !after.same_token(&first) {
        return Err("the cached token is no longer served".into());
    }
    match server.requests() {
        n if n == 1 + fault.requests => Ok(()),
        n => Err(format!("{n} requests, expected 1 + {}", fault.requests)),
    }
}

/// Runs the rows, [`CONCURRENT_ROWS`] at a time, each under the safety
/// timeout, and fails with every row that went wrong.
#[allow(clippy::disallowed_methods)] // measures real time, for the log
async fn run_matrix<F, Fut>(mode: &str, run: F)
where
    F: Fn(Fault, reqwest::Client) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let faults = faults();
    assert!(faults.len() >= 25);
    // Like the source's default client: a token request follows no redirect.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let mut rows = JoinSet::new();
    let slots = Arc::new(Semaphore::new(CONCURRENT_ROWS));
    for fault in faults.iter().copied() {
        let row = run(fault, http.clone());
        let slots = Arc::clone(&slots);
        rows.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let outcome = match tokio::time::timeout(SAFETY, row).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("still running after {SAFETY:?}")),
            };
            (fault.name, outcome)
        });
    }
    let mut failed = Vec::new();
    while let Some(joined) = rows.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((name, Err(why))) => failed.push(format!("{name}: {why}")),
            Err(panic) => failed.push(format!("a row panicked: {panic}")),
        }
    }
    println!(
        "fault matrix ({mode}): {} faults in {:?}",
        faults.len(),
        started.elapsed()
    );
    failed.sort();
    assert!(failed.is_empty(), "{mode}:\n{}", failed.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_a_typed_error_after_bounded_requests() {
    run_matrix("direct", direct).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_token_is_served_through_every_fault() {
    run_matrix("cached", cached).await;
}

/// Issue 11, item 5: a token that expires as it arrives is of no use to
/// anyone; `expires_in: 0` is a malformed response, not an `Ok`.
#[tokio::test]
async fn expires_in_zero_is_a_malformed_response() {
    let server = RawServer::start(Arc::new(|_| ok_json(&GOOD.replace("3600", "0")))).await;
    let http = reqwest::Client::new();
    let err = source(&server, &http, PATIENT_TIMEOUT)
        .token()
        .await
        .unwrap_err();
    assert!(malformed_expires_in(&err), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(server.requests(), 1);
}
