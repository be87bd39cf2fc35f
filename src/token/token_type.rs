//! How a token is presented to Okta: [`TokenType`] (the `Authorization`
//! scheme) and the [`DPOP`] header a DPoP-bound token adds.

use http::header::HeaderName;

/// The `DPoP` request header.
pub const DPOP: HeaderName = HeaderName::from_static("dpop");

/// How a token is presented to Okta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// An Okta API token: `Authorization: SSWS {token}`.
    Ssws,
    /// An OAuth 2.0 bearer token: `Authorization: Bearer {token}`.
    Bearer,
    /// A DPoP-bound token: `Authorization: DPoP {token}` plus a `DPoP` proof.
    Dpop,
}

impl TokenType {
    /// The `Authorization` scheme: `SSWS`, `Bearer` or `DPoP`.
    pub fn scheme(self) -> &'static str {
        match self {
            TokenType::Ssws => "SSWS",
            TokenType::Bearer => "Bearer",
            TokenType::Dpop => "DPoP",
        }
    }
}
