//! The crate's one error type.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::rotation::RotationError;

mod oauth;
mod problem;
mod transport;

pub use oauth::OAuthError;
pub use problem::{JwkProblem, OrgUrlProblem};
use transport::TransportCause;
#[cfg(test)]
use transport::io_phrase;

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
