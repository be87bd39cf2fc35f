//! [`OktaAdmin`] and its builder: management calls through the crate's one
//! request path, and what every call shares (span, body cap, errors,
//! pages).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_TYPE, LINK};
use http::{HeaderMap, Method, StatusCode};
use reqwest::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;
use zeroize::Zeroizing;

use crate::cache::CachingTokenSource;
use crate::error::Error;
use crate::org::OrgUrl;
use crate::request::{self, Authorize, Execute, RateLimitRetry, SendOnce, Tally};
use crate::service_app::wire::{self, ClassifyReason};
use crate::token::TokenSource;

/// The timeout of one management request with the client the builder
/// makes: 30 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How many times one management request is retried after a `429`: 2, as
/// in Okta's SDKs (and `OktaRateLimit`).
pub const DEFAULT_RATE_LIMIT_RETRIES: u32 = request::DEFAULT_MAX_RETRIES;

/// The longest wait before one retry after a `429`, whatever the server
/// says: a minute, Okta's window (and `OktaRateLimit`'s). Up to a second of
/// random jitter comes on top.
pub const DEFAULT_RATE_LIMIT_MAX_WAIT: Duration = request::DEFAULT_MAX_WAIT;

/// The most bytes of one management API answer that are read: 1 MiB. A
/// page of 200 apps is a few hundred kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The most pages (`Link: rel="next"`) one list call follows: 50.
pub const MAX_PAGES: usize = 50;

const FORBIDDEN_HINT: &str = "the caller may not do this: an api token needs an admin who may; \
     a service app needs the route's okta.* scope granted and an admin role assigned";

/// The Okta management API for service apps, over any [`TokenSource`]:
/// register clients, manage apps, their keys, scope grants and admin roles,
/// API tokens, and provision a ready service app in one call
/// ([`create_service_app`](Self::create_service_app)). See the
/// [module docs](crate::admin) for what every call does.
///
/// Cloning is cheap; clones share the source (and its cache) and the HTTP
/// client.
///
/// ```no_run
/// use okta_auth::admin::{AdminRole, ServiceAppSpec};
/// use okta_auth::{ApiTokenSource, OktaAdmin, OrgUrl};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let org: OrgUrl = "https://example.okta.com".parse()?;
/// let admin = OktaAdmin::new(org, ApiTokenSource::new(std::env::var("OKTA_CLIENT_TOKEN")?)?)?;
/// let app = admin
///     .create_service_app(
///         ServiceAppSpec::new("orders-sync")
///             .scopes(["okta.users.read"])
///             .roles([AdminRole::ReadOnlyAdmin]),
///     )
///     .await?;
/// println!("client id {}", app.client_id);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OktaAdmin {
    inner: Arc<Inner>,
}

struct Inner {
    org: OrgUrl,
    source: Arc<dyn TokenSource>,
    /// The type of `source` as held here, for `Debug`.
    source_type: &'static str,
    http: reqwest::Client,
    retry: RateLimitRetry,
}

/// Builds an [`OktaAdmin`]; see [`OktaAdmin::builder`].
pub struct OktaAdminBuilder {
    org: OrgUrl,
    source: Arc<dyn TokenSource>,
    source_type: &'static str,
    http: Option<reqwest::Client>,
    timeout: Duration,
    retry: RateLimitRetry,
}

impl OktaAdmin {
    /// Management calls to `org_url` with tokens from `source`, with the
    /// defaults (see [`builder`](Self::builder)). Fails only if the default
    /// HTTP client cannot be built.
    pub fn new<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> Result<Self, Error> {
        Self::builder(org_url, source).build()
    }

    /// Starts a builder for management calls to `org_url` with tokens from
    /// `source`: an [`ApiTokenSource`](crate::ApiTokenSource) of an admin,
    /// or a service app holding the management scopes and an admin role. A
    /// source that is not cached already ([`TokenSource::is_cached`]) is
    /// wrapped in a [`CachingTokenSource`] with the default policy, as
    /// `OktaAuth::new` does.
    pub fn builder<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> OktaAdminBuilder {
        let (source, source_type): (Arc<dyn TokenSource>, &'static str) = if source.is_cached() {
            (Arc::new(source), std::any::type_name::<S>())
        } else {
            (
                Arc::new(CachingTokenSource::new(source)),
                std::any::type_name::<CachingTokenSource<S>>(),
            )
        };
        OktaAdminBuilder {
            org: org_url,
            source,
            source_type,
            http: None,
            timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RateLimitRetry {
                max_retries: DEFAULT_RATE_LIMIT_RETRIES,
                max_wait: DEFAULT_RATE_LIMIT_MAX_WAIT,
                ..RateLimitRetry::default()
            },
        }
    }

