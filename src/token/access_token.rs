//! [`AccessToken`]: a credential for the Okta API, when it expires, what it
//! was granted, and the headers that authorize one request with it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::token_type::{DPOP, TokenType};
use crate::clock::{self, Instant};
use crate::dpop::{DpopKey, HtuForm};
use crate::error::Error;

/// A credential for the Okta API, ready to authorize requests.
///
/// Cloning is cheap (an `Arc` inside), and clones are the *same* token for
/// [`same_token`](AccessToken::same_token). `Debug` never shows the secret,
/// and there is no `Display`.
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    token_type: TokenType,
    secret: SecretString,
    /// `"{scheme} {secret}"`, validated and marked sensitive once.
    authorization: HeaderValue,
    expires_at: Option<Instant>,
    scopes: Vec<String>,
    dpop_key: Option<DpopKey>,
}

impl AccessToken {
    /// A token of type `token_type` (`Ssws` or `Bearer`) with no expiry and
    /// no scopes. For a DPoP-bound token use [`AccessToken::dpop`].
    ///
    /// Fails with [`Error::Config`] if the secret is empty or holds
    /// characters that cannot go in a header (whitespace, control
    /// characters), or if `token_type` is `Dpop`.
    pub fn new(token_type: TokenType, secret: impl Into<String>) -> Result<Self, Error> {
        if token_type == TokenType::Dpop {
            return Err(Error::Config(
                "a DPoP token needs its key: use AccessToken::dpop".into(),
            ));
        }
        Self::build(token_type, secret.into(), None)
    }

    /// A DPoP-bound token with the key it is bound to.
    pub fn dpop(secret: impl Into<String>, key: DpopKey) -> Result<Self, Error> {
        Self::build(TokenType::Dpop, secret.into(), Some(key))
    }

    fn build(
        token_type: TokenType,
        secret: String,
        dpop_key: Option<DpopKey>,
    ) -> Result<Self, Error> {
        let secret = SecretString::from(secret);
        let authorization = authorization_value(token_type, &secret)?;
        Ok(Self {
            inner: Arc::new(Inner {
                token_type,
                secret,
                authorization,
                expires_at: None,
                scopes: Vec::new(),
                dpop_key,
            }),
        })
    }

    /// Sets when the token expires (on the crate's monotonic clock).
    pub fn with_expires_at(self, expires_at: Instant) -> Self {
        self.map(|i| i.expires_at = Some(expires_at))
    }

    /// Sets the token to expire `lifetime` from now. A lifetime too long to
    /// represent (a hostile `expires_in`) means no expiry on a schedule.
    pub fn with_lifetime(self, lifetime: Duration) -> Self {
        match clock::now().checked_add(lifetime) {
            Some(at) => self.with_expires_at(at),
            None => self,
        }
    }

