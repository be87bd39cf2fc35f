//! What goes over the wire to the token endpoint and back: the response
//! documents and their mapping to [`AccessToken`]s and [`Error`]s.

use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::{Error, OAuthError};

/// Token endpoint answers larger than this are refused: a real one is a
/// few kilobytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// `grant_type` of the client credentials grant.
pub(crate) const GRANT_TYPE: &str = "client_credentials";
/// `client_assertion_type` of `private_key_jwt` (RFC 7523).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A successful token response (RFC 6749 section 5.1).
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: String,
    /// Seconds; a negative, fractional or quoted value fails to parse.
    /// Zero parses and is refused later (an expired token).
    pub(crate) expires_in: Option<u64>,
    pub(crate) scope: Option<String>,
}

impl Drop for TokenResponse {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.access_token);
    }
}

/// An OAuth 2.0 (`error`, `error_description`) or Okta management API
/// (`errorCode`, `errorSummary`, `errorLink`, `errorId`, `errorCauses`)
/// error document.
#[derive(Deserialize)]
struct ErrorDocument {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(rename = "errorCode")]
    error_code: Option<String>,
    #[serde(rename = "errorSummary")]
    error_summary: Option<String>,
    #[serde(rename = "errorLink")]
    error_link: Option<String>,
    #[serde(rename = "errorId")]
    error_id: Option<String>,
    /// Read loosely: causes that are not `{"errorSummary": "…"}` are
    /// skipped, not a reason to lose the rest of the document.
    #[serde(rename = "errorCauses")]
    error_causes: Option<serde_json::Value>,
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`]. The bytes
/// are zeroized when dropped: a success body holds a token.
pub(crate) async fn read_body(response: reqwest::Response) -> Result<Zeroizing<Vec<u8>>, Error> {
    read_body_limited(response, MAX_BODY_BYTES).await
}

/// Reads the whole body, refusing more than `limit` bytes, into a buffer
/// zeroized when dropped.
pub(crate) async fn read_body_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let status = response.status();
    let too_large = || Error::MalformedResponse {
        status: Some(status),
        reason: format!("the response body is larger than {limit} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(too_large());
    }
    let mut body = Zeroizing::new(Vec::new());
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses a `2xx` body.
pub(crate) fn parse_success(status: StatusCode, body: &[u8]) -> Result<TokenResponse, Error> {
    let response: TokenResponse =
        serde_json::from_slice(body).map_err(|e| Error::MalformedResponse {
            status: Some(status),
            // serde_json's messages name the position and the expected
            // type, never the input.
            reason: format!("not a token response: {}", e.classify_reason()),
        })?;
    if response.access_token.is_empty() {
        return Err(Error::MalformedResponse {
            status: Some(status),
            reason: "the access_token is empty".into(),
        });
    }
    Ok(response)
}

pub(crate) trait ClassifyReason {
    /// What is wrong with the input, in a few fixed words (serde_json's
    /// messages can quote it).
    fn classify_reason(&self) -> &'static str;
}

impl ClassifyReason for serde_json::Error {
    fn classify_reason(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not json",
            serde_json::error::Category::Data => "missing or mistyped members",
        }
    }
}

/// Maps a non-`2xx` answer to an error: 429 is [`Error::RateLimited`], an
/// error document is [`Error::OAuth`], anything else
/// [`Error::MalformedResponse`]. Never keeps the body.
pub(crate) fn error_from(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::rate_limited(headers);
    }
    if status.is_redirection() {
        return Error::MalformedResponse {
            status: Some(status),
            reason: "the token endpoint answered with a redirect, which is not followed".into(),
        };
    }
    let doc = serde_json::from_slice::<ErrorDocument>(body).ok();
    let Some(doc) = doc else {
        return Error::MalformedResponse {
            status: Some(status),
            reason: "an error status without a json error document".into(),
        };
    };
    let (error, description) = match (doc.error, doc.error_code.clone()) {
        (Some(error), _) => (error, doc.error_description.or(doc.error_summary)),
        (None, Some(code)) => (code, doc.error_summary.or(doc.error_description)),
        (None, None) => {
            return Error::MalformedResponse {
                status: Some(status),
                reason: "an error document without `error` or `errorCode`".into(),
            };
        }
    };
    let mut e = OAuthError::new(status, sanitize(&error));
    if let Some(d) = description {
        e = e.with_description(sanitize(&d));
    }
    if let Some(code) = doc.error_code {
        e = e.with_error_code(sanitize(&code));
    }
    if let Some(id) = doc.error_id {
        e = e.with_error_id(sanitize(&id));
    }
    if let Some(link) = doc.error_link {
        e = e.with_error_link(sanitize(&link));
    }
    if let Some(serde_json::Value::Array(causes)) = doc.error_causes {
        let summaries = causes
            .iter()
            .filter_map(|c| c.get("errorSummary")?.as_str())
            .map(sanitize);
        e = e.with_error_causes(summaries);
    }
    Error::OAuth(e)
}

/// The most bytes of one server-supplied error field that are kept.
pub(crate) const MAX_ERROR_FIELD_BYTES: usize = 512;

/// Server text made safe to log and display: control characters (line
/// breaks, terminal escapes) dropped, at most [`MAX_ERROR_FIELD_BYTES`]
/// bytes kept, cut at a character boundary.
pub(crate) fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_FIELD_BYTES));
    for c in text.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_ERROR_FIELD_BYTES {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_error_documents_keep_their_ids() {
        let body =
            br#"{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorId":"oae1"}"#;
        let e = error_from(StatusCode::UNAUTHORIZED, &HeaderMap::new(), body);
        let o = e.oauth_error().unwrap();
        assert_eq!(o.error(), "E0000011");
        assert_eq!(o.error_code(), Some("E0000011"));
        assert_eq!(o.description(), Some("Invalid token provided"));
        assert_eq!(o.error_id(), Some("oae1"));
    }

    #[test]
    fn management_error_documents_keep_link_and_causes_sanitized_and_capped() {
        let long = "x".repeat(2 * MAX_ERROR_FIELD_BYTES);
        let causes: Vec<serde_json::Value> = (0..20)
            .map(
                |i| serde_json::json!({ "errorSummary": format!("field{i}: bad\n\x1b[31m{long}") }),
            )
            .chain([serde_json::json!("not an object")])
            .collect();
        let body = serde_json::json!({
            "errorCode": "E0000001",
            "errorSummary": "Api validation failed: label",
            "errorLink": "E0000001",
            "errorId": "oae2",
            "errorCauses": causes,
        });
        let e = error_from(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            &serde_json::to_vec(&body).unwrap(),
        );
        let o = e.oauth_error().unwrap();
        assert_eq!(o.error_code(), Some("E0000001"));
        assert_eq!(o.error_link(), Some("E0000001"));
        assert_eq!(o.error_id(), Some("oae2"));
        assert_eq!(o.error_causes().len(), OAuthError::MAX_ERROR_CAUSES);
        let first = &o.error_causes()[0];
        assert!(first.starts_with("field0: bad[31mxxx"), "{first}");
        assert!(first.len() <= MAX_ERROR_FIELD_BYTES);
        // A document whose causes are not an array keeps the rest.
        let body = br#"{"errorCode":"E0000006","errorSummary":"no","errorCauses":"?"}"#;
        let e = error_from(StatusCode::FORBIDDEN, &HeaderMap::new(), body);
        assert!(e.oauth_error().unwrap().error_causes().is_empty());
    }

    #[test]
    fn sanitize_drops_controls_and_caps_at_a_char_boundary() {
        assert_eq!(sanitize("a\n\x1b[31mb\u{9b}c\u{7f}"), "a[31mbc");
        let long = "é".repeat(1000);
        let cut = sanitize(&long);
        assert!(cut.len() <= MAX_ERROR_FIELD_BYTES && cut.len() > MAX_ERROR_FIELD_BYTES - 2);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn documents_without_codes_are_malformed() {
        let e = error_from(StatusCode::BAD_REQUEST, &HeaderMap::new(), b"{}");
        assert!(matches!(e, Error::MalformedResponse { .. }));
        let e = error_from(StatusCode::BAD_REQUEST, &HeaderMap::new(), b"<html>");
        assert!(matches!(e, Error::MalformedResponse { .. }));
    }
}
