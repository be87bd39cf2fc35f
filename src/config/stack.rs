//! What an [`OktaConfig`] builds from its settings: the cached token
//! source ([`OktaConfig::token_source`]) and the client with the
//! middleware stacked over it ([`OktaConfig::client`],
//! [`OktaConfig::rate_limit`]).

use std::sync::Arc;

use secrecy::ExposeSecret;

use super::OktaConfig;
use super::authorization_mode::AuthorizationMode;
use super::names::Name;
use crate::cache::CachingTokenSource;
use crate::error::Error;
use crate::token::TokenSource;

impl OktaConfig {
    /// A ready, cached token source for these settings: an
    /// [`ApiTokenSource`](crate::ApiTokenSource) for `SSWS`, a
    /// [`ServiceAppSource`](crate::ServiceAppSource) on the org
    /// authorization server for `PrivateKey` (on the
    /// [shared client](Self::reqwest_client), with the request timeout),
    /// wrapped in a [`CachingTokenSource`] tuned by
    /// [`cache`](Self::cache).
    ///
    /// Reads the private key file, if the key is a path. No network.
    pub fn token_source(&self) -> Result<Arc<dyn TokenSource>, Error> {
        self.source_on(None)
    }

    /// The token source, on `http` if given, else on [`Self::http`].
    fn source_on(&self, http: Option<reqwest::Client>) -> Result<Arc<dyn TokenSource>, Error> {
        let org = self.org()?;
        let source: Arc<dyn TokenSource> = match self.mode()? {
            AuthorizationMode::Ssws => {
                let token = self
                    .token
                    .as_ref()
                    .ok_or_else(|| self.missing("an API token", Name::Token))?;
                let source = crate::ApiTokenSource::new(token.value.expose_secret())
                    .map_err(|_| token.error("is not a usable API token"))?;
                Arc::new(source)
            }
            AuthorizationMode::PrivateKey => {
                let client_id = self
                    .client_id
                    .as_ref()
                    .ok_or_else(|| self.missing("a client id", Name::ClientId))?;
                let key = self.read_signing_key()?;
                let scopes = self
                    .scopes
                    .as_ref()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                if scopes.is_empty() {
                    return Err(self.missing("scopes", Name::Scopes));
                }
                let http = match http {
                    Some(http) => http,
                    None => self.http(&org)?,
                };
                let mut builder = crate::ServiceAppSource::builder(org, client_id.value.clone())
                    .private_key(key)
                    .scopes(scopes)
                    .http_client(http);
                if self.http_client.is_none()
                    && let Some(timeout) = self.connection()?.request_timeout
                {
                    builder = builder.timeout(timeout);
                }
                if let Some(mode) = self.dpop_mode {
                    builder = builder.dpop(mode);
                }
                Arc::new(builder.build()?)
            }
        };
        let mut cache = CachingTokenSource::builder(source);
        if let Some(tune) = &self.cache {
            cache = tune(cache);
        }
        Ok(Arc::new(cache.build()?))
    }

    /// A client for the Okta API with everything in place: on the
    /// [shared client](Self::reqwest_client) (or yours), an
    /// [`OktaRateLimit`](crate::OktaRateLimit) with the rate-limit settings,
    /// then an [`OktaAuth`](crate::OktaAuth) over the
    /// [cached source](Self::token_source). Token requests and API requests
    /// go through one connection pool (and proxy).
    ///
    /// Fails like [`token_source`](Self::token_source) and
    /// [`reqwest_client`](Self::reqwest_client). No network.
    #[cfg(feature = "middleware")]
    #[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
    pub fn client(&self) -> Result<reqwest_middleware::ClientWithMiddleware, Error> {
        let org = self.org()?;
        let http = self.http(&org)?;
        let rate_limit = self.rate_limit()?;
        let source = self.source_on(Some(http.clone()))?;
        Ok(reqwest_middleware::ClientBuilder::new(http)
            .with(rate_limit)
            .with(crate::OktaAuth::new(org, source))
            .build())
    }

    /// The [`OktaRateLimit`](crate::OktaRateLimit) [`client`](Self::client)
    /// uses: `rateLimit.maxRetries` as its
    /// [`max_retries`](crate::OktaRateLimit::max_retries) and
    /// `rateLimit.maxBackoff` as its
    /// [`max_wait`](crate::OktaRateLimit::max_wait), the defaults for
    /// those not set. For a middleware stack of your own.
    #[cfg(feature = "middleware")]
    #[cfg_attr(docsrs, doc(cfg(feature = "middleware")))]
    pub fn rate_limit(&self) -> Result<crate::OktaRateLimit, Error> {
        let org = self.org()?;
        let (retries, max_wait) = self.rate_limit_settings()?;
        let mut rate_limit = crate::OktaRateLimit::new(org);
        if let Some(retries) = retries {
            rate_limit = rate_limit.max_retries(retries);
        }
        if let Some(max_wait) = max_wait {
            rate_limit = rate_limit.max_wait(max_wait);
        }
        Ok(rate_limit)
    }
}
