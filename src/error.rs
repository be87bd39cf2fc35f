//! The crate's one error type.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::rotation::RotationError;

/// Everything that can go wrong while getting or using an Okta credential.
///
/// Each variant's documentation says what causes it and what the caller
/// should do. Instead of matching on messages, ask the error:
/// [`is_transient`](Error::is_transient), [`status`](Error::status),
/// [`oauth_error`](Error::oauth_error), [`retry_after`](Error::retry_after).
///
/// `Error` is `Clone + Send + Sync` so one failed fetch can be handed to every
/// caller that was waiting for it. No variant ever holds a token, a client
/// secret, a private key or a raw response body.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing, malformed or contradictory (a builder, the
    /// environment, `okta.yaml`, a header value). Fix the configuration:
    /// retrying will not help.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The org URL is not an `https://{org}` base URL. Fix the URL.
    #[error("invalid org url: {0}")]
    InvalidOrgUrl(OrgUrlProblem),

    /// A private key could not be read or used: wrong format, unsupported
    /// algorithm or curve, too short, or public where a private key is needed.
    /// Fix the key material.
    #[error("invalid key: {0}")]
    Key(String),

    /// A public JWK or JWK set could not be read or used: malformed,
    /// unsupported, or holding private members where a public key is
    /// expected. Fix the key (or the key set's source): retrying will not
    /// help.
    #[error("invalid jwk: {0}")]
    InvalidJwk(JwkProblem),

    /// The HTTP exchange did not complete: connection refused, TLS, DNS, a
    /// broken body. Usually transient; retry with backoff.
    ///
    /// The message names the cause in a few fixed words (`connection
    /// refused`, `dns lookup failed`, `tls handshake failed`, `connection
    /// reset while reading the response body`, …), never a URL; the reqwest
    /// error, without its URL, is the [`source`](std::error::Error::source).
    #[error("http request to okta failed: {}", TransportCause(.0))]
    Transport(#[source] Arc<reqwest::Error>),

    /// The server did not answer within the configured timeout. Transient.
    #[error("request to okta timed out")]
    Timeout,

    /// The server answered with an OAuth 2.0 or Okta error document
    /// (`invalid_client`, `invalid_scope`, `E0000011`, …). Whether to retry
    /// depends on the status: see [`Error::is_transient`].
    #[error(transparent)]
    OAuth(OAuthError),

    /// The server's answer could not be understood: not JSON, missing
    /// members, too large, or an error status without an error document.
    /// Transient only when the status is.
    #[error("malformed response from okta{}: {reason}", status_suffix(*.status))]
    MalformedResponse {
        /// The HTTP status of the response, when there was one.
        status: Option<StatusCode>,
        /// What was wrong, in our words (never the body itself).
        reason: String,
    },

    /// Okta answered `429 Too Many Requests`. Wait
    /// [`Error::retry_after`] (or back off) and retry.
    #[error("rate limited by okta")]
    #[non_exhaustive]
    RateLimited {
        /// How long the server said to wait, counted from when its answer
        /// arrived: `X-Rate-Limit-Reset − Date + 1 s` on the server's clock
        /// (Okta's rule; see [`RateLimit`](crate::RateLimit)), else
        /// `Retry-After`; `None` when it said neither.
        retry_after: Option<Duration>,
        /// When the rate-limit window resets (`X-Rate-Limit-Reset`, on
        /// Okta's clock), if said and representable.
        reset_at: Option<SystemTime>,
    },

    /// The DPoP exchange broke its rules: the server asked for a nonce twice,
    /// sent an unusable nonce, or did not bind a token that had to be bound.
    /// Not transient: it points at a server or configuration mismatch.
    #[error("dpop: {0}")]
    Dpop(String),

    /// A key rotation ([`KeyRotation`](crate::rotation::KeyRotation))
    /// stopped at a step: the [`RotationError`] names it, lists the steps
    /// done before it and holds the cause (its
    /// [`source`](std::error::Error::source)). Fix the cause (or wait, when
    /// it [`is_transient`](Error::is_transient)) and run the rotation
    /// again: the steps done are skipped. The questions
    /// ([`status`](Error::status), [`oauth_error`](Error::oauth_error), …)
    /// answer for the cause.
    #[error(transparent)]
    Rotation(Box<RotationError>),
    /// Provisioning a service app
    /// ([`OktaAdmin::create_service_app`](crate::OktaAdmin::create_service_app))
    /// failed at one step. The [`ProvisionError`](crate::admin::ProvisionError)
    /// names the step, the client id if one was created, what was undone
    /// and what was left behind; its [`source`](std::error::Error::source)
    /// is the cause, whose [`status`](Error::status),
    /// [`oauth_error`](Error::oauth_error) and
    /// [`is_transient`](Error::is_transient) this error answers with. Fix
    /// the cause (often the admin's scopes or roles) and run it again; if
    /// something was left behind
    /// ([`left_behind`](crate::admin::ProvisionError::left_behind)), remove
    /// it first.
    #[error(transparent)]
    Provision(Box<crate::admin::ProvisionError>),
    /// A DPoP replay or nonce store
    /// ([`verify::ReplayStore`](crate::verify::ReplayStore),
    /// [`verify::NonceStore`](crate::verify::NonceStore)) could not answer:
    /// full, or unreachable. The verifier then refuses the request (it
    /// fails closed: a proof it cannot check for replay is not accepted).
    /// Transient: a full in-memory store frees up as its entries expire, a
    /// remote one answers again when it is reachable.
    #[error("dpop replay or nonce store failed: {reason}")]
    DpopStore {
        /// What went wrong, in the store's words (never a proof or a token).
        reason: String,
        /// The store's own error (a Redis client's, say), if any.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },
}

/// Why a reqwest error happened, in a short fixed phrase chosen from its
/// kind and the first [`std::io::Error`] in its source chain: never the
/// text of the chain, which may quote a host, a proxy's answer or a URL.
struct TransportCause<'a>(&'a reqwest::Error);

