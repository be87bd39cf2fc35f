//! [`OrgUrl`]: the validated base URL of an Okta org, and its endpoints.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::{Host, Url};

use crate::error::{Error, OrgUrlProblem};

/// The base URL of an Okta org, such as `https://example.okta.com`.
///
/// Parsing checks what the SDKs never did: the scheme is `https` (plain
/// `http` only for loopback hosts, so tests can run a fake org), there is a
/// host, and there is no user info, path, query or fragment. A trailing `/`
/// is tolerated and never produces `//oauth2` in an endpoint. Whitespace and
/// control characters inside the URL are refused: URL parsers silently drop
/// tabs and line breaks, so `"https://example.okta.com\n.evil.com"` would
/// otherwise name `example.okta.com.evil.com`.
///
/// ```
/// use okta_auth::OrgUrl;
///
/// let org: OrgUrl = "https://example.okta.com/".parse()?;
/// assert_eq!(org.token_endpoint().as_str(), "https://example.okta.com/oauth2/v1/token");
/// assert_eq!(
///     org.custom_token_endpoint("default")?.as_str(),
///     "https://example.okta.com/oauth2/default/v1/token"
/// );
/// # Ok::<(), okta_auth::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OrgUrl {
    /// Always `scheme://host[:port]/`: the path is exactly `/`.
    base: Url,
}

impl OrgUrl {
    /// The longest org URL accepted, in bytes, both as given (after
    /// trimming) and as serialized (with `xn--` labels): a host name
    /// has at most 253 characters, and the url crate's punycode decoding
    /// grows quadratically with a long `xn--` label.
    pub const MAX_LEN: usize = 512;

    /// Parses and validates an org URL. Surrounding whitespace is ignored;
    /// whitespace or a control character inside it is
    /// [`OrgUrlProblem::ControlOrWhitespace`].
    pub fn parse(input: &str) -> Result<Self, Error> {
        let problem = Error::InvalidOrgUrl;
        let input = input.trim();
        if input.is_empty() {
            return Err(problem(OrgUrlProblem::Empty));
        }
        if input.len() > Self::MAX_LEN {
            return Err(problem(OrgUrlProblem::TooLong));
        }
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(problem(OrgUrlProblem::ControlOrWhitespace));
        }
        let url = Url::parse(input).map_err(|_| problem(OrgUrlProblem::Unparseable))?;
        // Punycode can make the serialized URL longer than the input; the
        // bound holds for both, so an `OrgUrl` always parses again.
        if url.as_str().len() > Self::MAX_LEN {
            return Err(problem(OrgUrlProblem::TooLong));
        }
        let host = url.host().ok_or(problem(OrgUrlProblem::MissingHost))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => return Err(problem(OrgUrlProblem::InsecureScheme)),
            _ => return Err(problem(OrgUrlProblem::UnsupportedScheme)),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(problem(OrgUrlProblem::UserInfo));
        }
        if url.path() != "/" {
            return Err(problem(OrgUrlProblem::Path));
        }
        if url.query().is_some() {
            return Err(problem(OrgUrlProblem::Query));
        }
        if url.fragment().is_some() {
            return Err(problem(OrgUrlProblem::Fragment));
        }
        Ok(Self { base: url })
    }

    /// The org base URL, with a path of exactly `/`.
    pub fn as_url(&self) -> &Url {
        &self.base
    }

    /// The issuer of the org authorization server: the base URL without a
    /// trailing slash, e.g. `https://example.okta.com`.
    pub fn issuer(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The token endpoint of the org authorization server,
    /// `{org}/oauth2/v1/token`: the only one that mints `okta.*` scopes.
    pub fn token_endpoint(&self) -> Url {
        self.endpoint("oauth2/v1/token")
    }

    /// The token endpoint of the custom authorization server `id`,
    /// `{org}/oauth2/{id}/v1/token` (`id` is often `default`).
    ///
    /// `id` must be a non-empty string of ASCII letters and digits.
    pub fn custom_token_endpoint(&self, id: &str) -> Result<Url, Error> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::Config(
                "an authorization server id must be ASCII letters and digits".into(),
            ));
        }
        Ok(self.endpoint(&format!("oauth2/{id}/v1/token")))
    }

    /// A URL under the org, e.g. `org.endpoint("api/v1/users")`.
    ///
    /// `path` is relative to the org root; a leading `/` is ignored. It is a
    /// path only: a `?` in it is percent-encoded, so add a query with
    /// [`Url::set_query`] or `query_pairs_mut()` on the result.
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path.trim_start_matches('/'));
        url
    }

    /// Whether `url` has this org's origin: the same scheme, host and port.
    /// Credentials go only to such URLs.
    pub fn is_same_origin(&self, url: &Url) -> bool {
        same_origin(&self.base, url)
    }
}

/// Whether `a` and `b` share scheme, host and port: `Url::origin()`'s
/// comparison without its allocations (this runs on every request through
/// the middleware). A URL without a host shares no origin.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host().is_some()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

impl FromStr for OrgUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<Url> for OrgUrl {
    type Error = Error;

    fn try_from(url: Url) -> Result<Self, Self::Error> {
        Self::parse(url.as_str())
    }
}

impl fmt::Display for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.issuer())
    }
}

impl fmt::Debug for OrgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OrgUrl").field(&self.issuer()).finish()
    }
}
