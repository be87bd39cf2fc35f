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

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderName, StatusCode};

use crate::error::{Error, OAuthError};

/// The most bytes of `WWW-Authenticate` (all header lines together) that are
/// parsed; a longer header is an [`Error::MalformedResponse`].
pub const MAX_WWW_AUTHENTICATE_LEN: usize = 8 * 1024;

/// The most challenges accepted in one response.
const MAX_CHALLENGES: usize = 16;

/// The most parameters accepted in one challenge.
const MAX_PARAMS: usize = 32;

/// The `DPoP-Nonce` response header (RFC 9449).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

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

fn malformed(why: &str) -> Error {
    Error::MalformedResponse {
        status: None,
        reason: format!("malformed WWW-Authenticate header: {why}"),
    }
}

/// `tchar` of RFC 9110.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The characters of a `token68` before its `=` padding.
fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// A position in the header bytes. Every access is checked (`get`), so no
/// input can make it panic.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    /// Skips spaces and tabs; whether any were skipped.
    fn skip_ws(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }

    /// Skips whitespace and empty list elements (`, ,`).
    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    /// A `token` (1*tchar), or `None` without moving.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        let bytes = self.s.get(start..self.i)?;
        if bytes.is_empty() {
            return None;
        }
        // tchars are ASCII, so this never fails.
        std::str::from_utf8(bytes).ok()
    }

    /// A `token68`: 1*(token68 char) *"=".
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(is_token68_char) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
        std::str::from_utf8(self.s.get(start..self.i)?).ok()
    }

    /// Whether an `auth-param` (`token BWS "=" BWS (token / quoted-string)`)
    /// starts here. Does not move.
    fn at_param(&mut self) -> bool {
        let start = self.i;
        let is_param = self.token().is_some() && {
            self.skip_ws();
            self.peek() == Some(b'=') && {
                self.i += 1;
                self.skip_ws();
                self.peek().is_some_and(|b| b == b'"' || is_tchar(b))
            }
        };
        self.i = start;
        is_param
    }

    /// One `auth-param`; call only where [`at_param`](Self::at_param) holds.
    fn param(&mut self) -> Result<(String, String), &'static str> {
        let name = self.token().ok_or("expected a parameter name")?;
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err("expected '=' after a parameter name");
        }
        self.i += 1;
        self.skip_ws();
        let value = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.token()
                .ok_or("expected a token or quoted string")?
                .to_owned()
        };
        Ok((name.to_ascii_lowercase(), value))
    }

    /// A `quoted-string`, unescaped; the cursor is on the opening quote.
    fn quoted(&mut self) -> Result<String, &'static str> {
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let escaped = self.peek().ok_or("unterminated quoted string")?;
                    out.push(char::from(escaped));
                    self.i += 1;
                }
                Some(b) => {
                    out.push(char::from(b));
                    self.i += 1;
                }
            }
        }
    }
}

/// Parses one header value into `out`.
fn parse_into(s: &[u8], out: &mut Vec<Challenge>) -> Result<(), &'static str> {
    // Visible ASCII, space and tab only: no obs-text, no control characters.
    if !s.iter().all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b)) {
        return Err("it holds non-ASCII or control characters");
    }
    let mut c = Cursor { s, i: 0 };
    loop {
        c.skip_ws_and_commas();
        if c.at_end() {
            return Ok(());
        }
        if out.len() >= MAX_CHALLENGES {
            return Err("too many challenges");
        }
        let scheme = c.token().ok_or("expected an auth scheme")?;
        let mut challenge = Challenge {
            scheme: scheme.to_owned(),
            token68: None,
            params: Vec::new(),
        };
        let spaced = c.skip_ws();
        match c.peek() {
            None | Some(b',') => {
                out.push(challenge);
                continue;
            }
            Some(_) if !spaced => return Err("expected a space after the auth scheme"),
            Some(_) => {}
        }
        if c.at_param() {
            loop {
                if challenge.params.len() >= MAX_PARAMS {
                    return Err("too many parameters");
                }
                challenge.params.push(c.param()?);
                c.skip_ws();
                match c.peek() {
                    None => break,
                    Some(b',') => {
                        c.skip_ws_and_commas();
                        // Another parameter of this challenge, or the next
                        // challenge (or the end).
                        if !c.at_param() {
                            break;
                        }
                    }
                    Some(_) => return Err("expected ',' after a parameter"),
                }
            }
        } else {
            let t = c.token68().ok_or("expected a token68 or parameters")?;
            challenge.token68 = Some(t.to_owned());
            c.skip_ws();
            if !matches!(c.peek(), None | Some(b',')) {
                return Err("unexpected characters after a token68");
            }
        }
        out.push(challenge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_params_token68_and_bare_schemes() {
        let c = Challenge::parse_all(
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Negotiate abc+/==, Bare"#,
        )
        .unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].scheme(), "Newauth");
        assert_eq!(c[0].param("REALM"), Some("apps"));
        assert_eq!(c[0].param("type"), Some("1"));
        assert_eq!(c[0].param("title"), Some(r#"Login to "apps""#));
        assert_eq!(c[1].param("realm"), Some("simple"));
        assert_eq!(c[2].token68(), Some("abc+/=="));
        assert!(c[2].params().next().is_none());
        assert!(c[3].is_scheme("bare"));
        assert_eq!(c[3].token68(), None);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            "Bearer error=\"unterminated",
            "Bearer error=\"ends in backslash\\",
            "Bearer realm=\"a\" junk",
            "=",
            "\"quoted\"",
            "Bearer,realm=x",
            "DPoP error=\"a\u{7}b\"",
            "DPoP error=\"é\"",
            "Bearer\u{0}",
            "Bearer ===",
            "Bearer a b",
        ] {
            let err = Challenge::parse_all(bad).unwrap_err();
            assert!(
                matches!(err, Error::MalformedResponse { .. }),
                "{bad:?}: {err:?}"
            );
        }
        assert!(Challenge::parse_all("").unwrap().is_empty());
        assert!(Challenge::parse_all(" , ,").unwrap().is_empty());
    }

    #[test]
    fn every_prefix_and_byte_soup_is_handled() {
        let good = r#"DPoP algs="ES256 PS256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", Bearer realm="x\"y""#;
        for end in 0..=good.len() {
            let _ = Challenge::parse_all(&good[..end]);
        }
        // A deterministic pseudo-random soup of header-ish bytes.
        let alphabet = b"ab=\",\\ \t\x01DPoPBearer";
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            let mut s = Vec::new();
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                s.push(alphabet[(x as usize) % alphabet.len()]);
            }
            let s = String::from_utf8_lossy(&s);
            let _ = Challenge::parse_all(&s);
        }
    }

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

    #[test]
    fn limits_hold() {
        let huge = format!("Bearer realm=\"{}\"", "a".repeat(64 * 1024));
        assert!(Challenge::parse_all(&huge).is_err());
        let many = "A, ".repeat(MAX_CHALLENGES + 1);
        assert!(Challenge::parse_all(&many).is_err());
        let params = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join(", ");
        assert!(Challenge::parse_all(&format!("Bearer {params}")).is_err());
    }
}
