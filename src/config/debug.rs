//! How an [`OktaConfig`] prints: `Debug` with the token, the key, the
//! proxy password and an org URL's user info redacted.

use std::fmt;

use super::OktaConfig;
use super::connection::RedactedHost;
use super::setting::Setting;

impl fmt::Debug for OktaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn value<T>(s: &Option<Setting<T>>) -> Option<&T> {
            s.as_ref().map(|s| &s.value)
        }
        let redacted = |set: bool| set.then_some("[redacted]");
        f.debug_struct("OktaConfig")
            .field(
                "org_url",
                &self.org_url.as_ref().map(|s| RedactedUrl(&s.value)),
            )
            .field("authorization_mode", &value(&self.mode))
            .field("token", &redacted(self.token.is_some()))
            .field("client_id", &value(&self.client_id))
            .field("scopes", &value(&self.scopes))
            .field("private_key", &value(&self.private_key))
            .field("private_key_id", &value(&self.private_key_id))
            .field(
                "proxy_host",
                &self.proxy_host.as_ref().map(|s| RedactedHost(&s.value)),
            )
            .field("proxy_port", &value(&self.proxy_port))
            .field("proxy_username", &value(&self.proxy_username))
            .field("proxy_password", &redacted(self.proxy_password.is_some()))
            .field("connection_timeout", &value(&self.connection_timeout))
            .field("request_timeout", &value(&self.request_timeout))
            .field("rate_limit_max_retries", &value(&self.max_retries))
            .field("rate_limit_max_backoff", &value(&self.max_backoff))
            .field("dpop_mode", &self.dpop_mode)
            .field("http_client", &self.http_client.as_ref().map(|_| "yours"))
            .field("cache", &self.cache.as_ref().map(|_| "tuned"))
            .finish_non_exhaustive()
    }
}

/// An org URL as `Debug` shows it: user info (a password, say) replaced
/// by `[redacted]`, and the whole of it redacted unless it parses as an
/// `http(s)` URL (anything else could hide a secret anywhere).
struct RedactedUrl<'a>(&'a str);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(mut url) = url::Url::parse(self.0.trim()) else {
            return f.write_str("[redacted]");
        };
        if !matches!(url.scheme(), "https" | "http") {
            return f.write_str("[redacted]");
        }
        let user_info = !url.username().is_empty() || url.password().is_some();
        // An http(s) URL with a host can always drop its user info.
        if url.set_username("").is_err() || url.set_password(None).is_err() {
            return f.write_str("[redacted]");
        }
        let shown = url.as_str();
        match shown.split_once("://") {
            Some((scheme, rest)) if user_info => write!(f, "\"{scheme}://[redacted]@{rest}\""),
            _ => write!(f, "{shown:?}"),
        }
    }
}
