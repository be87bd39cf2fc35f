//! [`OktaRateLimit`]: wait out Okta's `429`s the way Okta says to, and,
//! when asked, pace requests before them.

mod pacing;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::Extensions;
#[cfg(test)]
use http::{HeaderMap, HeaderValue};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use super::NextSend;
use crate::clock;
use crate::org::OrgUrl;
use crate::request::{self, RateLimitRetry, SendOnce};

use pacing::Pacer;

/// A [`reqwest_middleware::Middleware`] that retries requests to the Okta
/// org that were answered `429 Too Many Requests`, waiting as Okta says.
///
/// The wait is `X-Rate-Limit-Reset − Date + 1 s`: the reset time (the
/// smallest, if the header is repeated) against the server's `Date`, plus a
/// second for clock skew; without `Date`, against this machine's clock.
/// Without `X-Rate-Limit-Reset` a `Retry-After` header is used, and without
/// either the [fallback wait](Self::fallback_wait). The wait is capped by the
/// [maximum wait](Self::max_wait). Then each retry waits a random extra of
/// up to the [jitter](Self::jitter) (1 s by default), so that requests
/// limited together do not all come back at the same instant; never less
/// than the server's wait.
///
/// Each retry carries `X-Okta-Retry-For` (the `X-Okta-Request-Id` of the
/// first answer) and `X-Okta-Retry-Count` (1, 2, …). A request whose body
/// cannot be cloned (a stream) is not retried. When the retries run out the
/// last `429` is returned as the response. Every response from the org gets
/// its [`RateLimit`](crate::RateLimit) in its extensions.
///
/// Requests to other origins pass untouched, and so do responses from them:
/// a response counts as the org's only if its final URL
/// ([`Response::url`](reqwest::Response::url)) is on the org's origin. When
/// the org redirects a request elsewhere and [`OktaAuth`](crate::OktaAuth)
/// follows, the other origin's answer gets no `RateLimit`, its `429` is not
/// retried, and its rate-limit headers do not pace the org.
///
/// # Pacing
///
/// Off by default. With [`pace_below(share)`](Self::pace_below), the
/// middleware also slows down *before* a `429`: Okta reports
/// `X-Rate-Limit-Remaining` on every answer, and when less than `share` of
/// the limit is left, the window's remaining requests are spread evenly
/// until its reset instead of being spent at once. Say 100 requests a minute
/// and `pace_below(0.2)`: the first 80 go at once, the last 20 one every
/// `(reset − now) / remaining`, about every 3 s if they came within the
/// first seconds; the reset refills the window.
///
/// - Limits are tracked per endpoint family, as Okta's buckets are per
///   endpoint: the first three path segments, and whether more follow
///   (`/api/v1/users` and `/api/v1/users/*` are two).
/// - The reset is counted on the server's clock, by the same rule as the
///   wait after a `429` (`X-Rate-Limit-Reset − Date + 1 s`).
/// - Concurrent requests get slots one interval apart, never the same one;
///   requests waiting for a slot or still in flight count against what the
///   last answer said remains, since the server may not have counted them.
/// - No slot is after the reset, and no wait is longer than the
///   [maximum wait](Self::max_wait). After the reset nothing is paced until
///   an answer reports the new window; a limit of 0 (Okta's
///   concurrent-request limit) is never paced.
/// - A reset further ahead than [`MAX_PACED_RESET`](Self::MAX_PACED_RESET)
///   (5 minutes, by `X-Rate-Limit-Reset − Date + 1 s`) is not believed:
///   Okta's windows are a minute long for most endpoints, so such an answer
///   (a gateway writing milliseconds, say) is ignored for pacing instead of
///   pacing the endpoint until that far reset.
/// - The retry after a `429` has waited for its window already (the `429`'s
///   wait, capped by the maximum wait, plus the jitter): it is not paced
///   again in that window, so one retry never waits more than
///   [`max_wait`](Self::max_wait) plus the jitter.
/// - Clones share the pacing state (and so the budget); a
///   `pace_below` call starts a state of its own.
///
/// # Stacking order
///
/// reqwest-middleware runs middleware in the order it is attached, the first
/// one outermost. Attach **`OktaRateLimit` first, then
/// [`OktaAuth`](crate::OktaAuth)**, so every retry passes through `OktaAuth`
/// again and gets a fresh DPoP proof (Okta refuses a proof whose `jti` it
/// has seen):
///
/// ```no_run
/// use okta_auth::reqwest;
/// use okta_auth::{ApiTokenSource, OktaAuth, OktaRateLimit, OrgUrl, RateLimit};
/// use okta_auth::reqwest_middleware::ClientBuilder;
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let org: OrgUrl = "https://example.okta.com".parse()?;
/// let source = ApiTokenSource::new(std::env::var("OKTA_CLIENT_TOKEN")?)?;
///
/// let auth = OktaAuth::new(org.clone(), source);
/// let http = reqwest::Client::builder()
///     .redirect(auth.redirect_policy())
///     .build()?;
/// let client = ClientBuilder::new(http)
///     .with(OktaRateLimit::new(org.clone()).max_wait(Duration::from_secs(30))) // outer
///     .with(auth)                                                              // inner
///     .build();
///
/// let response = client.get(org.endpoint("api/v1/users")).send().await?;
/// if let Some(rate) = response.extensions().get::<RateLimit>() {
///     println!("{:?} calls left", rate.remaining());
/// }
/// # Ok(()) }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
#[derive(Debug, Clone)]
pub struct OktaRateLimit {
    org: OrgUrl,
    max_retries: u32,
    max_wait: Duration,
    fallback_wait: Duration,
    jitter: Duration,
    /// `None`: no pacing.
    pacer: Option<Arc<Pacer>>,
}

