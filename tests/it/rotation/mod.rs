//! Key rotation with no downtime (`rotation::KeyRotation` over a
//! `KeyRegistry`, `ServiceAppSource::rotate_key`) and switching a live
//! `OktaAuth` to another source, against `testing::MockOkta`, which checks
//! every assertion against the app's active keys.
//!
//! The harness (`OktaAdmin` with an admin's API token as the
//! `KeyRegistry`, the app, the log readers) lives here; each behaviour
//! has a module.

mod interrupted;
mod live_key;
mod okta_admin;
mod okta_rules;
#[cfg(feature = "middleware")]
mod switch_source;
#[cfg(feature = "middleware")]
mod under_load;

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use okta_auth::admin::AppKey;
use okta_auth::http::Method;
use okta_auth::jose::Jwk;
use okta_auth::rotation::KeyRegistry;
use okta_auth::testing::{MockOkta, ReceivedRequest, ServiceApp, Status};
use okta_auth::{
    ApiTokenSource, DpopMode, Error, OAuthError, OktaAdmin, ServiceAppSource, SigningKey,
    TokenSource,
};

/// The fake org's API token (a super admin's).
const ADMIN_TOKEN: &str = "00rotation-admin-token";
/// The app rotated (registered with `register_service_app`: its client id
/// is its app id).
const CLIENT_ID: &str = "0oaRotatingApp";
const SCOPE: &str = "okta.users.read";
const OLD_KID: &str = "orders-2024";
const NEW_KID: &str = "orders-2025";
const TOKEN_PATH: &str = "/oauth2/v1/token";

/// A fake org with the admin's API token and the app [`CLIENT_ID`]
/// holding the old key ([`OLD_KID`]), DPoP required (with a nonce) when
/// `dpop`; and the app's live source, signing with the old key.
async fn org(dpop: bool) -> (MockOkta, ServiceAppSource) {
    let okta = MockOkta::start().await;
    okta.register_api_token(ADMIN_TOKEN);
    let old = SigningKey::generate_p256().with_kid(OLD_KID);
    okta.register_service_app(
        ServiceApp::new(CLIENT_ID)
            .jwk(old.public_jwk())
            .scopes([SCOPE])
            .dpop(dpop, dpop),
    )
    .unwrap();
    let source = source(&okta, old, dpop);
    (okta, source)
}

/// A source for [`CLIENT_ID`] signing with `key`.
fn source(okta: &MockOkta, key: SigningKey, dpop: bool) -> ServiceAppSource {
    ServiceAppSource::builder(okta.org_url(), CLIENT_ID)
        .private_key(key)
        .scopes([SCOPE])
        .dpop(if dpop {
            DpopMode::Always
        } else {
            DpopMode::Never
        })
        .build()
        .unwrap()
}

fn new_key() -> SigningKey {
    SigningKey::generate_p256().with_kid(NEW_KID)
}

/// The app's keys as MockOkta holds them: `(kid, status)`, oldest first.
fn keys(okta: &MockOkta) -> Vec<(String, Status)> {
    okta.app(CLIENT_ID)
        .unwrap()
        .keys
        .into_iter()
        .map(|k| (k.kid.unwrap_or_default(), k.status))
        .collect()
}

/// What a finished rotation leaves: the new key alone, active.
fn rotated() -> Vec<(String, Status)> {
    vec![(NEW_KID.to_owned(), Status::Active)]
}

/// The token requests in `log`, as `(request id, assertion kid, status)`.
fn token_requests(log: &[ReceivedRequest]) -> Vec<(String, String, u16)> {
    log.iter()
        .filter(|r| r.path == TOKEN_PATH)
        .map(|r| {
            let kid = r.assertion_header.as_ref().and_then(|h| h["kid"].as_str());
            (
                r.request_id.clone(),
                kid.unwrap_or_default().to_owned(),
                r.status,
            )
        })
        .collect()
}

/// The kid of the last token request MockOkta received.
fn last_token_kid(okta: &MockOkta) -> String {
    token_requests(&okta.received()).pop().unwrap().1
}

