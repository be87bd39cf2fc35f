//! The `htu` claim of a DPoP proof: the request URL without query or
//! fragment, its path in Okta's form ([`htu_path`]) or plain RFC 3986
//! ([`HtuForm`]).

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use url::Url;

/// How a proof writes its `htu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HtuForm {
    /// Okta's form, for the org: the escapes of characters that may stand
    /// raw in a path decoded ([`htu_path`]).
    Okta,
    /// The plain RFC 3986 form, for every other resource server: the path
    /// exactly as the url crate serializes it, so a strict verifier
    /// comparing it with the request URL accepts it.
    Rfc3986,
}

/// What stays percent-encoded in a path segment of an `htu`: every byte
/// but RFC 3986 `pchar` (unreserved, sub-delims, `:` and `@`). `/` is in
/// the set: inside a segment it is data (`%2F`), and decoding it would name
/// another resource.
const HTU_SEGMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    // unreserved
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    // sub-delims
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    // the rest of pchar
    .remove(b':')
    .remove(b'@');

/// The `htu` of a request: scheme, host, port and path, without query or
/// fragment, the path as [`htu_path`] writes it.
pub(crate) fn htu(url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    format!("{origin}{}", htu_path(url.path()))
}

/// A URL path as an `htu` carries it: the percent-escapes of characters
/// that may stand raw in a path (`pchar`: `%40` → `@`, `%7E` → `~`) are
/// decoded, because Okta compares `htu` with the decoded path; every other
/// byte (space, `"`, `#`, `%`, `/`, `?`, controls, `<`, `>`, `\`, `^`, `` ` ``,
/// `{`, `|`, `}`, non-ASCII) is percent-encoded, with upper-case hex, so the
/// `htu` stays a URI naming the same resource. Segment by segment, so an
/// encoded `/` stays one.
pub(crate) fn htu_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let bytes: Cow<'_, [u8]> = percent_decode_str(segment).into();
        out.extend(percent_encode(&bytes, HTU_SEGMENT_ENCODE));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_drops_query_and_fragment_and_decodes_only_pchar_escapes() {
        let url = Url::parse("https://example.okta.com/api/v1/users/a%40b.com?x=1#f").unwrap();
        assert_eq!(htu(&url), "https://example.okta.com/api/v1/users/a@b.com");
        let url = Url::parse("http://127.0.0.1:8080/oauth2/v1/token").unwrap();
        assert_eq!(htu(&url), "http://127.0.0.1:8080/oauth2/v1/token");
        let url = Url::parse("https://example.okta.com/api/v1/groups/a%20b%23c").unwrap();
        assert_eq!(
            htu(&url),
            "https://example.okta.com/api/v1/groups/a%20b%23c"
        );
    }

    #[test]
    fn htu_path_keeps_what_cannot_stand_raw_and_is_idempotent() {
        let cases = [
            ("/a%2fb", "/a%2Fb"),               // lower-case hex normalised
            ("/a%zz", "/a%25zz"),               // a stray % is encoded
            ("/a%FF%c3", "/a%FF%C3"),           // not UTF-8: kept byte by byte
            ("/a|b^c[d]", "/a%7Cb%5Ec%5Bd%5D"), // raw but not pchar
            ("/%41%2D%2e%5F%7e", "/A-._~"),     // unreserved
            ("//x/", "//x/"),                   // empty segments survive
            ("", ""),
        ];
        for (path, expected) in cases {
            assert_eq!(htu_path(path), expected, "{path}");
            assert_eq!(htu_path(expected), expected, "{expected} is stable");
        }
    }
}
