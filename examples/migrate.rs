//! From an API token to a least-privilege, DPoP-bound service app while
//! the service keeps calling Okta, in one command:
//!
//! ```sh
//! cargo run --example migrate
//! ```
//!
//! With no `OKTA_CLIENT_ORGURL` set, it runs against the embedded fake Okta
//! (`okta_auth::testing::MockOkta`) on loopback. A background task calls
//! `GET /api/v1/users` through `OktaAuth` every few milliseconds the whole
//! time, while the program:
//!
//! 1. starts from an API token (`SSWS`);
//! 2. provisions a service app (`OktaAdmin::create_service_app`: scope
//!    `okta.users.read`, the read-only admin role, DPoP required);
//! 3. moves the running client onto it (`OktaAuth::switch_source`);
//! 4. rotates the app's key under that load (`rotation::KeyRotation`);
//! 5. retires the API token (`OktaAdmin::revoke_current_api_token`);
//!
//! then prints the calls made, the failed calls (it exits non-zero on any)
//! and what went over the wire.
//!
//! With `OKTA_CLIENT_ORGURL` and `OKTA_CLIENT_TOKEN` (an admin's API token)
//! set, it prints what it would do to that org and does nothing; run it
//! again with `--yes` to do it. The app's private key is then written to
//! `okta-auth-migrate-{client id}.pem` as soon as the app exists (it is shown
//! nowhere else; the rotation's new key goes to `….pem.next` first and
//! replaces it once the rotation is done), and the API token in
//! `OKTA_CLIENT_TOKEN` no longer works afterwards. If a step fails, it
//! stops, prints what now exists in the org and where the keys are, and
//! exits non-zero.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_auth::admin::{AdminRole, ServiceAppSpec};
use okta_auth::config::{ENV_ORG_URL, ENV_TOKEN};
use okta_auth::rotation::KeyRotation;
use okta_auth::secrecy::ExposeSecret;
use okta_auth::testing::{MockOkta, ReceivedRequest};
use okta_auth::{ApiTokenSource, OktaAdmin, OktaAuth, OrgUrl, SigningKey};
use okta_auth::{reqwest, reqwest_middleware};

type BoxError = Box<dyn std::error::Error>;

const FAKE_API_TOKEN: &str = "00migrate-admin-api-token";
const APP_NAME: &str = "okta-auth-migrate";
const SCOPES: [&str; 1] = ["okta.users.read"];
const ROLE: AdminRole = AdminRole::ReadOnlyAdmin;
/// Calls of the loop to wait for between two steps.
const CALLS_PER_PHASE: usize = 10;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match migrate().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migrate: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn migrate() -> Result<(), BoxError> {
    let org = std::env::var(ENV_ORG_URL).ok();
    let token = std::env::var(ENV_TOKEN).ok();
    let failed = match (org, token) {
        (None, None) => {
            println!("No {ENV_ORG_URL} set: starting a fake Okta org on loopback.\n");
            let okta = MockOkta::start().await;
            okta.register_api_token(FAKE_API_TOKEN);
            let mut wire = Wire::default();
            let run = Migration {
                org: okta.org_url(),
                api_token: FAKE_API_TOKEN.to_owned(),
                interval: Duration::from_millis(2),
                okta: Some(&okta),
                save_key: false,
            };
            let (failed, app_id) = run.run(&mut wire, &mut Vec::new()).await?;
            wire.snapshot(&okta);
            wire.print(&app_id);
            failed
        }
        (Some(org), Some(token)) => {
            let org: OrgUrl = org.parse()?;
            print_plan(&org);
            if !std::env::args().any(|a| a == "--yes") {
                println!("\nNothing done. Run again with --yes to do it.");
                return Ok(());
            }
            let run = Migration {
                org: org.clone(),
                api_token: token,
                interval: Duration::from_millis(200),
                okta: None,
                save_key: true,
            };
            let mut done = Vec::new();
            match run.run(&mut Wire::default(), &mut done).await {
                Ok((failed, _)) => failed,
                Err(e) => {
                    print_stopped(&org, &done);
                    return Err(e);
                }
            }
        }
        _ => return Err(format!("set both {ENV_ORG_URL} and {ENV_TOKEN}, or neither").into()),
    };
    if failed > 0 {
        return Err(format!("{failed} calls failed").into());
    }
    Ok(())
}

fn print_plan(org: &OrgUrl) {
    println!("This will change the org {org}:");
    println!(
        "  - create the service app {APP_NAME:?} (private_key_jwt, a new P-256 key, DPoP required),"
    );
    println!(
        "    grant it {SCOPES:?} and assign it the {} role;",
        ROLE.role_type()
    );
    println!("  - move a loop of GET /api/v1/users?limit=1 calls from the API token onto it;");
    println!(
        "  - rotate its key (add a new one, switch, prove, deactivate and delete the old one),"
    );
    println!("    writing the final private key to okta-auth-migrate-{{client id}}.pem;");
    println!("  - revoke the API token in {ENV_TOKEN} (DELETE /api/v1/api-tokens/current).");
}

