//! [`AuthChallenge`]: what a response's `WWW-Authenticate` (and
//! `DPoP-Nonce`) asks of the client: a retry with a nonce, or nothing more
//! than the error it carries.

use http::{HeaderMap, StatusCode};

use super::Challenge;
use crate::error::Error;

/// What a response's `WWW-Authenticate` (and `DPoP-Nonce`) asks of the
/// client, from [`AuthChallenge::from_response`].
///
/// ```
/// use okta_auth::AuthChallenge;
/// use okta_auth::http::{HeaderMap, HeaderValue, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("www-authenticate", HeaderValue::from_static(r#"DPoP error="use_dpop_nonce""#));
/// headers.insert("dpop-nonce", HeaderValue::from_static("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// match AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &headers) {
///     Some(AuthChallenge::UseDpopNonce { nonce }) => assert_eq!(nonce, "eyJ7S_zG.eyJH0-Z.HX4w-7v"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthChallenge {
    /// `DPoP error="use_dpop_nonce"` with a usable `DPoP-Nonce` header:
    /// retry once with a fresh proof carrying `nonce` (remember it with
    /// [`DpopKey::remember_nonce`](crate::DpopKey::remember_nonce)).
    UseDpopNonce {
        /// The server's nonce, already checked against the RFC 9449 syntax.
        nonce: String,
    },
    /// The server refused the request. The error says why: an
    /// [`Error::OAuth`] with the response status and the challenge's
    /// `error` and `error_description` (`invalid_token`,
    /// `invalid_dpop_proof`, …); an [`Error::Dpop`] when a nonce was asked
    /// for but none usable was sent; an [`Error::MalformedResponse`] when the
    /// header could not be parsed.
    Rejected(Error),
}

impl AuthChallenge {
    /// Reads the challenges of a response (any status; usually `401`).
    ///
    /// `None` when there is no `WWW-Authenticate` header or no challenge
    /// carries an `error` (for instance a bare `Bearer realm="…"`, which only
    /// says credentials are needed). A `DPoP` challenge with `use_dpop_nonce`
    /// wins over every other; otherwise the first challenge with an `error`
    /// is reported.
    pub fn from_response(status: StatusCode, headers: &HeaderMap) -> Option<AuthChallenge> {
        let challenges = match Challenge::from_headers(headers) {
            Ok(c) => c,
            Err(Error::MalformedResponse { reason, .. }) => {
                return Some(AuthChallenge::Rejected(Error::MalformedResponse {
                    status: Some(status),
                    reason,
                }));
            }
            Err(e) => return Some(AuthChallenge::Rejected(e)),
        };
        if asks_for_nonce(&challenges) {
            return Some(match dpop_nonce(headers) {
                Some(n) => AuthChallenge::UseDpopNonce {
                    nonce: n.to_owned(),
                },
                None => AuthChallenge::Rejected(Error::Dpop(
                    "the server asked for a nonce but sent no usable DPoP-Nonce".into(),
                )),
            });
        }
        challenges
            .iter()
            .find_map(|c| c.to_error(status))
            .map(AuthChallenge::Rejected)
    }

    /// The error, for [`Rejected`](Self::Rejected); `None` for a nonce
    /// request.
    pub fn error(&self) -> Option<&Error> {
        match self {
            AuthChallenge::Rejected(e) => Some(e),
            AuthChallenge::UseDpopNonce { .. } => None,
        }
    }
}

/// Whether a `DPoP` challenge among `challenges` says `use_dpop_nonce`.
pub(crate) fn asks_for_nonce(challenges: &[Challenge]) -> bool {
    challenges
        .iter()
        .any(|c| c.is_scheme("DPoP") && c.error() == Some("use_dpop_nonce"))
}

/// The response's `DPoP-Nonce` header if it holds a usable nonce (RFC 9449
/// syntax, see [`DpopKey::remember_nonce`](crate::DpopKey::remember_nonce));
/// `None` if it is absent or unusable. The one place that reads it.
pub(crate) fn dpop_nonce(headers: &HeaderMap) -> Option<&str> {
    crate::dpop::nonce_from(headers).and_then(Result::ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpop::DPOP_NONCE;

    #[test]
    fn dpop_nonce_reads_only_a_usable_nonce() {
        let mut h = HeaderMap::new();
        assert_eq!(dpop_nonce(&h), None);
        h.insert(
            DPOP_NONCE,
            http::HeaderValue::from_static("eyJ7S_zG.eyJH0-Z"),
        );
        assert_eq!(dpop_nonce(&h), Some("eyJ7S_zG.eyJH0-Z"));
        for bad in ["", "has space", "quo\"te"] {
            h.insert(DPOP_NONCE, http::HeaderValue::from_str(bad).unwrap());
            assert_eq!(dpop_nonce(&h), None, "{bad:?}");
        }
        h.insert(
            DPOP_NONCE,
            http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        assert_eq!(dpop_nonce(&h), None);
    }
}