/// The error of one token fetch for [`CLIENT_ID`] signed with `key`, by a
/// fresh source (no cache).
async fn refused(okta: &MockOkta, key: SigningKey, dpop: bool) -> OAuthError {
    let error = source(okta, key, dpop).token().await.unwrap_err();
    error
        .oauth_error()
        .cloned()
        .unwrap_or_else(|| panic!("{error:?}"))
}

/// How many requests of `method` to a path ending in `suffix` the log holds.
fn count(okta: &MockOkta, method: Method, suffix: &str) -> usize {
    okta.received()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}

/// The [`KeyRegistry`] the rotation tests use: `OktaAdmin` over MockOkta
/// with the admin's API token (SSWS), each call delegated to its
/// `KeyRegistry` implementation.
///
/// A tapping registry also keeps every token request in MockOkta's log at
/// each call, so that none is lost when the log (the last
/// `RECEIVED_LIMIT` requests) turns over under load.
struct Registry<'a> {
    okta: &'a MockOkta,
    admin: OktaAdmin,
    tap: Option<Mutex<Vec<ReceivedRequest>>>,
}

impl<'a> Registry<'a> {
    fn new(okta: &'a MockOkta) -> Self {
        Self {
            okta,
            admin: admin(okta),
            tap: None,
        }
    }

    fn tapping(okta: &'a MockOkta) -> Self {
        Self {
            tap: Some(Mutex::new(Vec::new())),
            ..Self::new(okta)
        }
    }

    /// Keeps the token requests now in the log.
    fn take_snapshot(&self) {
        if let Some(tap) = &self.tap {
            let log = self.okta.received();
            tap.lock()
                .unwrap()
                .extend(log.into_iter().filter(|r| r.path == TOKEN_PATH));
        }
    }

    /// Every token request seen by a snapshot, once each.
    fn tapped(&self) -> Vec<ReceivedRequest> {
        self.take_snapshot();
        let mut seen = HashSet::new();
        let tap = self.tap.as_ref().unwrap().lock().unwrap();
        tap.iter()
            .filter(|r| seen.insert(r.request_id.clone()))
            .cloned()
            .collect()
    }
}

/// An `OktaAdmin` of the fake org, with the admin's API token.
fn admin(okta: &MockOkta) -> OktaAdmin {
    OktaAdmin::new(okta.org_url(), ApiTokenSource::new(ADMIN_TOKEN).unwrap()).unwrap()
}

#[async_trait]
impl KeyRegistry for Registry<'_> {
    async fn list_keys(&self, app_id: &str) -> Result<Vec<AppKey>, Error> {
        self.take_snapshot();
        KeyRegistry::list_keys(&self.admin, app_id).await
    }

    async fn add_key(&self, app_id: &str, jwk: &Jwk) -> Result<AppKey, Error> {
        self.take_snapshot();
        KeyRegistry::add_key(&self.admin, app_id, jwk).await
    }

    async fn activate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        self.take_snapshot();
        KeyRegistry::activate_key(&self.admin, app_id, key_id).await
    }

    async fn deactivate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        self.take_snapshot();
        KeyRegistry::deactivate_key(&self.admin, app_id, key_id).await
    }

    async fn delete_key(&self, app_id: &str, key_id: &str) -> Result<(), Error> {
        self.take_snapshot();
        KeyRegistry::delete_key(&self.admin, app_id, key_id).await
    }
}

/// Tasks calling the API through a client without pause, counting what
/// fails and which `Authorization` scheme each call went out with.
#[cfg(feature = "middleware")]
mod load {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use async_trait::async_trait;
    use okta_auth::http::Extensions;
    use okta_auth::url::Url;
    use okta_auth::{OktaAuth, reqwest_middleware};
    use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
    use tokio::sync::Notify;

    /// A client whose requests `auth` authorizes; each response carries
    /// the [`Sent`] scheme of the request that got it.
    pub(crate) fn client(auth: OktaAuth) -> ClientWithMiddleware {
        let http = reqwest::Client::builder()
            .redirect(auth.redirect_policy())
            .build()
            .unwrap();
        ClientBuilder::new(http).with(auth).with(Recorder).build()
    }

