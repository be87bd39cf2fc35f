//! The request path of every management call: one authorized request to
//! the org (its span, the `429` retries, the body cap, Okta's errors), a
//! JSON answer, the pages of a list, and the ids that go into paths.

use std::collections::HashSet;
use std::fmt;

use http::header::{ACCEPT, CONTENT_TYPE, LINK};
use http::{HeaderMap, Method, StatusCode};
use reqwest::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;
use zeroize::Zeroizing;

use super::client::OktaAdmin;
use crate::error::Error;
use crate::org::OrgUrl;
use crate::request::{Authorize, Execute, SendOnce, Tally};
use crate::service_app::wire::{self, ClassifyReason};

/// The most bytes of one management API answer that are read: 1 MiB. A
/// page of 200 apps is a few hundred kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The most pages (`Link: rel="next"`) one list call follows: 50.
pub const MAX_PAGES: usize = 50;

const FORBIDDEN_HINT: &str = "the caller may not do this: an api token needs an admin who may; \
     a service app needs the route's okta.* scope granted and an admin role assigned";

impl OktaAdmin {
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
            let sent = self
                .inner
                .retry
                .send(&self.inner.org, req, &mut sender)
                .await;
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
            let answered = resp.url().clone();
            let body = wire::read_body_limited(resp, MAX_RESPONSE_BYTES).await?;
            if status.is_success() {
                return Ok(Answer {
                    status,
                    url: answered,
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

    /// Every item of a list, following `Link: rel="next"` (see
    /// [`next_page`]) for at most [`MAX_PAGES`] pages. A next link that
    /// cannot be followed (another origin, not a URL) or that names a page
    /// this list has fetched already is an [`Error::MalformedResponse`]:
    /// the list is never returned short as if complete.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        mut url: Url,
        what: &str,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut fetched = HashSet::new();
        for _ in 0..MAX_PAGES {
            fetched.insert(url.clone());
            let answer = self.exchange(Method::GET, url, None).await?;
            // Where a redirect within the org led is fetched too.
            fetched.insert(answer.url.clone());
            items.extend(answer.json::<Vec<T>>(what)?);
            let next = next_page(&answer.headers, &answer.url, &self.inner.org)
                .map_err(|reason| list_error(what, reason))?;
            match next {
                None => return Ok(items),
                Some(next) if fetched.contains(&next) => {
                    // The path only: the query holds the cursor.
                    let reason = format!(
                        "its next link repeats a page already fetched ({})",
                        next.path()
                    );
                    return Err(list_error(what, reason));
                }
                Some(next) => url = next,
            }
        }
        Err(list_error(
            what,
            format!("it has more than {MAX_PAGES} pages"),
        ))
    }
}

/// A `2xx` answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// The URL that answered (after redirects within the org), the base of
    /// a relative `Link` target.
    pub(crate) url: Url,
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

/// The error that stops a list of `what` (`a list of apps`): Okta's `200`
/// whose paging cannot be trusted.
fn list_error(what: &str, reason: impl fmt::Display) -> Error {
    Error::MalformedResponse {
        status: Some(StatusCode::OK),
        reason: format!("{what} cannot be read whole: {reason}"),
    }
}

/// The `rel="next"` target of the `Link` headers, resolved against `base`,
/// the URL that answered (RFC 8288 §3.2: a target may be relative): `None`
/// on the last page. A target that is not a URL, or that is not on the
/// org's origin (following it would send the credentials there), is an
/// error, never a last page. Errors name an origin at most, never a query.
fn next_page(headers: &HeaderMap, base: &Url, org: &OrgUrl) -> Result<Option<Url>, String> {
    let target = headers
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
            next.then_some(target)
        });
    let Some(target) = target else {
        return Ok(None);
    };
    let url = base
        .join(target.trim())
        .map_err(|_| "its next link is not a url".to_owned())?;
    if !org.is_same_origin(&url) {
        return Err(format!(
            "its next link leads to another origin ({}), which is not followed",
            url.origin().ascii_serialization()
        ));
    }
    Ok(Some(url))
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

    fn next(link: &str) -> Result<Option<String>, String> {
        let mut h = HeaderMap::new();
        h.append(LINK, link.parse().unwrap());
        let base = Url::parse("https://example.okta.com/api/v1/apps?limit=20").unwrap();
        next_page(&h, &base, &org()).map(|url| url.map(String::from))
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
        let base = org().endpoint("api/v1/apps");
        assert_eq!(
            next_page(&h, &base, &org()).unwrap().unwrap().as_str(),
            "https://example.okta.com/api/v1/apps?after=0oa9&limit=20"
        );
        assert_eq!(next_page(&HeaderMap::new(), &base, &org()), Ok(None));
        assert_eq!(next("<https://a.example/x>; rel=\"self\""), Ok(None));
    }

    #[test]
    fn a_relative_next_link_is_resolved_against_the_page_that_gave_it() {
        for (link, url) in [
            (
                "</api/v1/apps?after=0oa9>; rel=next",
                "https://example.okta.com/api/v1/apps?after=0oa9",
            ),
            (
                "<?after=0oa9>; rel=\"next\"",
                "https://example.okta.com/api/v1/apps?after=0oa9",
            ),
            (
                "<apps?after=0oa9>; rel=\"next\"",
                "https://example.okta.com/api/v1/apps?after=0oa9",
            ),
        ] {
            assert_eq!(next(link), Ok(Some(url.to_owned())), "{link}");
        }
    }

    #[test]
    fn a_next_link_elsewhere_is_an_error_naming_the_origin_only() {
        for link in [
            "<https://a.example/x>; rel=\"self\", <https://evil.example/api/v1/apps?after=secret>; rel=\"next\"",
            "<//evil.example/api/v1/apps?after=secret>; rel=\"next\"",
            "<http://example.okta.com/api/v1/apps?after=secret>; rel=\"next\"",
        ] {
            let e = next(link).unwrap_err();
            assert!(e.contains("another origin"), "{e}");
            assert!(!e.contains("secret") && !e.contains("/api"), "{e}");
        }
        assert_eq!(
            next("<http://[::1>; rel=\"next\"").unwrap_err(),
            "its next link is not a url"
        );
    }
}