impl std::fmt::Display for TransportCause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.0;
        let io = io_kind(e).and_then(|kind| io_phrase(kind, e.is_connect()));
        let cause = if e.is_builder() {
            "the http client could not be built"
        } else if e.is_dns() {
            "dns lookup failed"
        } else if e.is_timeout() {
            "timed out"
        } else if let Some(phrase) = io {
            phrase
        } else if e.is_connect() {
            // Neither dns nor tcp (those carry an io error): native-tls's
            // handshake errors, or a proxy refusing the tunnel.
            "tls handshake or proxy tunnel failed"
        } else if e.is_body() || e.is_decode() {
            "the response body could not be read"
        } else if e.is_redirect() {
            "a redirect could not be followed"
        } else if e.is_request() {
            // hyper: the connection closed before a response, or the
            // answer was not http.
            "no complete http response"
        } else {
            "the http exchange failed"
        };
        f.write_str(cause)?;
        // Only after an io phrase: the others say where already.
        if io.is_some() && (e.is_body() || e.is_decode()) {
            f.write_str(" while reading the response body")?;
        }
        Ok(())
    }
}

/// The kind of the first [`std::io::Error`] in `e`'s source chain.
fn io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

/// Our words for an io error kind; `connect` says whether it happened while
/// connecting (where rustls reports a failed handshake as `InvalidData`).
fn io_phrase(kind: std::io::ErrorKind, connect: bool) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset",
        K::ConnectionAborted => "connection aborted",
        K::BrokenPipe | K::NotConnected => "connection closed",
        K::UnexpectedEof => "connection closed early",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::NetworkDown => "network down",
        K::AddrNotAvailable => "local address not available",
        K::PermissionDenied => "connection not permitted",
        K::TimedOut => "timed out",
        K::InvalidData if connect => "tls handshake failed",
        _ => return None,
    })
}

fn status_suffix(status: Option<StatusCode>) -> String {
    status
        .map(|s| format!(" (http {})", s.as_u16()))
        .unwrap_or_default()
}

