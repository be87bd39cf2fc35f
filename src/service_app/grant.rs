//! The client credentials grant of a [`ServiceAppSource`]: one token
//! request with a fresh assertion and proof, the retry when the server
//! asks for a DPoP nonce, the [`AccessToken`] made of the answer (with our
//! hints on an error), and the [`TokenSource`] impl that runs it in a span.

use std::time::Duration;

use async_trait::async_trait;
use http::header::{AUTHORIZATION, USER_AGENT};
use http::{Method, StatusCode};
use tracing::Instrument;

use super::{ClientAuth, DpopMode, ServiceAppSource, wire};
use crate::dpop::NonceScope;
use crate::error::{Error, OAuthError};
use crate::token::{AccessToken, DPOP, TokenSource};

const SECRET_ON_ORG_SERVER_HINT: &str = "client secrets work only with custom authorization servers and OIN integrations; a service app on the org authorization server needs a private key (private_key_jwt)";
const REDIRECT_FOLLOWED: &str = "the token endpoint redirected and the http client followed it, re-sending the client credentials; build the client given to http_client() with redirect::Policy::none()";
const DPOP_REQUIRED_HINT: &str =
    "the app requires DPoP: use DpopMode::Auto or DpopMode::Always instead of DpopMode::Never";

/// What one token POST came back with.
enum Attempt {
    Token(AccessToken),
    /// `400 use_dpop_nonce`; the new nonce is already remembered.
    NeedsNonce,
}

