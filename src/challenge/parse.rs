//! The `WWW-Authenticate` grammar of RFC 9110 §11.6.1: challenges of an
//! auth scheme with a `token68` or `auth-param`s, read through a cursor
//! whose every access is checked, with bounds on how many
//! ([`MAX_CHALLENGES`], [`MAX_PARAMS`]).

use super::Challenge;

/// The most challenges accepted in one response.
const MAX_CHALLENGES: usize = 16;

/// The most parameters accepted in one challenge.
const MAX_PARAMS: usize = 32;

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
pub(super) fn parse_into(s: &[u8], out: &mut Vec<Challenge>) -> Result<(), &'static str> {
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
    use crate::error::Error;

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