impl OktaRateLimit {
    /// Retries after a `429`, as in Okta's SDKs.
    pub const DEFAULT_MAX_RETRIES: u32 = request::DEFAULT_MAX_RETRIES;
    /// The longest wait before one retry: Okta's windows are a minute long.
    pub const DEFAULT_MAX_WAIT: Duration = request::DEFAULT_MAX_WAIT;
    /// The wait when a `429` says nothing of when to come back.
    pub const DEFAULT_FALLBACK_WAIT: Duration = request::DEFAULT_FALLBACK_WAIT;
    /// The longest random extra wait after the server's: each retry waits
    /// `wait + uniform(0, jitter)`, spreading requests that were limited
    /// together over a second after the window resets.
    pub const DEFAULT_JITTER: Duration = request::DEFAULT_JITTER;
    /// No pacing: requests go out as soon as they are made, and only a
    /// `429` makes them wait.
    pub const DEFAULT_PACE_BELOW: f64 = 0.0;
    /// The furthest reset pacing believes: 5 minutes after the answer, by
    /// `X-Rate-Limit-Reset − Date + 1 s`. Okta's rate-limit windows are a
    /// minute long for most endpoints; an answer whose reset is further
    /// away is ignored for pacing (the wait after a `429` has its own cap,
    /// [`max_wait`](Self::max_wait)).
    pub const MAX_PACED_RESET: Duration = pacing::MAX_RESET_AHEAD;

    /// Retries rate-limited requests to `org_url`.
    pub fn new(org_url: OrgUrl) -> Self {
        Self {
            org: org_url,
            max_retries: Self::DEFAULT_MAX_RETRIES,
            max_wait: Self::DEFAULT_MAX_WAIT,
            fallback_wait: Self::DEFAULT_FALLBACK_WAIT,
            jitter: Self::DEFAULT_JITTER,
            pacer: None,
        }
    }

