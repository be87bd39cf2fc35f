//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1) and what a rejected
//! request asks of the client: [`Challenge`] and [`AuthChallenge`].
//!
//! Okta's resource servers answer a refused `Bearer` or `DPoP` token with
//! `401` and a challenge such as
//! `DPoP algs="ES256", error="invalid_dpop_proof", error_description="…"`,
//! or ask for a DPoP nonce with `DPoP error="use_dpop_nonce"` and a
//! `DPoP-Nonce` header (RFC 9449 §9). No official Okta SDK reads these; this
//! module does, without trusting the server: the input is bounded
//! ([`MAX_WWW_AUTHENTICATE_LEN`]) and a malformed header is a typed error,
//! never a panic.
//!
//! [`Challenge`] is one challenge; the RFC 9110 grammar that reads them is
//! in `parse`; [`AuthChallenge`] (in `auth_challenge`) is what a response's
//! challenges ask of the client.

mod auth_challenge;
mod parse;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, StatusCode};

use crate::error::{Error, OAuthError};
use parse::parse_into;

pub use auth_challenge::AuthChallenge;
pub(crate) use auth_challenge::{asks_for_nonce, dpop_nonce};

/// The most bytes of `WWW-Authenticate` (all header lines together) that are
/// parsed; a longer header is an [`Error::MalformedResponse`].
pub const MAX_WWW_AUTHENTICATE_LEN: usize = 8 * 1024;

/// One challenge of a `WWW-Authenticate` header: an auth scheme with either
/// a `token68` or parameters.
///
/// ```
/// use okta_auth::Challenge;
///
/// let challenges = Challenge::parse_all(
///     r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="'htu' claim is invalid.", Bearer realm="okta""#,
/// )?;
/// assert_eq!(challenges.len(), 2);
/// assert!(challenges[0].is_scheme("dpop"));
/// assert_eq!(challenges[0].error(), Some("invalid_dpop_proof"));
/// assert_eq!(challenges[0].error_description(), Some("'htu' claim is invalid."));
/// assert_eq!(challenges[1].param("realm"), Some("okta"));
/// # Ok::<(), okta_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    /// Names lower-cased; values unquoted and unescaped.
    params: Vec<(String, String)>,
}

impl Challenge {
    /// Parses one `WWW-Authenticate` header value, which may hold several
    /// challenges.
    ///
    /// Fails with [`Error::MalformedResponse`] for input longer than
    /// [`MAX_WWW_AUTHENTICATE_LEN`], non-ASCII or control characters, an
    /// unterminated quoted string, or anything else outside the RFC 9110
    /// grammar. An empty header is no challenge at all: `Ok(vec![])`.
    pub fn parse_all(header: &str) -> Result<Vec<Challenge>, Error> {
        if header.len() > MAX_WWW_AUTHENTICATE_LEN {
            return Err(malformed("it is too long"));
        }
        let mut out = Vec::new();
        parse_into(header.as_bytes(), &mut out).map_err(malformed)?;
        Ok(out)
    }

    /// Parses every `WWW-Authenticate` header in `headers`, in order.
    ///
    /// The same rules as [`parse_all`](Self::parse_all), with the length
    /// bound applying to all header lines together.
    pub fn from_headers(headers: &HeaderMap) -> Result<Vec<Challenge>, Error> {
        let mut total = 0usize;
        let mut out = Vec::new();
        for value in headers.get_all(WWW_AUTHENTICATE) {
            total = total.saturating_add(value.len());
            if total > MAX_WWW_AUTHENTICATE_LEN {
                return Err(malformed("it is too long"));
            }
            parse_into(value.as_bytes(), &mut out).map_err(malformed)?;
        }
        Ok(out)
    }

    /// The auth scheme as the server spelled it (`DPoP`, `Bearer`, …).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `scheme`, compared case-insensitively.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The `token68` form of the challenge (`Negotiate abc==`), if used.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// The value of parameter `name` (case-insensitive), unquoted and
    /// unescaped; the first one if the server repeated it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All parameters in order, names lower-cased.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The OAuth `error` parameter (`invalid_token`, `use_dpop_nonce`, …).
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// The `error_description` parameter.
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// This challenge's error as an [`Error::OAuth`] with `status`, if it
    /// carries an `error` parameter.
    pub fn to_error(&self, status: StatusCode) -> Option<Error> {
        let code = self.error()?;
        let mut e = OAuthError::new(status, code);
        if let Some(d) = self.error_description() {
            e = e.with_description(d);
        }
        Some(Error::OAuth(e))
    }
}

fn malformed(why: &str) -> Error {
    Error::MalformedResponse {
        status: None,
        reason: format!("malformed WWW-Authenticate header: {why}"),
    }
}
