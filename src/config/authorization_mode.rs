//! [`AuthorizationMode`]: how the program authenticates to Okta, as set
//! or inferred from which credentials are set ([`OktaConfig::mode`]).

use super::OktaConfig;
use super::names::Name;
use super::sources::{ENV_AUTHORIZATION_MODE, ENV_CLIENT_ID, ENV_PRIVATE_KEY, ENV_TOKEN};
use crate::error::Error;

/// How the program authenticates to Okta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationMode {
    /// An API token (`SSWS`).
    Ssws,
    /// An API service app with a private key (`private_key_jwt`).
    PrivateKey,
}

impl AuthorizationMode {
    fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            v if v.eq_ignore_ascii_case("SSWS") => Some(Self::Ssws),
            v if v.eq_ignore_ascii_case("PrivateKey") => Some(Self::PrivateKey),
            _ => None,
        }
    }
}

impl OktaConfig {
    /// The authorization mode: as set, or inferred from what is set.
    pub fn mode(&self) -> Result<AuthorizationMode, Error> {
        if let Some(setting) = &self.mode {
            return AuthorizationMode::parse(&setting.value)
                .ok_or_else(|| setting.error("must be SSWS or PrivateKey"));
        }
        let has_token = self.token.is_some();
        let has_app = self.client_id.is_some() || self.private_key.is_some();
        match (has_token, has_app) {
            (true, false) => Ok(AuthorizationMode::Ssws),
            (false, true) => Ok(AuthorizationMode::PrivateKey),
            (true, true) => Err(Error::Config(format!(
                "both an API token and a service app are configured: set {ENV_AUTHORIZATION_MODE} \
                 (okta.client.authorizationMode) to SSWS or PrivateKey"
            ))),
            (false, false) => Err(Error::Config(format!(
                "no credentials configured: set {ENV_TOKEN} for an API token, or {ENV_CLIENT_ID} \
                 and {ENV_PRIVATE_KEY} for a service app{}",
                self.hint_suffix(&[
                    Name::Token,
                    Name::ClientId,
                    Name::PrivateKey,
                    Name::AuthorizationMode
                ]),
            ))),
        }
    }
}