impl Error {
    /// Whether retrying the same operation later may succeed: connection
    /// failures, timeouts, `5xx`, `408` and `429`, a DPoP store that could
    /// not answer. `invalid_client`,
    /// `invalid_scope` and other `4xx` answers, configuration and key errors
    /// are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Provision(p) => p.cause().is_transient(),
            // A client that cannot be built stays unbuildable.
            Error::Transport(e) => !e.is_builder(),
            Error::Timeout | Error::RateLimited { .. } => true,
            Error::Rotation(e) => e.cause().is_transient(),
            Error::DpopStore { .. } => true,
            _ => self.status().is_some_and(|s| {
                s.is_server_error()
                    || s == StatusCode::REQUEST_TIMEOUT
                    || s == StatusCode::TOO_MANY_REQUESTS
            }),
        }
    }

    /// The HTTP status of the response behind this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::OAuth(e) => Some(e.status()),
            Error::MalformedResponse { status, .. } => *status,
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Transport(e) => e.status(),
            Error::Rotation(e) => e.cause().status(),
            Error::Provision(p) => p.cause().status(),
            _ => None,
        }
    }

    /// The OAuth 2.0 / Okta error document the server sent, if any.
    pub fn oauth_error(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            Error::Rotation(e) => e.cause().oauth_error(),
            Error::Provision(p) => p.cause().oauth_error(),
            _ => None,
        }
    }

    /// How long to wait before retrying a rate-limited request, counted
    /// from when the `429` arrived: `X-Rate-Limit-Reset − Date + 1 s`, on the
    /// server's clock so that this machine's clock skew does not matter
    /// (else `Retry-After`); `None` when the server said neither.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            Error::Rotation(e) => e.cause().retry_after(),
            Error::Provision(p) => p.cause().retry_after(),
            _ => None,
        }
    }

    /// The [`Error::RateLimited`] for a `429` response with these headers,
    /// its wait computed by Okta's rule (see [`Error::retry_after`]). For
    /// your own [`TokenSource`](crate::TokenSource)s: the cache waits it out.
    pub fn rate_limited(headers: &http::HeaderMap) -> Self {
        Error::RateLimited {
            retry_after: crate::rate_limit::server_wait(headers),
            reset_at: crate::RateLimit::from_headers(headers).and_then(|r| r.reset_at()),
        }
    }

    /// Wraps a reqwest error, telling timeouts apart.
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Error::Timeout
        } else {
            Error::Transport(Arc::new(e.without_url()))
        }
    }
}

/// An error document from Okta: OAuth 2.0 (`error`, `error_description`) or
/// the management API's (`errorCode`, `errorSummary`, `errorLink`,
/// `errorId`, `errorCauses`).
///
/// Only the parsed members are kept, never the raw body. Each is made safe
/// to log (control characters dropped) and capped at 512 bytes; at most
/// [`MAX_ERROR_CAUSES`](Self::MAX_ERROR_CAUSES) causes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    status: StatusCode,
    error: String,
    description: Option<String>,
    error_code: Option<String>,
    /// `errorId`, `errorLink` and `errorCauses`, boxed: OAuth errors have
    /// none of them, and every `Result` of the crate carries the size of an
    /// `Error`.
    details: Option<Box<Details>>,
    hint: Option<&'static str>,
}

/// The rarer members of a management API error document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Details {
    id: Option<String>,
    link: Option<String>,
    causes: Vec<String>,
}

impl OAuthError {
    /// The most `errorCauses` kept from one management API error document:
    /// 8. Okta sends one per invalid field.
    pub const MAX_ERROR_CAUSES: usize = 8;