    /// How many times one request is retried after a `429`; `0` turns
    /// retrying off (the [`RateLimit`](crate::RateLimit) extension is still set). Defaults to
    /// [`DEFAULT_MAX_RETRIES`](Self::DEFAULT_MAX_RETRIES).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The longest wait before one retry, whatever the server says (the
    /// [jitter](Self::jitter) comes on top).
    /// Defaults to [`DEFAULT_MAX_WAIT`](Self::DEFAULT_MAX_WAIT).
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The wait when a `429` has neither `X-Rate-Limit-Reset` nor
    /// `Retry-After`. Defaults to
    /// [`DEFAULT_FALLBACK_WAIT`](Self::DEFAULT_FALLBACK_WAIT).
    pub fn fallback_wait(mut self, fallback_wait: Duration) -> Self {
        self.fallback_wait = fallback_wait;
        self
    }

    /// The longest random extra wait added after the server's wait (and
    /// after the maximum wait) before each retry, so that requests limited
    /// together retry at different instants; [`Duration::ZERO`] turns it
    /// off. Defaults to [`DEFAULT_JITTER`](Self::DEFAULT_JITTER).
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Paces requests to the org while less than `share` of an endpoint's
    /// rate limit is left in its window: the rest of the window's requests
    /// are spread evenly until the reset (see [Pacing](#pacing)). `share`
    /// is a fraction of the limit: `0.2` paces the last fifth, `1.0` the
    /// whole window, `0.0` (or less, or NaN) turns pacing off; more than
    /// `1.0` counts as `1.0`. Defaults to
    /// [`DEFAULT_PACE_BELOW`](Self::DEFAULT_PACE_BELOW) (off).
    pub fn pace_below(mut self, share: f64) -> Self {
        self.pacer = (share > 0.0).then(|| Pacer::new(share.min(1.0)));
        self
    }

    /// The crate's one `429` rule with this middleware's settings.
    fn policy(&self) -> RateLimitRetry {
        RateLimitRetry {
            max_retries: self.max_retries,
            max_wait: self.max_wait,
            fallback_wait: self.fallback_wait,
            jitter: self.jitter,
        }
    }

    /// How long to wait after a `429` with `headers`, capped by the maximum
    /// (the rule's, for this module's tests).
    #[cfg(test)]
    fn wait(&self, headers: &HeaderMap) -> Duration {
        self.policy().wait(headers)
    }

    /// `wait` plus the jitter's share `unit` (the rule's, for this
    /// module's tests).
    #[cfg(test)]
    fn jittered(&self, wait: Duration, unit: f64) -> Duration {
        self.policy().jittered(wait, unit)
    }

    /// Claims a unit of the window for a request to `path`, waiting for its
    /// slot (at most the maximum wait) when the window is being paced; a
    /// `429` retry gets no slot in the window it `waited` for.
    async fn pace(&self, pacer: &Arc<Pacer>, path: &str, waited: Option<u64>) -> pacing::Ticket {
        let (ticket, slot) = pacer.claim(path, waited);
        if let Some(slot) = slot {
            let wait = slot
                .saturating_duration_since(clock::now())
                .min(self.max_wait);
            tracing::debug!(?wait, path, "okta rate limit running low; pacing");
            tokio::time::sleep(wait).await;
        }
        ticket
    }
}

#[async_trait]
impl Middleware for OktaRateLimit {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !self.org.is_same_origin(req.url()) {
            return next.run(req, extensions).await;
        }
        let mut paced = Paced {
            limiter: self,
            inner: NextSend { next, extensions },
            waited: None,
        };
        self.policy().send(&self.org, req, &mut paced).await
    }
}

/// The chain below, each send first claiming its unit of a paced window
/// (when pacing) and reporting its answer, if it is the org's.
struct Paced<'a> {
    limiter: &'a OktaRateLimit,
    inner: NextSend<'a>,
    /// The window (by its reset) the last send's `429` left its family in:
    /// the retry that follows has waited for it.
    waited: Option<u64>,
}