/// After a failed step against a real org: what the steps before it left.
fn print_stopped(org: &OrgUrl, done: &[String]) {
    eprintln!("\nStopped midway; the step below failed. What exists now in {org}:");
    if done.is_empty() {
        eprintln!("  nothing: no change was made.");
    }
    for line in done {
        eprintln!("  - {line}");
    }
    if !done.iter().any(|line| line.starts_with("revoking")) {
        eprintln!("  - the API token in {ENV_TOKEN}: not revoked by this run.");
    }
}

struct Migration<'a> {
    org: OrgUrl,
    api_token: String,
    interval: Duration,
    okta: Option<&'a MockOkta>,
    save_key: bool,
}

impl Migration<'_> {
    /// Every step, with the loop running; the number of failed calls. What
    /// each step leaves in the org goes into `done` as it happens.
    async fn run(
        &self,
        wire: &mut Wire,
        done: &mut Vec<String>,
    ) -> Result<(usize, String), BoxError> {
        let tap = |wire: &mut Wire| {
            if let Some(okta) = self.okta {
                wire.snapshot(okta);
            }
        };
        let admin = OktaAdmin::new(self.org.clone(), ApiTokenSource::new(&self.api_token)?)?;
        let auth = OktaAuth::new(self.org.clone(), ApiTokenSource::new(&self.api_token)?);
        let http = reqwest::Client::builder()
            .redirect(auth.redirect_policy())
            .build()?;
        let client = reqwest_middleware::ClientBuilder::new(http)
            .with(auth.clone())
            .build();
        let mut url = self.org.endpoint("api/v1/users");
        url.set_query(Some("limit=1"));
        let load = Load::start(client, url, self.interval);

        load.wait(CALLS_PER_PHASE).await?;
        tap(wire);
        println!(
            "1. API token: the loop calls GET /api/v1/users with SSWS ({} calls so far)",
            load.calls()
        );

        let spec = ServiceAppSpec::new(APP_NAME)
            .scopes(SCOPES)
            .roles([ROLE])
            .require_dpop(true);
        let app = admin.create_service_app(spec).await?;
        let first_kid = app.key.kid().unwrap_or("-").to_owned();
        done.push(format!(
            "the service app {} ({APP_NAME:?}, key kid {first_kid})",
            app.client_id
        ));
        let path = format!("okta-auth-migrate-{}.pem", app.client_id);
        if self.save_key {
            write_key(&path, &app.key).map_err(|e| {
                format!("{e}; the app is of no use without it: delete it in the Admin Console")
            })?;
            done.push(format!("its private key (kid {first_kid}) in {path}"));
        }
        tap(wire);
        println!(
            "2. Provisioned service app {} (kid {}): scopes {:?}, role {}, DPoP required: {}",
            app.client_id,
            app.key.kid().unwrap_or("-"),
            app.scopes,
            ROLE.role_type(),
            app.require_dpop
        );

        let source = app.source_builder().build()?;
        // Its clones share the key, so the rotation below reaches the one
        // OktaAuth now holds.
        auth.switch_source(source.clone()).await?;
        load.wait(CALLS_PER_PHASE).await?;
        tap(wire);
        println!(
            "3. Switched the running client to the service app ({} calls so far)",
            load.calls()
        );

        let new_key = SigningKey::generate_p256();
        let kid = new_key.thumbprint();
        let new_key = new_key.with_kid(kid.clone());
        // Saved before Okta knows it: whichever key the app holds if the
        // rotation stops midway, its private half is on disk.
        let next = format!("{path}.next");
        if self.save_key {
            write_key(&next, &new_key)?;
            done.push(format!(
                "the rotation's new key (kid {kid}) in {next}; a rotation stopped midway \
                 is finished by running it again (rotation::KeyRotation)"
            ));
        }
        let before = load.calls();
        let report = KeyRotation::for_source(&source, new_key)?
            .run(&admin, &source)
            .await?;
        let during = load.calls() - before;
        if self.save_key {
            std::fs::rename(&next, &path).map_err(|e| format!("moving {next} to {path}: {e}"))?;
            done.retain(|line| !line.contains(&path));
            done.push(format!(
                "its private key (kid {kid}; kid {first_kid} is deleted) in {path}"
            ));
        }
        load.wait(CALLS_PER_PHASE).await?;
        tap(wire);
        println!("4. Rotated the key under load ({during} calls during the rotation): {report}");
        if self.save_key {
            println!(
                "   The app's private key (kid {kid}) is in {path}: move it to your secret manager."
            );
        }

        // The token is the way back: keep it while any call has failed.
        let failed_so_far = load.failed();
        if failed_so_far > 0 {
            return Err(format!(
                "{failed_so_far} calls failed before the API token was to be revoked; \
                 it is kept"
            )
            .into());
        }
        done.push(format!(
            "revoking the API token in {ENV_TOKEN} failed: it may be revoked or not"
        ));
        admin.revoke_current_api_token().await?;
        load.wait(CALLS_PER_PHASE).await?;
        tap(wire);
        println!("5. Revoked the API token; the loop goes on with the service app");

        let (calls, failures) = load.stop().await;
        println!("\nCalls made: {calls}, failed calls: {}", failures.len());
        for failure in failures.iter().take(5) {
            println!("  failed: {failure}");
        }
        Ok((failures.len(), app.client_id))
    }
}