    /// An error with the given HTTP status and OAuth `error` code.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        Self {
            status,
            error: error.into(),
            description: None,
            error_code: None,
            details: None,
            hint: None,
        }
    }

    /// Sets the human-readable `error_description` (or Okta's `errorSummary`).
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets Okta's `errorCode` (e.g. `E0000011`).
    pub fn with_error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Sets Okta's `errorId`, the id to quote to Okta support.
    pub fn with_error_id(mut self, id: impl Into<String>) -> Self {
        self.details.get_or_insert_default().id = Some(id.into());
        self
    }

    /// Sets Okta's `errorLink` (usually the `errorCode` again).
    pub fn with_error_link(mut self, link: impl Into<String>) -> Self {
        self.details.get_or_insert_default().link = Some(link.into());
        self
    }

    /// Sets the `errorSummary` of each of Okta's `errorCauses`, keeping
    /// the first [`MAX_ERROR_CAUSES`](Self::MAX_ERROR_CAUSES).
    pub fn with_error_causes<I, S>(mut self, causes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let causes: Vec<String> = causes
            .into_iter()
            .take(Self::MAX_ERROR_CAUSES)
            .map(Into::into)
            .collect();
        if !causes.is_empty() || self.details.is_some() {
            self.details.get_or_insert_default().causes = causes;
        }
        self
    }

    /// Adds our own advice, shown after the server's words.
    pub(crate) fn with_hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// The HTTP status of the error response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The OAuth `error` code (`invalid_client`, `use_dpop_nonce`, …); for a
    /// management API error document, its `errorCode`.
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The server's `error_description` (or `errorSummary`), if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Okta's `errorCode` (e.g. `E0000011`), if any.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }

    /// Okta's `errorId`, if any: quote it to Okta support.
    pub fn error_id(&self) -> Option<&str> {
        self.details.as_ref()?.id.as_deref()
    }

    /// Okta's `errorLink`, if any.
    pub fn error_link(&self) -> Option<&str> {
        self.details.as_ref()?.link.as_deref()
    }

    /// The `errorSummary` of each of Okta's `errorCauses`, in order: for a
    /// validation error (`E0000001`), what is wrong with which field.
    pub fn error_causes(&self) -> &[String] {
        self.details.as_ref().map_or(&[], |d| &d.causes)
    }

    /// Our advice on what to do about it, if we have any.
    pub fn hint(&self) -> Option<&str> {
        self.hint
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "okta answered http {}: {}",
            self.status.as_u16(),
            self.error
        )?;
        match (&self.description, self.error_causes()) {
            (Some(d), []) => write!(f, " ({d})")?,
            (Some(d), causes) => write!(f, " ({d}: {})", causes.join("; "))?,
            (None, []) => {}
            (None, causes) => write!(f, " ({})", causes.join("; "))?,
        }
        if let Some(id) = self.error_id() {
            write!(f, " [errorId {id}]")?;
        }
        if let Some(h) = self.hint {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// Why a string is not an acceptable org URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgUrlProblem {
    /// The string is empty.
    #[error("it is empty")]
    Empty,
    /// The string is not a URL.
    #[error("it is not a url")]
    Unparseable,
    /// The URL holds whitespace or a control character (after surrounding
    /// whitespace is trimmed). URL parsers silently drop tabs and line
    /// breaks, so `"https://example.okta.com\n.evil.com"` would name another
    /// host: such input is refused, not repaired. Remove the characters.
    #[error("it contains whitespace or a control character")]
    ControlOrWhitespace,
    /// The string is longer than [`OrgUrl::MAX_LEN`](crate::OrgUrl::MAX_LEN)
    /// bytes: no org URL is.
    #[error("it is too long")]
    TooLong,
    /// The scheme is `http` and the host is not loopback.
    #[error("it must use https (plain http is allowed only for loopback hosts)")]
    InsecureScheme,
    /// The scheme is neither `https` nor `http`.
    #[error("it must use https")]
    UnsupportedScheme,
    /// The URL has no host.
    #[error("it has no host")]
    MissingHost,
    /// The URL carries a user name or password.
    #[error("it must not contain user info")]
    UserInfo,
    /// The URL has a path (such as `/oauth2/default`); give the org base URL.
    #[error("it must not have a path: give the org base url, like https://example.okta.com")]
    Path,
    /// The URL has a query string.
    #[error("it must not have a query")]
    Query,
    /// The URL has a fragment.
    #[error("it must not have a fragment")]
    Fragment,
}

