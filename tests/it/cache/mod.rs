//! `CachingTokenSource` through the public API: a scripted counting source
//! under paused time, and a real loopback token endpoint (wiremock).
//!
//! The scripted source (`Fake`, `Step`) and its helpers live here; each
//! behaviour has a module of its own.

mod backoff;
mod invalidation;
mod lifecycle;
#[cfg(feature = "test-util")]
mod mock_okta;
mod real_server;
mod refresh;
mod scenarios;
mod single_flight;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::http::StatusCode;
use okta_auth::{
    AccessToken, CachingTokenSource, Error, OAuthError, TokenSource, TokenSourceExt, TokenType,
};
use tokio::time::{Instant, sleep};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// What the fake source does on one call.
#[derive(Clone)]
enum Step {
    /// A bearer token with this lifetime.
    Ok(Duration),
    /// A token without expiry.
    Forever,
    /// A token that has already expired.
    Expired,
    /// This error.
    Err(Error),
    /// A `429` whose rate-limit window resets this long after the call.
    RateLimited(Duration),
    /// The source panics.
    Panic,
    /// The source never answers (the load timeout ends the fetch).
    Hang,
}

fn transient() -> Error {
    Error::OAuth(OAuthError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
    ))
}

fn permanent() -> Error {
    Error::OAuth(OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client"))
}

/// Okta's `429` with a window that resets `reset_in` after its `Date`: the
/// one place that builds `Error::RateLimited`.
fn rate_limited(reset_in: Duration) -> Error {
    const DATE: u64 = 1_900_000_000;
    let mut headers = okta_auth::http::HeaderMap::new();
    let date = std::time::UNIX_EPOCH + Duration::from_secs(DATE);
    headers.insert("date", httpdate::fmt_http_date(date).parse().unwrap());
    // Okta's rule adds 1 s for skew: announce a reset 1 s earlier.
    let reset = DATE + reset_in.as_secs().saturating_sub(1);
    headers.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
    let error = Error::rate_limited(&headers);
    assert_eq!(
        error.retry_after(),
        Some(reset_in.max(Duration::from_secs(1)))
    );
    error
}

/// A counting source that follows a script (then repeats `fallback`), each
/// call taking `delay` of (paused) time.
struct Fake {
    calls: AtomicUsize,
    completed: AtomicUsize,
    invalidated: AtomicUsize,
    script: Mutex<VecDeque<Step>>,
    fallback: Step,
    delay: Duration,
}

impl Fake {
    fn new(script: impl IntoIterator<Item = Step>, fallback: Step, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
            invalidated: AtomicUsize::new(0),
            script: Mutex::new(script.into_iter().collect()),
            fallback,
            delay,
        })
    }

    fn push(&self, step: Step) {
        self.script.lock().unwrap().push_back(step);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenSource for Fake {
    async fn token(&self) -> Result<AccessToken, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let step = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.fallback.clone());
        if !self.delay.is_zero() {
            sleep(self.delay).await;
        }
        match step {
            Step::Panic => panic!("a broken token source"),
            Step::Hang => std::future::pending::<()>().await,
            _ => {}
        }
        self.completed.fetch_add(1, Ordering::SeqCst);
        let token = AccessToken::new(TokenType::Bearer, format!("secret-token-{n}"))?;
        match step {
            Step::Ok(lifetime) => Ok(token.with_lifetime(lifetime)),
            Step::Forever => Ok(token),
            Step::Expired => Ok(token.with_lifetime(Duration::ZERO)),
            Step::Err(e) => Err(e),
            Step::RateLimited(reset_in) => Err(rate_limited(reset_in)),
            Step::Panic | Step::Hang => unreachable!("handled above"),
        }
    }

    fn invalidate(&self, _rejected: &AccessToken) {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
    }
}

/// A 100 s token: advisory at 75 s exactly (no jitter), mandatory at 90 s;
/// transient backoff 10 s (jittered into 5..=10 s), permanent errors 2 s.
fn cache(fake: &Arc<Fake>) -> CachingTokenSource<Arc<Fake>> {
    CachingTokenSource::builder(Arc::clone(fake))
        .refresh_jitter(0.0)
        .backoff(secs(10), secs(10))
        .build()
        .unwrap()
}

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> Instant {
    Instant::now()
}

/// Polls once: `Some` if the future completes without waiting.
fn now_or_never<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Lets spawned tasks that are ready run to completion (no time passes).
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

const DAY: Duration = okta_auth::cache::MAX_ERROR_WAIT;