    /// The `Authorization` scheme a request went out with, as `OktaAuth`
    /// set it (`SSWS`, `Bearer`, `DPoP`).
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub(crate) struct Sent(pub(crate) String);

    /// Runs after `OktaAuth`: notes the scheme on the response.
    struct Recorder;

    #[async_trait]
    impl Middleware for Recorder {
        async fn handle(
            &self,
            req: reqwest::Request,
            extensions: &mut Extensions,
            next: Next<'_>,
        ) -> reqwest_middleware::Result<reqwest::Response> {
            let scheme = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(' ').next())
                .unwrap_or_default()
                .to_owned();
            let mut response = next.run(req, extensions).await?;
            response.extensions_mut().insert(Sent(scheme));
            Ok(response)
        }
    }

    #[derive(Default)]
    struct State {
        calls: AtomicUsize,
        failures: Mutex<Vec<String>>,
        stop: AtomicBool,
        marked: AtomicBool,
        /// `(begun after the mark, scheme)` → calls.
        schemes: Mutex<HashMap<(bool, String), usize>>,
        progress: Notify,
    }

    /// What the tasks did.
    #[derive(Debug)]
    pub(crate) struct Outcome {
        pub(crate) calls: usize,
        pub(crate) failures: Vec<String>,
        /// `(begun after the mark, scheme)` → calls.
        pub(crate) schemes: HashMap<(bool, String), usize>,
    }

    pub(crate) struct Load {
        state: Arc<State>,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    }

    impl Load {
        /// `n` tasks calling `GET url` through `client` until stopped.
        pub(crate) fn start(n: usize, client: ClientWithMiddleware, url: Url) -> Self {
            let state = Arc::new(State::default());
            let tasks = (0..n)
                .map(|_| {
                    let (state, client, url) = (state.clone(), client.clone(), url.clone());
                    tokio::spawn(async move {
                        while !state.stop.load(Ordering::SeqCst) {
                            let after = state.marked.load(Ordering::SeqCst);
                            match client.get(url.clone()).send().await {
                                Ok(r) if r.status() == 200 => {
                                    let sent = r.extensions().get::<Sent>().unwrap().0.clone();
                                    *state
                                        .schemes
                                        .lock()
                                        .unwrap()
                                        .entry((after, sent))
                                        .or_default() += 1;
                                }
                                Ok(r) => state
                                    .failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("http {}", r.status())),
                                Err(e) => state.failures.lock().unwrap().push(format!("{e:?}")),
                            }
                            state.calls.fetch_add(1, Ordering::SeqCst);
                            state.progress.notify_waiters();
                        }
                    })
                })
                .collect();
            Self { state, tasks }
        }

        /// Waits until `more` calls have ended from now (at most a minute,
        /// so that a stuck load fails the test rather than hanging it).
        pub(crate) async fn wait_for_calls(&self, more: usize) {
            let target = self.state.calls.load(Ordering::SeqCst) + more;
            let wait = async {
                loop {
                    let notified = self.state.progress.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if self.state.calls.load(Ordering::SeqCst) >= target {
                        return;
                    }
                    notified.await;
                }
            };
            tokio::time::timeout(Duration::from_secs(60), wait)
                .await
                .expect("the load stalled");
        }

        /// The calls ended so far.
        pub(crate) fn calls(&self) -> usize {
            self.state.calls.load(Ordering::SeqCst)
        }

        /// Calls begun from now on count as after the mark.
        pub(crate) fn mark(&self) {
            self.state.marked.store(true, Ordering::SeqCst);
        }

        pub(crate) async fn stop(self) -> Outcome {
            self.state.stop.store(true, Ordering::SeqCst);
            for task in self.tasks {
                task.await.unwrap();
            }
            let state = &self.state;
            Outcome {
                calls: state.calls.load(Ordering::SeqCst),
                failures: state.failures.lock().unwrap().clone(),
                schemes: state.schemes.lock().unwrap().clone(),
            }
        }
    }
}
