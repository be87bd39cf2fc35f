//! [`OAuthError`]: the error documents Okta answers with.

use http::StatusCode;

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