/// Why a public JWK (or a JWK set) is refused. Names members, never their
/// values: no key material is ever echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkProblem {
    /// Not a JSON object, a duplicate member, or a member of the wrong type
    /// (every JWK member we read is a string).
    #[error("it is not a json object of string members")]
    Malformed,
    /// A required member (`kty`, `n`, `e`, `crv`, `x`, `y`; `keys` in a
    /// set) is absent.
    #[error("it has no `{0}`")]
    MissingMember(&'static str),
    /// A member that must hold bytes is empty.
    #[error("its `{0}` is empty")]
    EmptyMember(&'static str),
    /// A member is not base64url without padding.
    #[error("its `{0}` is not base64url without padding")]
    NotBase64Url(&'static str),
    /// A private key member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, or a
    /// symmetric key's `k`) where a public key is expected. The key has
    /// leaked: replace it.
    #[error("it holds the private member `{0}`: a public key was expected")]
    PrivateMember(&'static str),
    /// `kty` is neither `RSA` nor `EC`.
    #[error("its kty is not supported: only RSA and EC keys are")]
    UnsupportedKeyType,
    /// `crv` is neither `P-256` nor `P-384`.
    #[error("its crv is not supported: only P-256 and P-384 are")]
    UnsupportedCurve,
    /// `alg` is not one of [`Algorithm`](crate::Algorithm)'s.
    #[error("its alg is not supported: use RS256, RS384, RS512, ES256 or ES384")]
    UnsupportedAlgorithm,
    /// `alg` belongs to another key type or curve (`ES256` on an RSA key).
    #[error("its alg does not fit its key type or curve")]
    AlgorithmMismatch,
    /// `use` is neither `sig` nor `enc`.
    #[error("its use is neither sig nor enc")]
    UnsupportedUse,
    /// The RSA modulus is outside [`MIN_RSA_BITS`](crate::jose::MIN_RSA_BITS) to
    /// [`MAX_RSA_BITS`](crate::jose::MAX_RSA_BITS) bits.
    #[error("its rsa modulus is not 2048 to 8192 bits")]
    RsaKeySize,
    /// The members do not form a valid public key: an EC coordinate of the
    /// wrong length or a point off its curve, an invalid RSA modulus or
    /// exponent.
    #[error("its members do not form a valid public key")]
    InvalidKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_traits<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn error_is_send_sync_clone() {
        assert_traits::<Error>();
        assert_traits::<OAuthError>();
    }

    #[test]
    fn transience_is_decided_by_status() {
        let e = |s: u16| Error::OAuth(OAuthError::new(StatusCode::from_u16(s).unwrap(), "x"));
        assert!(e(500).is_transient());
        assert!(e(503).is_transient());
        assert!(e(408).is_transient());
        assert!(e(429).is_transient());
        assert!(!e(400).is_transient());
        assert!(!e(401).is_transient());
        assert!(Error::Timeout.is_transient());
        assert!(!Error::Config("x".into()).is_transient());
        let malformed = |s| Error::MalformedResponse {
            status: s,
            reason: "x".into(),
        };
        assert!(malformed(Some(StatusCode::BAD_GATEWAY)).is_transient());
        assert!(!malformed(Some(StatusCode::OK)).is_transient());
        assert!(!malformed(None).is_transient());
    }

    #[test]
    fn display_speaks_of_its_own_layer() {
        let e = Error::OAuth(
            OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client")
                .with_description("bad assertion")
                .with_error_id("oaeX"),
        );
        assert_eq!(
            e.to_string(),
            "okta answered http 401: invalid_client (bad assertion) [errorId oaeX]"
        );
        let m = Error::MalformedResponse {
            status: Some(StatusCode::OK),
            reason: "not json".into(),
        };
        assert_eq!(
            m.to_string(),
            "malformed response from okta (http 200): not json"
        );
    }

    #[test]
    fn management_errors_show_their_causes() {
        let e = OAuthError::new(StatusCode::BAD_REQUEST, "E0000001")
            .with_description("Api validation failed: scopeId")
            .with_error_causes(["scopeId: already granted", "issuer: wrong"])
            .with_error_id("oae1");
        assert_eq!(
            e.to_string(),
            "okta answered http 400: E0000001 (Api validation failed: scopeId: scopeId: already \
             granted; issuer: wrong) [errorId oae1]"
        );
        let many = OAuthError::new(StatusCode::BAD_REQUEST, "E0000001")
            .with_error_causes((0..20).map(|i| i.to_string()));
        assert_eq!(many.error_causes().len(), OAuthError::MAX_ERROR_CAUSES);
        assert_eq!(many.error_link(), None);
    }

    #[test]
    fn a_client_that_cannot_be_built_is_said_so_and_not_transient() {
        let e = reqwest::Client::builder()
            .user_agent("bad\nagent")
            .build()
            .map_err(Error::transport)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "http request to okta failed: the http client could not be built"
        );
        assert!(!e.is_transient());
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn io_kinds_have_fixed_phrases() {
        use std::io::ErrorKind as K;
        assert_eq!(
            io_phrase(K::ConnectionRefused, true),
            Some("connection refused")
        );
        assert_eq!(
            io_phrase(K::InvalidData, true),
            Some("tls handshake failed")
        );
        assert_eq!(io_phrase(K::InvalidData, false), None);
        assert_eq!(io_phrase(K::Other, true), None);
    }

    #[test]
    fn retry_after_is_the_servers_wait() {
        let mut h = http::HeaderMap::new();
        h.insert("date", "Tue, 01 Jan 2030 00:00:00 GMT".parse().unwrap());
        h.insert("x-rate-limit-reset", "1893456029".parse().unwrap());
        let e = Error::rate_limited(&h);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(e.is_transient());
        assert_eq!(
            Error::rate_limited(&http::HeaderMap::new()).retry_after(),
            None
        );
    }
}