    /// The org managed.
    pub fn org_url(&self) -> &OrgUrl {
        &self.inner.org
    }

    /// The HTTP client the calls (and provisioning's proving token fetch)
    /// go through.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// `org/{path}`, every dynamic segment of which has been checked with
    /// [`id`].
    pub(crate) fn url(&self, path: &str) -> Url {
        self.inner.org.endpoint(path)
    }

    /// One management call: the request through the request path, its span,
    /// and the answer read (at most [`MAX_RESPONSE_BYTES`]); a non-`2xx`
    /// answer is an error.
    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, Error> {
        let span = tracing::debug_span!(
            "okta_admin_call",
            method = %method,
            path = url.path(),
            retries = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let fields = span.clone();
        let call = async {
            let mut builder = self
                .inner
                .http
                .request(method, url)
                .header(ACCEPT, "application/json");
            if let Some(body) = body {
                builder = builder.header(CONTENT_TYPE, "application/json").body(body);
            }
            let req = builder.build().map_err(Error::transport)?;
            let mut sender = Authorized {
                auth: Authorize {
                    org: &self.inner.org,
                    origins: None,
                    source: &*self.inner.source,
                    user_agent: true,
                },
                client: &self.inner.http,
                tally: Tally::default(),
            };
            let sent = self.inner.retry.send(req, &mut sender).await;
            fields.record("retries", sender.tally.retries);
            let resp = sent?;
            let status = resp.status();
            fields.record("status", status.as_u16());
            if !self.inner.org.is_same_origin(resp.url()) {
                // A redirect away from the org, followed without
                // credentials: not Okta's answer.
                return Err(Error::MalformedResponse {
                    status: Some(status),
                    reason: "okta redirected the call to another origin".into(),
                });
            }
            let headers = resp.headers().clone();
            let body = wire::read_body_limited(resp, MAX_RESPONSE_BYTES).await?;
            if status.is_success() {
                return Ok(Answer {
                    status,
                    headers,
                    body,
                });
            }
            if status.is_redirection() {
                return Err(Error::MalformedResponse {
                    status: Some(status),
                    reason: "okta answered with a redirect that was not followed".into(),
                });
            }
            Err(match wire::error_from(status, &headers, &body) {
                Error::OAuth(e) if e.error_code() == Some("E0000006") => {
                    Error::OAuth(e.with_hint(FORBIDDEN_HINT))
                }
                e => e,
            })
        };
        call.instrument(span).await
    }

    /// `method path` with an optional JSON `body`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<Answer, Error> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|_| Error::Config("the request body cannot be written as json".into()))?;
        self.exchange(method, self.url(path), body).await
    }

    /// `method path` with an optional JSON body, its answer read as `T`
    /// (`what` names it in an error).
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        what: &str,
    ) -> Result<T, Error> {
        self.call(method, path, body).await?.json(what)
    }

    /// A call whose answer carries nothing we need (`204`, `200 {}`).
    pub(crate) async fn call_empty(&self, method: Method, path: &str) -> Result<(), Error> {
        self.call(method, path, None::<&()>).await.map(drop)
    }

    /// Every item of a list, following `Link: rel="next"` (within the org,
    /// at most [`MAX_PAGES`] pages).
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        mut url: Url,
        what: &str,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.exchange(Method::GET, url, None).await?;
            items.extend(answer.json::<Vec<T>>(what)?);
            match next_page(&answer.headers, &self.inner.org) {
                Some(next) => url = next,
                None => return Ok(items),
            }
        }
        Err(Error::MalformedResponse {
            status: Some(StatusCode::OK),
            reason: format!("the list has more than {MAX_PAGES} pages"),
        })
    }
}

/// A `2xx` answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// Zeroized when dropped: an app object can hold a client secret.
    pub(crate) body: Zeroizing<Vec<u8>>,
}

impl Answer {
    /// The body read as `T`; `what` names it in the error.
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::MalformedResponse {
            status: Some(self.status),
            reason: format!("not {what}: {}", e.classify_reason()),
        })
    }
}

/// The request path's authorization layer over a plain client: what each
/// `429` retry goes through again.
struct Authorized<'a> {
    auth: Authorize<'a>,
    client: &'a reqwest::Client,
    tally: Tally,
}

impl SendOnce for Authorized<'_> {
    type Error = Error;

    async fn send(&mut self, req: Request) -> Result<Response, Error> {
        self.auth
            .send(req, &mut Execute(self.client), &mut self.tally)
            .await
    }

    fn error(e: Error) -> Error {
        e
    }
}

