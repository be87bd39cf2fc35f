//! [`OktaAuth`]: a token on every request to the Okta org, and nowhere else.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use http::Extensions;
use http::header::AUTHORIZATION;
use reqwest::{Request, Response, redirect};
use reqwest_middleware::{Middleware, Next};
use tracing::Instrument;

use super::NextSend;
use crate::cache::CachingTokenSource;
use crate::error::Error;
use crate::org::OrgUrl;
use crate::request::{Authorize, Tally};
use crate::token::{AccessToken, TokenSource};

/// A [`reqwest_middleware::Middleware`] that authorizes requests to one Okta
/// org with tokens from a [`TokenSource`].
///
/// For a request to the org's origin (same scheme, host and port) it takes a
/// token from the source and adds [`AccessToken::authorize`](crate::AccessToken::authorize)'s headers:
/// `Authorization` and, for a DPoP-bound token, a fresh `DPoP` proof for that
/// method and URL. Every other request passes untouched, and so does a
/// request that already carries `Authorization`.
///
/// - **`401`**: what happens depends on the response's `WWW-Authenticate`,
///   with **at most one authorization retry per request**, and only if the
///   body can be cloned (not a stream); otherwise, or if the retry is refused
///   too, the `401` is returned as the response:
///
///   | the `401` says | the token | retry |
///   |---|---|---|
///   | `error="invalid_token"` (`Bearer` or `DPoP`), no `error`, no `WWW-Authenticate` (Okta's SSWS `E0000011`), or an unreadable header | reported with [`TokenSource::invalidate`], a new one fetched | once, if the new one is a different token |
///   | `DPoP error="use_dpop_nonce"` with a usable `DPoP-Nonce` | kept | once, the new proof carrying the nonce |
///   | `dpop_proof_already_used` (also as an `invalid_dpop_proof` whose description says so) | kept | once, with a fresh proof (new `jti`) |
///   | any other DPoP error: `invalid_dpop_proof` (`htu`, signature, …), `dpop_proof_invalid_ath`, `dpop_authentication_scheme_required`, a nonce request without a usable nonce; a nonce request or a replay for a token that is not DPoP-bound | kept | none: the proof would fail the same way |
///   | any other `error` (not in a `DPoP` challenge) | reported, a new one fetched | once, if the new one is a different token |
///
///   So a broken proof never costs a token request: it is returned at once
///   and [`AuthChallenge::from_response`](crate::AuthChallenge::from_response)
///   tells why. A token is only retried with a token that differs from the
///   refused one ([`AccessToken::same_token`](crate::AccessToken::same_token)): an
///   [`ApiTokenSource`](crate::ApiTokenSource) has no other, and a
///   [`CachingTokenSource`](crate::CachingTokenSource) keeps serving the
///   token it fetched after an earlier `401` until its forced-refresh
///   backoff ends, so an API that refuses every token costs at most one
///   token request per backoff period and one API request per call. A new
///   token that is refused too is not reported (it was fetched for this
///   request; the source's backoff decides when to replace it). When no
///   retry is possible (a streaming body, or the retry was spent on a
///   nonce or a fresh proof) the token is reported but nothing is fetched:
///   the next request gets the new one.
/// - **DPoP nonce**: every `DPoP-Nonce` the org sends (on any response) is
///   remembered on the token's [`DpopKey`](crate::DpopKey) and goes into
///   the next proof for the org.
/// - **Redirects**: build the client with
///   [`redirect_policy`](Self::redirect_policy) (or
///   `reqwest::redirect::Policy::none()`). reqwest drops `Authorization` on
///   a redirect to another host but keeps the `DPoP` header; with this policy
///   the client stops at redirects from the org and `OktaAuth` follows them
///   itself (at most [`MAX_REDIRECTS`](Self::MAX_REDIRECTS)): within the org
///   with a fresh proof for the new URL, elsewhere without `Authorization`,
///   `DPoP`, `Cookie` or `Proxy-Authorization`. With any other policy
///   (reqwest's default, as in `reqwest::Client::new()`) reqwest follows
///   redirects itself: on a redirect to another origin it drops
///   `Authorization` and cookies but **forwards the `DPoP` proof**.
///   `OktaAuth` sees that only afterwards: while a DPoP token is in use the
///   request then fails with [`Error::Config`](crate::Error::Config) so the
///   misconfiguration is seen, but the proof has already left; with a
///   `Bearer` or `SSWS` token the other origin's answer is returned as the
///   response.
///
/// **Caching.** [`OktaAuth::new`] caches what it is given: a source that is
/// not cached already ([`TokenSource::is_cached`], e.g. a plain
/// [`ServiceAppSource`](crate::ServiceAppSource)) is wrapped in a
/// [`CachingTokenSource`] with the default policy, so tokens are reused
/// until they near expiry; a [`CachingTokenSource`] (with your policy), an
/// [`ApiTokenSource`](crate::ApiTokenSource) or
/// [`OktaConfig::token_source`](crate::OktaConfig::token_source)'s source
/// is used as it is. [`OktaAuth::uncached`] asks the source for every
/// request.
///
/// **Switching sources.** [`switch_source`](Self::switch_source) moves a
/// running `OktaAuth` (all its clones) to another source — an API token to
/// the service app replacing it — after checking that the new source gets a
/// token, so no request fails in between.
///
/// **User-Agent.** The requests it authorizes carry [`USER_AGENT`](crate::USER_AGENT)
/// (`okta-auth/{version}`), after the request's own `User-Agent` products if
/// it has one, unless turned off with [`user_agent`](Self::user_agent).
/// A user agent set on the `reqwest::Client` itself
/// (`ClientBuilder::user_agent`) is invisible to a middleware and is
/// replaced on those requests: set it on the request, or turn this off.
///
/// **Tracing.** Each request to the org runs in a `debug` span
/// `okta_request` with `method`, `path` (never the query), and, once it
/// ends, `retries` (authorization retries, 0 or 1), `redirects` and
/// `status`; the events about it (a `401` retried) are inside. No field
/// holds a credential.
///
/// **Cost.** The source is called through the object-safe
/// [`TokenSource::token`], whose future is boxed (`async_trait`), so a
/// request through `OktaAuth` costs one small allocation for it even when
/// a [`CachingTokenSource`](crate::CachingTokenSource) answers from its
/// cache (the cache's own inherent `token()` does not allocate on a hit).
/// reqwest-middleware boxes every middleware's future the same way.
///
/// Attach it *after* [`OktaRateLimit`](crate::OktaRateLimit) (see there
/// for the stacking order).
///
/// ```no_run
/// use okta_auth::reqwest;
/// use okta_auth::{ApiTokenSource, OktaAuth, OrgUrl};
/// use okta_auth::reqwest_middleware::ClientBuilder;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let org: OrgUrl = "https://example.okta.com".parse()?;
/// let auth = OktaAuth::new(org.clone(), ApiTokenSource::new("00abc…")?);
/// let http = reqwest::Client::builder().redirect(auth.redirect_policy()).build()?;
/// let client = ClientBuilder::new(http).with(auth).build();
/// let me = client.get(org.endpoint("api/v1/users/me")).send().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// Errors of the middleware come back as
/// [`reqwest_middleware::Error::Middleware`], an `anyhow::Error` that wraps
/// an [`okta_auth::Error`](crate::Error) (the token source failed, a token
/// cannot go in a header, …). Get it back with `downcast_ref`:
///
/// ```no_run
/// # async fn run(client: okta_auth::reqwest_middleware::ClientWithMiddleware) {
/// use okta_auth::reqwest_middleware;
///
/// match client.get("https://example.okta.com/api/v1/users").send().await {
///     Ok(response) => println!("{}", response.status()),
///     Err(reqwest_middleware::Error::Middleware(e)) => match e.downcast_ref::<okta_auth::Error>() {
///         Some(okta) if okta.is_transient() => println!("try again later: {okta}"),
///         Some(okta) => println!("fix the configuration: {okta}"),
///         None => println!("another middleware failed: {e}"),
///     },
///     Err(reqwest_middleware::Error::Reqwest(e)) => println!("http error: {e}"),
/// }
/// # }
/// ```
///
/// A `401` that the retry could not fix is returned as the response, not as
/// an error; [`AuthChallenge::from_response`](crate::AuthChallenge::from_response)
/// turns its `WWW-Authenticate` into an [`Error`](crate::Error) (for example
/// `invalid_dpop_proof` with its description).
#[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
#[derive(Clone)]
pub struct OktaAuth {
    org: OrgUrl,
    /// The origins named with [`OktaAuth::origins`], shared by clones;
    /// `None`: the org's.
    origins: Option<Arc<[OrgUrl]>>,
    /// The source in use, shared by every clone and replaced as a whole by
    /// [`OktaAuth::switch_source`].
    source: Arc<Live>,
    user_agent: bool,
}

