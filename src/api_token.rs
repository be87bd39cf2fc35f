//! [`ApiTokenSource`]: an Okta API token (`SSWS`).

use std::fmt;

use async_trait::async_trait;

use crate::error::Error;
use crate::token::{AccessToken, TokenSource, TokenType};

/// An Okta API token, sent as `Authorization: SSWS {token}`.
///
/// API tokens are made in the Admin UI, carry the roles of the admin who
/// made them, and expire after 30 days without use. They have no schedule
/// this crate knows, so [`token`](TokenSource::token) never does I/O and
/// [`invalidate`](TokenSource::invalidate) does nothing: a rejected API
/// token needs a new one from an admin.
///
/// ```
/// use okta_auth::{ApiTokenSource, TokenSource, TokenType};
///
/// # async fn run() -> Result<(), okta_auth::Error> {
/// let source = ApiTokenSource::new("00abc…")?;
/// let token = source.token().await?;
/// assert_eq!(token.token_type(), TokenType::Ssws);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ApiTokenSource {
    token: AccessToken,
}

impl ApiTokenSource {
    /// An API token source. Fails with [`Error::Config`] if the token is
    /// empty or contains whitespace or control characters (which could
    /// inject headers).
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            token: AccessToken::new(TokenType::Ssws, token)?,
        })
    }
}

#[async_trait]
impl TokenSource for ApiTokenSource {
    async fn token(&self) -> Result<AccessToken, Error> {
        Ok(self.token.clone())
    }

    /// `true`: the token is at hand, there is nothing to cache (see
    /// [`TokenSource::is_cached`]).
    fn is_cached(&self) -> bool {
        true
    }
}

impl fmt::Debug for ApiTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiTokenSource")
            .field("token", &"[redacted]")
            .finish()
    }
}