    /// Sets the scopes the server granted.
    pub fn with_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        self.map(|i| i.scopes = scopes)
    }

    fn map(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// How the token is presented: `SSWS`, `Bearer` or `DPoP`.
    pub fn token_type(&self) -> TokenType {
        self.inner.token_type
    }

    /// The token itself.
    ///
    /// # Security
    /// This is a live credential: do not log it, print it or put it anywhere
    /// but an `Authorization` header to the Okta org it came from.
    pub fn secret(&self) -> &SecretString {
        &self.inner.secret
    }

    /// When the token expires; `None` for tokens without a schedule (API
    /// tokens). The instant is on tokio's clock.
    pub fn expires_at(&self) -> Option<Instant> {
        self.inner.expires_at
    }

    /// Time left until expiry (zero once expired); `None` if it never expires
    /// on a schedule.
    pub fn expires_in(&self) -> Option<Duration> {
        self.inner
            .expires_at
            .map(|at| at.saturating_duration_since(clock::now()))
    }

    /// Whether the token has expired.
    pub fn is_expired(&self) -> bool {
        self.inner.expires_at.is_some_and(|at| at <= clock::now())
    }

    /// The scopes the server granted (empty for API tokens).
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// The DPoP key this token is bound to, if it is a DPoP token.
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.inner.dpop_key.as_ref()
    }

    /// Whether `other` is this very token (a clone of it), not merely an
    /// equal string. O(1).
    pub fn same_token(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The headers that authorize one request: `Authorization` and, for a
    /// DPoP token, a fresh `DPoP` proof for `method` and `url` with `ath` and
    /// the nonce last remembered for that origin. Both values are marked
    /// sensitive.
    ///
    /// Only send them to the org the token came from (the middleware checks
    /// the origin for you).
    pub fn authorize(&self, method: &Method, url: &Url) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::with_capacity(2);
        self.authorize_into(method, url, &mut headers)?;
        Ok(headers)
    }

    /// As [`authorize`](Self::authorize), inserting into existing headers
    /// (replacing any `Authorization` or `DPoP` already there).
    pub fn authorize_into(
        &self,
        method: &Method,
        url: &Url,
        headers: &mut HeaderMap,
    ) -> Result<(), Error> {
        self.authorize_into_form(method, url, HtuForm::Okta, headers)
    }

    /// As [`authorize_into`](Self::authorize_into), the proof's `htu` in
    /// `form`.
    pub(crate) fn authorize_into_form(
        &self,
        method: &Method,
        url: &Url,
        form: HtuForm,
        headers: &mut HeaderMap,
    ) -> Result<(), Error> {
        headers.insert(AUTHORIZATION, self.inner.authorization.clone());
        if let Some(key) = &self.inner.dpop_key {
            let nonce = key.nonce_for(url);
            let proof = key.proof_in(
                method,
                url,
                form,
                nonce.as_deref(),
                Some(self.inner.secret.expose_secret()),
            )?;
            headers.insert(DPOP, crate::dpop::proof_header(proof)?);
        }
        Ok(())
    }

    /// Authorizes an `http::Request`, for clients other than reqwest (hyper,
    /// ureq, …): the same headers as [`authorize`](Self::authorize).
    ///
    /// ```
    /// use okta_auth::http::{Method, Request};
    /// use okta_auth::{ApiTokenSource, OrgUrl, TokenSource};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let org: OrgUrl = "https://example.okta.com".parse()?;
    /// let source = ApiTokenSource::new("00abc")?;
    /// let url = org.endpoint("api/v1/users");
    ///
    /// let mut request = Request::builder()
    ///     .method(Method::GET)
    ///     .uri(format!("{url}?limit=10"))
    ///     .body(())?;
    /// // Only to the org the token came from.
    /// assert!(org.is_same_origin(&url));
    /// source.token().await?.authorize_request(&mut request)?;
    /// assert_eq!(request.headers()["authorization"], "SSWS 00abc");
    /// assert!(request.headers()["authorization"].is_sensitive());
    ///
    /// // Now hand it to your client: hyper's `client.request(request)`,
    /// // ureq 3's `agent.run(request)`, …
    /// # Ok(()) }
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(run()).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn authorize_request<B>(&self, request: &mut http::Request<B>) -> Result<(), Error> {
        let url = Url::parse(&request.uri().to_string())
            .map_err(|_| Error::Config("the request uri is not an absolute url".into()))?;
        let method = request.method().clone();
        self.authorize_into(&method, &url, request.headers_mut())
    }
}

fn authorization_value(token_type: TokenType, secret: &SecretString) -> Result<HeaderValue, Error> {
    let s = secret.expose_secret();
    let header_safe = !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if !header_safe {
        return Err(Error::Config(
            "a token must be non-empty printable ASCII without spaces".into(),
        ));
    }
    let mut value = HeaderValue::try_from(format!("{} {s}", token_type.scheme()))
        .map_err(|_| Error::Config("a token must be a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token_type", &self.inner.token_type)
            .field("secret", &"[redacted]")
            .field("expires_in", &self.expires_in())
            .field("scopes", &self.inner.scopes)
            .field("dpop_key", &self.inner.dpop_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "00SeCrEt-token-ZZZ";

    #[test]
    fn debug_is_redacted() {
        let t = AccessToken::new(TokenType::Bearer, SECRET)
            .unwrap()
            .with_scopes(["okta.users.read"]);
        let debug = format!("{t:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("[redacted]"));
        assert!(debug.contains("okta.users.read"));
    }

    #[test]
    fn authorization_is_sensitive_and_typed() {
        let url = Url::parse("https://example.okta.com/api/v1/users").unwrap();
        for (ty, scheme) in [(TokenType::Ssws, "SSWS"), (TokenType::Bearer, "Bearer")] {
            let h = AccessToken::new(ty, SECRET)
                .unwrap()
                .authorize(&Method::GET, &url)
                .unwrap();
            let v = &h[AUTHORIZATION];
            assert!(v.is_sensitive());
            assert_eq!(v.to_str().unwrap(), format!("{scheme} {SECRET}"));
            assert_eq!(h.len(), 1);
        }
    }

    #[test]
    fn header_injection_is_refused_without_echo() {
        for bad in ["", " ", "a b", "a\r\nX-Evil: 1", "tab\t", "é"] {
            let err = AccessToken::new(TokenType::Bearer, bad).unwrap_err();
            assert!(matches!(err, Error::Config(_)));
            if !bad.trim().is_empty() {
                assert!(!err.to_string().contains(bad));
            }
        }
    }

    #[test]
    fn clones_are_the_same_token_and_equal_strings_are_not() {
        let a = AccessToken::new(TokenType::Bearer, SECRET).unwrap();
        let b = AccessToken::new(TokenType::Bearer, SECRET).unwrap();
        assert!(a.same_token(&a.clone()));
        assert!(!a.same_token(&b));
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_follows_the_clock() {
        let t = AccessToken::new(TokenType::Bearer, SECRET)
            .unwrap()
            .with_lifetime(Duration::from_secs(60));
        assert!(!t.is_expired());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(t.is_expired());
        assert_eq!(t.expires_in(), Some(Duration::ZERO));
    }
}