/// The source in use, replaced whole by [`OktaAuth::switch_source`]. As a
/// [`TokenSource`] it asks whichever source is in use at each call, so a
/// `401` retry after a switch takes its token from the new source.
struct Live(ArcSwap<Held>);

#[async_trait]
impl TokenSource for Live {
    async fn token(&self) -> Result<AccessToken, Error> {
        let source = Arc::clone(&self.0.load().source);
        source.token().await
    }

    fn invalidate(&self, rejected: &AccessToken) {
        self.0.load().source.invalidate(rejected);
    }

    fn is_cached(&self) -> bool {
        self.0.load().source.is_cached()
    }
}

/// A source as `OktaAuth` holds it.
struct Held {
    source: Arc<dyn TokenSource>,
    /// Its type, for `Debug`.
    type_name: &'static str,
}

impl Held {
    fn new<S: TokenSource + 'static>(source: S) -> Self {
        Self {
            source: Arc::new(source),
            type_name: std::any::type_name::<S>(),
        }
    }

    /// `source` as [`OktaAuth::new`] keeps it: cached unless it is already.
    fn cached<S: TokenSource + 'static>(source: S) -> Self {
        if source.is_cached() {
            Self::new(source)
        } else {
            Self::new(CachingTokenSource::new(source))
        }
    }
}