impl ServiceAppSource {
    /// One token POST with a fresh assertion and, with DPoP, a fresh proof
    /// carrying the remembered nonce.
    async fn attempt(&self) -> Result<Attempt, Error> {
        let c = &*self.inner;
        let mut form: Vec<(&str, &str)> =
            vec![("grant_type", wire::GRANT_TYPE), ("scope", &c.scope)];
        let assertion;
        // On the request, so that it holds with a caller's client too.
        let mut request = c
            .http
            .post(c.endpoint.clone())
            .timeout(c.timeout)
            .header(USER_AGENT, crate::user_agent::value());
        match &c.auth {
            ClientAuth::PrivateKey(key) => {
                // The key in place now signs this assertion; a rotation
                // after this line changes the next one, not this request.
                assertion = zeroize::Zeroizing::new(key.load().client_assertion(
                    &c.client_id,
                    &c.endpoint,
                    c.assertion_lifetime,
                )?);
                form.push(("client_assertion_type", wire::ASSERTION_TYPE));
                form.push(("client_assertion", assertion.as_str()));
            }
            ClientAuth::Secret(basic) => {
                request = request.header(AUTHORIZATION, basic.clone());
            }
        }
        if let Some(key) = &c.dpop_key {
            let scope = NonceScope::TokenEndpoint(&c.endpoint);
            let proof = key.scoped_proof(&Method::POST, &c.endpoint, scope, None)?;
            request = request.header(DPOP, crate::dpop::proof_header(proof)?);
        }
        let sent_at = crate::clock::now();
        let response = request.form(&form).send().await.map_err(Error::transport)?;
        if response.url() != &c.endpoint {
            // Only a caller-supplied client that follows redirects gets here.
            return Err(Error::Config(REDIRECT_FOLLOWED.into()));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = wire::read_body(response).await?;

        if status.is_success() {
            if let (Some(key), Some(Ok(nonce))) = (&c.dpop_key, crate::dpop::nonce_from(&headers)) {
                // A nonce on a success is a courtesy for next time; an
                // unusable one is simply not remembered.
                let _ = key.remember_scoped_nonce(NonceScope::TokenEndpoint(&c.endpoint), nonce);
            }
            let parsed = wire::parse_success(status, &body)?;
            return self
                .token_from(status, &parsed, sent_at)
                .map(Attempt::Token);
        }

        let error = wire::error_from(status, &headers, &body);
        let Error::OAuth(oauth) = error else {
            return Err(error);
        };
        // RFC 9449 says 400; any 4xx with this code means the same.
        if status.is_client_error() && oauth.error() == "use_dpop_nonce" {
            let Some(key) = &c.dpop_key else {
                return Err(Error::OAuth(oauth.with_hint(DPOP_REQUIRED_HINT)));
            };
            let nonce = crate::dpop::nonce_from(&headers).ok_or_else(|| {
                Error::Dpop(
                    "the server asked for a nonce (use_dpop_nonce) but sent no DPoP-Nonce".into(),
                )
            })??;
            key.remember_scoped_nonce(NonceScope::TokenEndpoint(&c.endpoint), nonce)?;
            tracing::debug!(endpoint = %c.endpoint, "token endpoint asked for a dpop nonce");
            return Ok(Attempt::NeedsNonce);
        }
        Err(Error::OAuth(self.hint(oauth)))
    }

    /// Adds our advice to an error answer where we have some.
    fn hint(&self, oauth: OAuthError) -> OAuthError {
        let c = &*self.inner;
        match oauth.error() {
            "invalid_client" if c.org_server && matches!(c.auth, ClientAuth::Secret(_)) => {
                oauth.with_hint(SECRET_ON_ORG_SERVER_HINT)
            }
            "invalid_dpop_proof" if c.dpop_key.is_none() => oauth.with_hint(DPOP_REQUIRED_HINT),
            _ => oauth,
        }
    }

    fn token_from(
        &self,
        status: StatusCode,
        response: &wire::TokenResponse,
        sent_at: crate::clock::Instant,
    ) -> Result<AccessToken, Error> {
        let c = &*self.inner;
        let malformed = |reason: &str| Error::MalformedResponse {
            status: Some(status),
            reason: reason.into(),
        };
        let secret = response.access_token.clone();
        let token = if response.token_type.eq_ignore_ascii_case("dpop") {
            let Some(key) = &c.dpop_key else {
                return Err(Error::Dpop(
                    "the server returned a DPoP token but dpop is off (DpopMode::Never)".into(),
                ));
            };
            AccessToken::dpop(secret, key.clone())
                .map_err(|_| malformed("the access_token cannot go in a header"))?
        } else if response.token_type.eq_ignore_ascii_case("bearer") {
            if c.dpop == DpopMode::Always {
                return Err(Error::Dpop(
                    "the server returned a Bearer token but DpopMode::Always needs a DPoP-bound one"
                        .into(),
                ));
            }
            AccessToken::new(crate::token::TokenType::Bearer, secret)
                .map_err(|_| malformed("the access_token cannot go in a header"))?
        } else {
            return Err(malformed("unsupported token_type: expected Bearer or DPoP"));
        };
        let expires_in = match response.expires_in {
            None => return Err(malformed("the token response has no expires_in")),
            // Expired as it arrives: no caller could use it. (A negative
            // value never gets here: it is no `u64`, so the body does not
            // parse.)
            Some(0) => return Err(malformed("expires_in is 0: the token has already expired")),
            Some(secs) => secs,
        };
        let scopes: Vec<String> = match &response.scope {
            Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
            // RFC 6749 5.1: an omitted scope is the scope requested.
            None => c.scopes.clone(),
        };
        // Counted from when the request was sent: the server's clock started
        // no earlier.
        let expires_at = sent_at
            .checked_add(Duration::from_secs(expires_in))
            .ok_or_else(|| malformed("expires_in is out of range"))?;
        Ok(token.with_expires_at(expires_at).with_scopes(scopes))
    }

    /// The grant: one attempt, and one more if the server asks for a DPoP
    /// nonce. Records the attempt number on `span`.
    async fn fetch(&self, span: &tracing::Span) -> Result<AccessToken, Error> {
        span.record("attempt", 1);
        if let Attempt::Token(token) = self.attempt().await? {
            return Ok(token);
        }
        span.record("attempt", 2);
        match self.attempt().await? {
            Attempt::Token(token) => Ok(token),
            Attempt::NeedsNonce => Err(Error::Dpop(
                "the server asked for a new DPoP nonce again after the retry".into(),
            )),
        }
    }
}

#[async_trait]
impl TokenSource for ServiceAppSource {
    /// Runs the client credentials grant: one POST, or two when the server
    /// asks for a DPoP nonce (`use_dpop_nonce`), each with a fresh assertion
    /// and proof. A second nonce request is an [`Error::Dpop`].
    ///
    /// Runs in an `info` span `okta_token_fetch` (`client_id`, `endpoint`,
    /// `dpop`; then `attempt`, and when it ends `outcome` — `ok` or
    /// `error` —, `token_type` or `error`, and `duration_ms`), with a
    /// `debug` event when it ends. No field holds a credential.
    async fn token(&self) -> Result<AccessToken, Error> {
        let c = &*self.inner;
        let span = tracing::info_span!(
            "okta_token_fetch",
            client_id = c.client_id.as_str(),
            endpoint = c.endpoint.as_str(),
            dpop = c.dpop_key.is_some(),
            attempt = tracing::field::Empty,
            outcome = tracing::field::Empty,
            token_type = tracing::field::Empty,
            error = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = crate::clock::now();
        let result = self.fetch(&span).instrument(span.clone()).await;
        let elapsed = crate::clock::now().saturating_duration_since(started);
        let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", duration_ms);
        span.in_scope(|| match &result {
            Ok(token) => {
                let token_type = token.token_type().scheme();
                span.record("outcome", "ok");
                span.record("token_type", token_type);
                tracing::debug!(token_type, duration_ms, "okta token fetched");
            }
            Err(error) => {
                span.record("outcome", "error");
                span.record("error", tracing::field::display(error));
                tracing::debug!(%error, duration_ms, "okta token fetch failed");
            }
        });
        result
    }

    /// `false`: every call is a token request (see
    /// [`TokenSource::is_cached`]).
    fn is_cached(&self) -> bool {
        false
    }
}

/// The mutation engine of the integration fuzz tests, reused so that the
/// token-response parser, which the public API does not expose, is fuzzed
/// with many more inputs than requests could carry.
#[cfg(test)]
#[path = "../../tests/it/fuzz/mutator.rs"]
mod fuzz_mutator;

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::fuzz_mutator::{Target, fuzz, iterations};
    use super::*;
    use crate::key::SigningKey;
    use crate::org::OrgUrl;