impl SendOnce for Paced<'_> {
    type Error = reqwest_middleware::Error;

    async fn send(&mut self, req: Request) -> reqwest_middleware::Result<Response> {
        let waited = self.waited.take();
        let ticket = match &self.limiter.pacer {
            Some(pacer) => Some(self.limiter.pace(pacer, req.url().path(), waited).await),
            None => None,
        };
        let resp = self.inner.send(req).await?;
        // Another origin's answer (a redirect followed below) says nothing
        // of the org's windows: the ticket is only released, on drop.
        if let Some(ticket) = ticket
            && self.limiter.org.is_same_origin(resp.url())
        {
            let window = ticket.report(resp.headers());
            if resp.status() == http::StatusCode::TOO_MANY_REQUESTS {
                self.waited = window;
            }
        }
        Ok(resp)
    }

    fn error(e: crate::Error) -> reqwest_middleware::Error {
        NextSend::error(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn limiter() -> OktaRateLimit {
        OktaRateLimit::new("https://example.okta.com".parse().unwrap())
    }

    #[test]
    fn wait_is_reset_minus_date_plus_one_capped() {
        // 1 Jan 2030 00:00:00 UTC = 1893456000.
        let date = "Tue, 01 Jan 2030 00:00:00 GMT";
        let h = headers(&[("date", date), ("x-rate-limit-reset", "1893456010")]);
        assert_eq!(limiter().wait(&h), Duration::from_secs(11));
        let h = headers(&[
            ("date", date),
            ("x-rate-limit-reset", "1893456030"),
            ("x-rate-limit-reset", "1893456004"),
        ]);
        assert_eq!(limiter().wait(&h), Duration::from_secs(5));
        let h = headers(&[("date", date), ("x-rate-limit-reset", "1893450000")]);
        assert_eq!(limiter().wait(&h), Duration::from_secs(1), "reset passed");
        let h = headers(&[("date", date), ("x-rate-limit-reset", "1893459999")]);
        assert_eq!(limiter().wait(&h), OktaRateLimit::DEFAULT_MAX_WAIT);
        let h = headers(&[
            ("date", date),
            ("x-rate-limit-reset", "18446744073709551615"),
        ]);
        assert_eq!(limiter().wait(&h), OktaRateLimit::DEFAULT_MAX_WAIT);
    }

    #[test]
    fn jitter_comes_after_the_wait_and_is_bounded() {
        let l = limiter();
        let wait = Duration::from_secs(6);
        assert_eq!(l.jittered(wait, 0.0), wait);
        assert_eq!(l.jittered(wait, 0.5), wait + Duration::from_millis(500));
        assert!(l.jittered(wait, 0.999_999) < wait + OktaRateLimit::DEFAULT_JITTER);
        let off = limiter().jitter(Duration::ZERO);
        assert_eq!(off.jittered(wait, 0.7), wait);
        // A huge jitter cannot overflow.
        let huge = limiter().jitter(Duration::MAX);
        assert_eq!(huge.jittered(Duration::MAX, 1.0), Duration::MAX);
    }

    #[test]
    fn fallbacks_apply_without_reset() {
        assert_eq!(
            limiter().wait(&HeaderMap::new()),
            OktaRateLimit::DEFAULT_FALLBACK_WAIT
        );
        let h = headers(&[("x-rate-limit-reset", "soon"), ("date", "garbage")]);
        assert_eq!(limiter().wait(&h), OktaRateLimit::DEFAULT_FALLBACK_WAIT);
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(limiter().wait(&h), Duration::from_secs(7));
        let h = headers(&[
            ("date", "Tue, 01 Jan 2030 00:00:00 GMT"),
            ("retry-after", "Tue, 01 Jan 2030 00:00:03 GMT"),
        ]);
        assert_eq!(limiter().wait(&h), Duration::from_secs(3));
    }
}