impl OktaAuth {
    /// The most redirects from the org that `OktaAuth` follows for one
    /// request, as many as reqwest's default policy.
    pub const MAX_REDIRECTS: usize = crate::request::MAX_REDIRECTS;

    /// Whether requests to the org carry [`USER_AGENT`](crate::USER_AGENT) unless told
    /// otherwise: `true`.
    pub const DEFAULT_USER_AGENT: bool = true;

    /// Authorizes requests to `org_url` with tokens from `source`, cached:
    /// a source that is not cached already ([`TokenSource::is_cached`]) is
    /// wrapped in a [`CachingTokenSource`] with the default policy; one
    /// that is (a [`CachingTokenSource`], an
    /// [`ApiTokenSource`](crate::ApiTokenSource)) is used as it is.
    ///
    /// The cache made here is shared by clones of this `OktaAuth` but by
    /// nobody else; to share one cache with other code, or to tune it, pass
    /// a [`CachingTokenSource`] (`source.cached()`,
    /// [`CachingTokenSource::builder`]).
    pub fn new<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> Self {
        Self::with_source(org_url, Held::cached(source))
    }

    /// Authorizes requests to `org_url` asking `source` for a token on
    /// every request, with no cache of its own: for a source that caches
    /// in a way [`TokenSource::is_cached`] does not tell, or a test that
    /// must see every call. With a plain
    /// [`ServiceAppSource`](crate::ServiceAppSource) this costs a token
    /// request per API request: use [`OktaAuth::new`].
    pub fn uncached<S: TokenSource + 'static>(org_url: OrgUrl, source: S) -> Self {
        Self::with_source(org_url, Held::new(source))
    }

    fn with_source(org: OrgUrl, source: Held) -> Self {
        Self {
            org,
            origins: None,
            source: Arc::new(Live(ArcSwap::from_pointee(source))),
            user_agent: Self::DEFAULT_USER_AGENT,
        }
    }

    /// Moves this `OktaAuth` and every clone of it — the one inside a
    /// `ClientWithMiddleware` included — to `source`, for example from an
    /// [`ApiTokenSource`](crate::ApiTokenSource) to the service app that
    /// replaces it, without rebuilding the HTTP client and without a failed
    /// request in between.
    ///
    /// `source` is cached as [`OktaAuth::new`] caches it (wrapped in a
    /// [`CachingTokenSource`] unless [`TokenSource::is_cached`]), even if
    /// this `OktaAuth` was made [`uncached`](Self::uncached). Then a token is
    /// fetched from it: if that fails, the error is returned and the
    /// current source stays in place, so a source that cannot get a token
    /// never reaches the traffic. On success the source is replaced in one
    /// atomic store (and its cache already holds the token): requests that
    /// start from then on use it; a request in flight finishes with the
    /// token it holds, and if that token is refused (`401`) its retry takes
    /// a token from the new source.
    ///
    /// Keep a clone to switch later, since the client builder takes the
    /// middleware by value:
    ///
    /// ```no_run
    /// use okta_auth::reqwest;
    /// use okta_auth::{ApiTokenSource, OktaAuth, OrgUrl, ServiceAppSource};
    /// use okta_auth::reqwest_middleware::ClientBuilder;
    ///
    /// # async fn run(org: OrgUrl, service_app: ServiceAppSource)
    /// # -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let auth = OktaAuth::new(org.clone(), ApiTokenSource::new("00abc…")?);
    /// let http = reqwest::Client::builder().redirect(auth.redirect_policy()).build()?;
    /// let client = ClientBuilder::new(http).with(auth.clone()).build();
    /// // … later, with the service app provisioned:
    /// auth.switch_source(service_app).await?;
    /// // `client` now authorizes with the service app's tokens.
    /// # Ok(()) }
    /// ```
    pub async fn switch_source<S: TokenSource + 'static>(&self, source: S) -> Result<(), Error> {
        let held = Held::cached(source);
        held.source.token().await?;
        let type_name = held.type_name;
        let old = self.source.0.swap(Arc::new(held));
        tracing::info!(
            from = old.type_name,
            to = type_name,
            "okta token source switched"
        );
        Ok(())
    }

    /// Whether requests to the org carry [`USER_AGENT`](crate::USER_AGENT)
    /// (`okta-auth/{version}`), so that an org admin can tell them apart in
    /// the System Log. A request that has its own `User-Agent` keeps it,
    /// with `okta-auth/{version}` added after it (unless it already names
    /// `okta-auth/`). Turn it off to keep a user agent set on the
    /// `reqwest::Client` itself, which a middleware cannot see and would
    /// replace. Token requests carry it either way. Defaults to
    /// [`DEFAULT_USER_AGENT`](Self::DEFAULT_USER_AGENT).
    pub fn user_agent(mut self, send: bool) -> Self {
        self.user_agent = send;
        self
    }

    /// Sends the tokens to these origins instead of the org's: for a
    /// source whose tokens are meant for your own API, such as a service
    /// app's token from a custom authorization server
    /// (`https://{org}/oauth2/{serverId}`), which Okta's own APIs refuse.
    /// Include the org's URL to keep authorizing requests to it.
    ///
    /// Each origin is an [`OrgUrl`], the crate's validated origin, parsed
    /// and checked as the org's is: `https` (plain `http` only for a
    /// loopback host, so tokens never travel in cleartext), a host, and no
    /// user info, path, query or fragment. `"https://api.example.com".parse()?`
    /// makes one; an `http://` origin that is not loopback is refused with
    /// [`OrgUrlProblem::InsecureScheme`](crate::OrgUrlProblem::InsecureScheme).
    ///
    /// The guarantees are the org's: a request to any other origin passes
    /// untouched; redirects within the named origins are followed by
    /// `OktaAuth` with a fresh proof, redirects elsewhere without
    /// credentials, and [`redirect_policy`](Self::redirect_policy) stops at
    /// the first redirect from every named origin; `DPoP-Nonce`s are
    /// remembered per origin. A DPoP proof to an origin other than the
    /// org's carries the plain RFC 3986 `htu` (the path as the `url` crate
    /// writes it: `/users/a%40b` stays `%40`), as
    /// [`AccessTokenVerifier`](crate::AccessTokenVerifier) and every strict
    /// verifier compare it; only the org gets Okta's decoded form.
    ///
    /// ```no_run
    /// use okta_auth::reqwest;
    /// use okta_auth::{OktaAuth, OrgUrl, ServiceAppSource};
    /// use okta_auth::reqwest_middleware::ClientBuilder;
    ///
    /// # fn run(org: OrgUrl, orders_api: ServiceAppSource) -> Result<(), Box<dyn std::error::Error>> {
    /// let auth = OktaAuth::new(org, orders_api).origins(["https://orders.example.com".parse()?]);
    /// let http = reqwest::Client::builder().redirect(auth.redirect_policy()).build()?;
    /// let client = ClientBuilder::new(http).with(auth).build();
    /// # Ok(()) }
    /// ```
    ///
    /// Defaults to the org's origin only.
    pub fn origins(mut self, origins: impl IntoIterator<Item = OrgUrl>) -> Self {
        self.origins = Some(origins.into_iter().collect());
        self
    }

    /// The org whose requests are authorized (unless
    /// [`origins`](Self::origins) named others), and whose source it is.
    pub fn org_url(&self) -> &OrgUrl {
        &self.org
    }

    /// The request path over this middleware's org, origins and source;
    /// its [`allows`](Authorize::allows) says whether a request to a URL
    /// is authorized.
    fn authorize(&self) -> Authorize<'_> {
        Authorize {
            org: &self.org,
            origins: self.origins.as_deref(),
            source: &*self.source,
            user_agent: self.user_agent,
        }
    }

    /// The redirect policy for the client under this middleware: a redirect
    /// chain that starts at the org (or at any origin named with
    /// [`origins`](Self::origins)) stops at its first redirect, which
    /// `OktaAuth` then follows itself without leaking credentials; every
    /// other chain follows reqwest's default policy (at most 10 redirects).
    pub fn redirect_policy(&self) -> redirect::Policy {
        let auth = self.clone();
        crate::request::redirect_policy(move |url| auth.authorize().allows(url))
    }
}

#[async_trait]
impl Middleware for OktaAuth {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let auth = self.authorize();
        if !auth.allows(req.url()) || req.headers().contains_key(AUTHORIZATION) {
            return next.run(req, extensions).await;
        }
        let span = tracing::debug_span!(
            "okta_request",
            method = %req.method(),
            path = req.url().path(),
            retries = tracing::field::Empty,
            redirects = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        let mut tally = Tally::default();
        let result = auth
            .send(req, &mut NextSend { next, extensions }, &mut tally)
            .instrument(span.clone())
            .await;
        span.record("retries", tally.retries);
        span.record("redirects", tally.redirects);
        if let Ok(resp) = &result {
            span.record("status", resp.status().as_u16());
        }
        result
    }
}

impl fmt::Debug for OktaAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaAuth")
            .field("org", &self.org)
            .field(
                "origins",
                &self
                    .origins
                    .as_deref()
                    .map(|o| o.iter().map(OrgUrl::issuer).collect::<Vec<_>>()),
            )
            .field("source", &self.source.0.load().type_name)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}