/// Writes `key` as PKCS#8 PEM to a new file `path`.
fn write_key(path: &str, key: &SigningKey) -> Result<(), BoxError> {
    write_secret(path, key.to_pkcs8_pem()?.expose_secret())
        .map_err(|e| format!("writing the private key to {path}: {e}").into())
}

/// Creates `path` (never overwriting), readable by its owner only on Unix.
fn write_secret(path: &str, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// The background task: `GET url` every `interval` through the client.
struct Load {
    calls: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(
        client: reqwest_middleware::ClientWithMiddleware,
        url: okta_auth::url::Url,
        interval: Duration,
    ) -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (calls, failures, stop) = (calls.clone(), failures.clone(), stop.clone());
            async move {
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while !stop.load(Ordering::SeqCst) {
                    tick.tick().await;
                    let failure = match client.get(url.clone()).send().await {
                        Ok(r) if r.status().is_success() => None,
                        Ok(r) => Some(format!("HTTP {}", r.status())),
                        Err(e) => Some(e.to_string()),
                    };
                    if let Some(failure) = failure {
                        failures
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(failure);
                    }
                    calls.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Self {
            calls,
            failures,
            stop,
            task,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// How many calls have failed so far.
    fn failed(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Waits until `more` calls have ended from now (at most a minute).
    async fn wait(&self, more: usize) -> Result<(), BoxError> {
        let target = self.calls() + more;
        let wait = async {
            while self.calls() < target {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .map_err(|_| "the loop of calls stalled")?;
        Ok(())
    }

    /// Stops the loop: the calls made and the failures.
    async fn stop(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let calls = self.calls.clone();
        // The task ends at its next turn; a panic in it is a failed call.
        let panicked = self.task.await.err().map(|e| e.to_string());
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        failures.extend(panicked);
        (calls.load(Ordering::SeqCst), failures)
    }
}

/// Every request the fake org answered, kept across snapshots of its log
/// (which holds the last `RECEIVED_LIMIT` only).
#[derive(Default)]
struct Wire {
    seen: std::collections::HashSet<String>,
    requests: Vec<ReceivedRequest>,
}

impl Wire {
    fn snapshot(&mut self, okta: &MockOkta) {
        for request in okta.received() {
            if self.seen.insert(request.request_id.clone()) {
                self.requests.push(request);
            }
        }
    }

    /// One row per method, path, scheme, assertion `kid` and status, in
    /// order of first appearance, with how many requests it stands for.
    /// The app's id shows as `{app}`, a key's as `{key}`.
    fn print(&self, app_id: &str) {
        type Row = (String, String, String, String, u16);
        let mut rows: Vec<(Row, usize)> = Vec::new();
        for request in &self.requests {
            let path = request
                .path
                .split('/')
                .map(|segment| match segment {
                    s if s == app_id => "{app}",
                    s if s.starts_with("pks") => "{key}",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let kid = request
                .assertion_header
                .as_ref()
                .and_then(|h| h["kid"].as_str())
                .map_or("-".to_owned(), |kid| kid.chars().take(8).collect());
            let row = (
                request.method.to_string(),
                path,
                auth_scheme(&request.headers).to_owned(),
                kid,
                request.status,
            );
            match rows.iter_mut().find(|(r, _)| *r == row) {
                Some((_, count)) => *count += 1,
                None => rows.push((row, 1)),
            }
        }
        println!("\nWhat went over the wire ({{app}} = {app_id}):");
        println!(
            "  {:>5}  {:<6} {:<62} {:<13} {:<9} status",
            "count", "method", "path", "authorization", "signed by"
        );
        for ((method, path, scheme, kid, status), count) in rows {
            println!("  {count:>5}  {method:<6} {path:<62} {scheme:<13} {kid:<9} {status}");
        }
        println!(
            "\n\"signed by\" is the start of the kid of a token request's client assertion. \
             Each 400 is Okta's\nDPoP nonce handshake (use_dpop_nonce), retried at once \
             with the nonce."
        );
    }
}

/// The scheme of a request's `Authorization` header, never its secret.
fn auth_scheme(headers: &okta_auth::http::HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(' ').next())
        .unwrap_or("-")
}
