//! What a request presents: `Authorization: Bearer|DPoP {token}` and the
//! `DPoP` proof header.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::rejection::RejectReason;
use crate::token::DPOP;

/// The scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presented {
    Bearer,
    Dpop,
}

/// The `DPoP` header field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProofField<'a> {
    Absent,
    One(&'a str),
    /// Several fields, or one holding a list.
    Many,
    /// Not visible ASCII: no proof.
    Unreadable,
}

/// The credentials of a request: exactly one `Authorization` field of the
/// form `scheme 1*SP token68` (RFC 9110 §11.4, RFC 6750 §2.1), the scheme
/// `Bearer` or `DPoP` in any case. An absent field, or another scheme, is
/// [`RejectReason::MissingCredentials`] (RFC 6750 §3.1: no credentials of
/// ours); a repeated or malformed one, [`RejectReason::InvalidRequest`].
pub(crate) fn credentials(headers: &HeaderMap) -> Result<(Presented, &str), RejectReason> {
    let mut fields = headers.get_all(AUTHORIZATION).iter();
    let field = fields.next().ok_or(RejectReason::MissingCredentials)?;
    if fields.next().is_some() {
        return Err(RejectReason::InvalidRequest);
    }
    let text = field.to_str().map_err(|_| RejectReason::InvalidRequest)?;
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    let presented = if scheme.eq_ignore_ascii_case("bearer") {
        Presented::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Presented::Dpop
    } else {
        return Err(RejectReason::MissingCredentials);
    };
    let token = token.trim_start_matches(' ');
    if !is_token68(token) {
        return Err(RejectReason::InvalidRequest);
    }
    Ok((presented, token))
}

/// The `DPoP` field of a request.
pub(crate) fn proof(headers: &HeaderMap) -> ProofField<'_> {
    let mut fields = headers.get_all(DPOP).iter();
    let Some(field) = fields.next() else {
        return ProofField::Absent;
    };
    if fields.next().is_some() {
        return ProofField::Many;
    }
    match field.to_str() {
        Ok(text) if text.contains(',') => ProofField::Many,
        Ok(text) => ProofField::One(text.trim_matches(' ')),
        Err(_) => ProofField::Unreadable,
    }
}

/// RFC 9110 `token68`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
/// "/" ) *"="`.
fn is_token68(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn auth(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn authorization_fields() {
        assert_eq!(
            credentials(&auth(&["Bearer a.b.c"])),
            Ok((Presented::Bearer, "a.b.c"))
        );
        assert_eq!(
            credentials(&auth(&["dpop  a.b.c"])),
            Ok((Presented::Dpop, "a.b.c"))
        );
        assert_eq!(
            credentials(&auth(&[])),
            Err(RejectReason::MissingCredentials)
        );
        assert_eq!(
            credentials(&auth(&["Basic dXNlcg=="])),
            Err(RejectReason::MissingCredentials)
        );
        for bad in [
            &["Bearer a", "Bearer b"][..],
            &["Bearer"],
            &["Bearer a b"],
            &["Bearer a\tb"],
            &["Bearer =a"],
        ] {
            assert_eq!(
                credentials(&auth(bad)),
                Err(RejectReason::InvalidRequest),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dpop_fields() {
        let mut h = HeaderMap::new();
        assert_eq!(proof(&h), ProofField::Absent);
        h.append(DPOP, HeaderValue::from_static("a.b.c"));
        assert_eq!(proof(&h), ProofField::One("a.b.c"));
        h.append(DPOP, HeaderValue::from_static("d.e.f"));
        assert_eq!(proof(&h), ProofField::Many);
        h.insert(DPOP, HeaderValue::from_static("a.b.c, d.e.f"));
        assert_eq!(proof(&h), ProofField::Many);
        h.insert(DPOP, HeaderValue::from_bytes(b"\xffa").unwrap());
        assert_eq!(proof(&h), ProofField::Unreadable);
    }
}
