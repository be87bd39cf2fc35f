//! [`Rejection`]: a refused token or request, with the status and the
//! challenge to answer it with.

use std::fmt;
use std::sync::Arc;

use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};

use super::reason::Kind;
pub use super::reason::RejectReason;
use crate::error::Error;

/// The scheme of the challenge: the one the request used (`DPoP` whenever
/// DPoP is required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
    /// No usable credentials: offer both (or DPoP only when it is required).
    Any {
        bearer: bool,
    },
}

/// A refused token or request, ready to send: [`status`](Self::status)
/// and [`headers`](Self::headers) (`WWW-Authenticate` as RFC 6750 §3 and
/// RFC 9449 §7.1 write it, plus `DPoP-Nonce` when a nonce is asked for).
///
/// ```
/// # use okta_auth::verify::Rejection;
/// fn answer(rejection: &Rejection) -> (okta_auth::http::StatusCode, okta_auth::http::HeaderMap) {
///     // axum: `(rejection.status(), rejection.headers()).into_response()`
///     (rejection.status(), rejection.headers())
/// }
/// ```
///
/// Neither the headers, `Display` nor `Debug` ever hold the token or the
/// proof: descriptions are fixed strings ([`RejectReason::description`]).
#[derive(Debug, Clone)]
pub struct Rejection {
    reason: RejectReason,
    scheme: Scheme,
    /// The `algs` of a `DPoP` challenge: the accepted proof algorithms.
    dpop_algs: Arc<str>,
    /// The `scope` of an `insufficient_scope` challenge.
    scope: Option<Arc<str>>,
    /// The nonce of a `use_dpop_nonce` answer.
    nonce: Option<String>,
    /// Boxed: rare, and large next to the rest.
    error: Option<Box<Error>>,
}

impl Rejection {
    pub(crate) fn new(reason: RejectReason, scheme: Scheme, dpop_algs: Arc<str>) -> Self {
        Self {
            reason,
            scheme,
            dpop_algs,
            scope: None,
            nonce: None,
            error: None,
        }
    }

    pub(crate) fn with_scope(mut self, scope: Option<Arc<str>>) -> Self {
        self.scope = scope;
        self
    }

    pub(crate) fn with_nonce(mut self, nonce: String) -> Self {
        self.nonce = Some(nonce);
        self
    }

    pub(crate) fn with_error(mut self, error: Error) -> Self {
        self.error = Some(Box::new(error));
        self
    }

    /// Why.
    pub fn reason(&self) -> RejectReason {
        self.reason
    }

    /// The HTTP status to answer with ([`RejectReason::status`]).
    pub fn status(&self) -> StatusCode {
        self.reason.status()
    }

    /// The server-side error behind a `503` ([`RejectReason::KeysUnavailable`],
    /// [`RejectReason::DpopStoreUnavailable`]), for your logs.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_deref()
    }

    /// The nonce of a [`RejectReason::UseDpopNonce`] answer, for its
    /// `DPoP-Nonce` header.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The `WWW-Authenticate` value: `Bearer error="invalid_token",
    /// error_description="…"`, `DPoP error="invalid_dpop_proof",
    /// error_description="…", algs="ES256"`, `Bearer, DPoP algs="ES256"`
    /// when no credentials came; `None` for a `503`.
    pub fn www_authenticate(&self) -> Option<HeaderValue> {
        let kind = self.reason.kind();
        if kind == Kind::Unavailable {
            return None;
        }
        let scheme = match kind {
            Kind::Binding | Kind::InvalidProof | Kind::UseNonce => Scheme::Dpop,
            _ => self.scheme,
        };
        let mut params = String::new();
        if let Some(code) = self.reason.error_code() {
            // Codes, descriptions and scopes are checked to hold no `"` or
            // `\` (a unit test, and the builder for scopes).
            params = format!(
                "error=\"{code}\", error_description=\"{}\"",
                self.reason.description()
            );
            if let (Kind::InsufficientScope, Some(scope)) = (kind, &self.scope) {
                params.push_str(&format!(", scope=\"{scope}\""));
            }
        }
        let dpop_challenge = |params: &str| {
            let sep = if params.is_empty() { "" } else { ", " };
            format!("DPoP {params}{sep}algs=\"{}\"", self.dpop_algs)
        };
        let bearer = |params: &str| match params {
            "" => "Bearer".to_owned(),
            params => format!("Bearer {params}"),
        };
        let value = match scheme {
            Scheme::Bearer => bearer(&params),
            Scheme::Dpop => dpop_challenge(&params),
            // No credentials: offer both schemes.
            Scheme::Any { bearer: true } if params.is_empty() => {
                format!("Bearer, {}", dpop_challenge(""))
            }
            Scheme::Any { bearer: true } => bearer(&params),
            Scheme::Any { bearer: false } => dpop_challenge(&params),
        };
        // Built from checked ASCII above; an empty value is the fallback
        // that cannot be reached.
        Some(HeaderValue::try_from(value).unwrap_or(HeaderValue::from_static("Bearer")))
    }

    /// The headers to answer with: `WWW-Authenticate` (unless a `503`) and,
    /// for [`RejectReason::UseDpopNonce`], `DPoP-Nonce`.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = self.www_authenticate() {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if let Some(nonce) = &self.nonce
            && let Ok(value) = HeaderValue::try_from(nonce.as_str())
        {
            headers.insert(crate::DPOP_NONCE, value);
        }
        headers
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request refused: {}", self.reason.description())
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.as_deref().map(|e| e as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [RejectReason; 42] = {
        use RejectReason::*;
        [
            MissingCredentials,
            InvalidRequest,
            TokenTooLarge,
            MalformedToken,
            TokenType,
            Algorithm,
            CriticalHeader,
            EmbeddedKey,
            MissingKeyId,
            UnknownKeyId,
            KeyMismatch,
            Signature,
            MalformedClaims,
            Issuer,
            Audience,
            Expired,
            NotYetValid,
            IssuedInFuture,
            ClientNotAllowed,
            InsufficientScope,
            BoundTokenAsBearer,
            TokenNotBound,
            DpopRequired,
            UnsupportedBinding,
            MissingProof,
            MultipleProofs,
            MalformedProof,
            ProofType,
            ProofAlgorithm,
            ProofKey,
            ProofPrivateKey,
            ProofSignature,
            ProofClaims,
            ProofMethod,
            ProofUrl,
            ProofIssuedAt,
            ProofTokenHash,
            ProofKeyBinding,
            ProofReplayed,
            UseDpopNonce,
            KeysUnavailable,
            DpopStoreUnavailable,
        ]
    };

    #[test]
    fn descriptions_fit_in_a_quoted_string_and_every_value_parses() {
        for reason in ALL {
            let d = reason.description();
            assert!(
                d.bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'),
                "{reason:?}"
            );
            for scheme in [Scheme::Bearer, Scheme::Dpop, Scheme::Any { bearer: true }] {
                let r = Rejection::new(reason, scheme, "ES256 RS256".into());
                if let Some(v) = r.www_authenticate() {
                    let text = v.to_str().unwrap();
                    let parsed = crate::Challenge::parse_all(text).unwrap();
                    assert!(!parsed.is_empty(), "{text}");
                }
            }
        }
    }
}