/// `s` if it can be an Okta id in a path (`0oa…`, `pks…`, `oag…`, `irb…`,
/// `00T…`, a custom role's id): ASCII letters, digits, `-` and `_`. Anything
/// else (a `/`, `..`, a `?`) would change the path: [`Error::Config`].
pub(crate) fn id<'s>(s: &'s str, what: &str) -> Result<&'s str, Error> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        Err(Error::Config(format!(
            "the {what} must be an okta id: ascii letters, digits, - and _"
        )))
    }
}

/// The `rel="next"` target of the `Link` headers, if it is within the org.
fn next_page(headers: &HeaderMap, org: &OrgUrl) -> Option<Url> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
            let next = params.split(';').any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            next.then(|| Url::parse(target).ok())
                .flatten()
                .filter(|url| org.is_same_origin(url))
        })
}

impl OktaAdminBuilder {
    /// Uses your own `reqwest::Client` (proxies, TLS roots, timeouts) for
    /// the management calls and provisioning's proving token fetch.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the
    /// calls follow the org's redirects themselves (within the org with a
    /// fresh DPoP proof, elsewhere without credentials), and a token request
    /// must not follow any. Its own timeouts apply; the
    /// [`timeout`](Self::timeout) setting is for the client made here. Every
    /// call carries `User-Agent:` [`USER_AGENT`](crate::USER_AGENT), which
    /// replaces one set on the client. Defaults to a client that follows no
    /// redirects, with a timeout of [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The timeout of each request (from sending to the end of the body)
    /// of the client made by [`build`](Self::build); a client of your own
    /// keeps its own. Defaults to [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times one call is retried after a `429`; `0` turns
    /// retrying off (a `429` is then [`Error::RateLimited`] at once).
    /// Defaults to [`DEFAULT_RATE_LIMIT_RETRIES`].
    pub fn rate_limit_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The longest wait before one retry after a `429`, whatever the server
    /// says (up to a second of random jitter comes on top). Defaults to
    /// [`DEFAULT_RATE_LIMIT_MAX_WAIT`].
    pub fn rate_limit_max_wait(mut self, max_wait: Duration) -> Self {
        self.retry.max_wait = max_wait;
        self
    }

    /// Builds the admin. Fails with [`Error::Config`] for a zero timeout,
    /// or [`Error::Transport`] when the default HTTP client cannot be
    /// built.
    pub fn build(self) -> Result<OktaAdmin, Error> {
        if self.timeout.is_zero() {
            return Err(Error::Config("the timeout must be more than zero".into()));
        }
        let http = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout)
                .build()
                .map_err(Error::transport)?,
        };
        Ok(OktaAdmin {
            inner: Arc::new(Inner {
                org: self.org,
                source: self.source,
                source_type: self.source_type,
                http,
                retry: self.retry,
            }),
        })
    }
}

impl fmt::Debug for OktaAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAdmin")
            .field("org", &self.inner.org)
            .field("source", &self.inner.source_type)
            .field("rate_limit_retries", &self.inner.retry.max_retries)
            .field("rate_limit_max_wait", &self.inner.retry.max_wait)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for OktaAdminBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAdminBuilder")
            .field("org", &self.org)
            .field("source", &self.source_type)
            .field("http_client", &self.http.is_some())
            .field("timeout", &self.timeout)
            .field("rate_limit_retries", &self.retry.max_retries)
            .field("rate_limit_max_wait", &self.retry.max_wait)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OrgUrl {
        "https://example.okta.com".parse().unwrap()
    }

    #[test]
    fn ids_that_would_change_the_path_are_refused() {
        for ok in ["0oa1b2C3", "pks_1-2", "current"] {
            assert!(id(ok, "app id").is_ok(), "{ok}");
        }
        for bad in ["", "..", "a/b", "a?b", "a%2Fb", "a b", "é"] {
            let e = id(bad, "app id").unwrap_err();
            assert!(matches!(e, Error::Config(_)), "{bad}");
            assert!(!e.to_string().contains(bad) || bad.is_empty(), "{e}");
        }
    }

    #[test]
    fn the_next_page_is_followed_within_the_org_only() {
        let mut h = HeaderMap::new();
        h.append(
            LINK,
            "<https://example.okta.com/api/v1/apps?limit=20>; rel=\"self\""
                .parse()
                .unwrap(),
        );
        h.append(
            LINK,
            "<https://example.okta.com/api/v1/apps?after=0oa9&limit=20>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_page(&h, &org()).unwrap().as_str(),
            "https://example.okta.com/api/v1/apps?after=0oa9&limit=20"
        );
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            "<https://a.example/x>; rel=\"self\", <https://evil.example/api/v1/apps>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_page(&h, &org()), None);
        assert_eq!(next_page(&HeaderMap::new(), &org()), None);
    }
}