    const SECRET: &str = "at-SECRET-e1";

    /// Every token response and error document, mutated: parsing never
    /// panics, and an error about a success body never shows the body.
    #[test]
    fn fuzz_token_responses() {
        let org: OrgUrl = "https://example.okta.com".parse().unwrap();
        let source = ServiceAppSource::builder(org, "0oaFuzz")
            .private_key(SigningKey::generate_p256())
            .scopes(["okta.users.read"])
            .build()
            .unwrap();
        let seeds = [
            format!(
                r#"{{"token_type":"Bearer","expires_in":3600,"access_token":"{SECRET}","scope":"okta.users.read okta.groups.read"}}"#
            ),
            format!(r#"{{"token_type":"DPoP","expires_in":300,"access_token":"{SECRET}"}}"#),
            r#"{"error":"invalid_client","error_description":"The client_assertion signature is invalid."}"#.to_owned(),
            r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof."}"#.to_owned(),
            r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorLink":"E0000047","errorId":"oaeX","errorCauses":[]}"#.to_owned(),
            "<html><body>502 Bad Gateway</body></html>".to_owned(),
        ];
        let statuses = [200, 201, 204, 307, 400, 401, 403, 429, 500, 503];
        let mut n = 0usize;
        fuzz(
            Target {
                name: "token response",
                seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
                dictionary: &[
                    b"\"access_token\":",
                    b"\"token_type\":",
                    b"\"expires_in\":",
                    b"\"scope\":",
                    b"\"error\":",
                    b"\"errorCode\":",
                    b"\"Bearer\"",
                    b"\"DPoP\"",
                    b"\"mac\"",
                    b"0",
                    b"-1",
                    b"18446744073709551615",
                    b"18446744073709551616",
                    b"1e999",
                    b"3.5",
                    b"null",
                    b"\"\"",
                    b"[]",
                    b"{}",
                    b"\\u0000",
                    b"\\ud800",
                    b"\\r\\n",
                    b"\\u001b[31m",
                ],
                iterations: iterations(20_000, 1.0),
                max_len: wire::MAX_BODY_BYTES,
            },
            |body| {
                n += 1;
                let status = StatusCode::from_u16(statuses[n % statuses.len()]).unwrap();
                let result = match wire::parse_success(status, body) {
                    Ok(parsed) => source
                        .token_from(status, &parsed, crate::clock::now())
                        .map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = result {
                    assert!(!format!("{e} {e:?}").contains(SECRET), "{e:?}");
                }
                let _ = wire::error_from(status, &HeaderMap::new(), body).to_string();
            },
        );
    }
}
