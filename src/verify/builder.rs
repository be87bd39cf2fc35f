//! [`AccessTokenVerifierBuilder`]: what a verifier expects, checked once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::claims::is_scope_token;
use super::fetch::{KeySource, is_fetchable};
use super::jwks::Jwks;
use super::nonce::NonceStore;
use super::replay::{MemoryReplayStore, ReplayStore};
use super::{
    AccessTokenVerifier, DEFAULT_ALGORITHMS, DEFAULT_DPOP_ALGORITHMS, DEFAULT_DPOP_PROOF_MAX_AGE,
    DEFAULT_FETCH_TIMEOUT, DEFAULT_LEEWAY, Dpop, Inner, MAX_DPOP_PROOF_MAX_AGE, MAX_LEEWAY,
};
use crate::error::Error;
use crate::jose::Algorithm;

/// Builds an [`AccessTokenVerifier`]; see
/// [`AccessTokenVerifier::builder`].
pub struct AccessTokenVerifierBuilder {
    issuer: String,
    audiences: Vec<String>,
    client_ids: Vec<String>,
    scopes: Vec<String>,
    leeway: Duration,
    algorithms: Vec<Algorithm>,
    client: Option<reqwest::Client>,
    jwks_uri: Option<Url>,
    dpop_algorithms: Vec<Algorithm>,
    dpop_max_age: Duration,
    require_dpop: bool,
    replay: Option<Arc<dyn ReplayStore>>,
    nonces: Option<Arc<dyn NonceStore>>,
    allow_org_server: bool,
}

impl AccessTokenVerifierBuilder {
    pub(crate) fn new(issuer: String) -> Self {
        Self {
            issuer,
            audiences: Vec::new(),
            client_ids: Vec::new(),
            scopes: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            client: None,
            jwks_uri: None,
            dpop_algorithms: DEFAULT_DPOP_ALGORITHMS.to_vec(),
            dpop_max_age: DEFAULT_DPOP_PROOF_MAX_AGE,
            require_dpop: false,
            replay: None,
            nonces: None,
            allow_org_server: false,
        }
    }

    /// Adds an audience this API accepts (`aud` must contain one of them;
    /// Okta's `default` server issues `api://default`). At least one is
    /// required. Defaults to none.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accepts only tokens issued to these client ids (`cid`). Defaults to
    /// none: any client.
    pub fn allowed_client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.client_ids
            .extend(client_ids.into_iter().map(Into::into));
        self
    }

    /// Requires every one of these scopes in `scp` (compared whole:
    /// `orders:readonly` does not grant `orders:read`); a token without one
    /// gets `403 insufficient_scope`. For scopes only some routes need, use
    /// [`Claims::require_scopes`](super::Claims::require_scopes). Defaults
    /// to none.
    pub fn required_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// The clock skew tolerated on `exp`, `nbf` and `iat` (and on a DPoP
    /// proof's `iat` ahead), at most [`MAX_LEEWAY`]. Defaults to
    /// [`DEFAULT_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The algorithms accepted for access tokens (never `none` or `HS*`:
    /// [`Algorithm`] has none of them). Defaults to
    /// [`DEFAULT_ALGORITHMS`] (`RS256`, what Okta signs with).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The HTTP client for the metadata and the key set. Each request gets
    /// a [`DEFAULT_FETCH_TIMEOUT`]; a redirect is not followed by the
    /// default client and is an error either way: an answer from another
    /// URL than the one asked (which only a client that follows redirects
    /// can produce) is refused, so keys come only from the issuer's key
    /// set. Defaults to a new client that follows no redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Where the key set is (https, or http to a loopback host), instead of
    /// reading `jwks_uri` from `{issuer}/.well-known/oauth-authorization-server`.
    /// Defaults to none: read from the metadata.
    pub fn jwks_uri(mut self, jwks_uri: Url) -> Self {
        self.jwks_uri = Some(jwks_uri);
        self
    }

    /// The algorithms accepted for DPoP proofs, in the challenge's `algs`.
    /// Defaults to [`DEFAULT_DPOP_ALGORITHMS`] (`ES256`).
    pub fn dpop_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.dpop_algorithms = algorithms.into_iter().collect();
        self
    }

    /// How old a DPoP proof's `iat` may be, at most
    /// [`MAX_DPOP_PROOF_MAX_AGE`]. Proofs are remembered (for replay) this
    /// long plus the leeway. Defaults to [`DEFAULT_DPOP_PROOF_MAX_AGE`].
    pub fn dpop_proof_max_age(mut self, max_age: Duration) -> Self {
        self.dpop_max_age = max_age;
        self
    }

    /// Accepts DPoP-bound tokens only: a Bearer token gets
    /// [`RejectReason::DpopRequired`](super::RejectReason::DpopRequired),
    /// from [`verify_request`](AccessTokenVerifier::verify_request) and
    /// [`verify`](AccessTokenVerifier::verify) alike (which then accepts
    /// nothing), and every refusal challenges with the `DPoP` scheme only.
    /// Defaults to `false`: Bearer tokens are accepted too.
    pub fn require_dpop(mut self, required: bool) -> Self {
        self.require_dpop = required;
        self
    }

    /// Where used DPoP proofs are remembered: share one store among the
    /// replicas of a fleet. Defaults to a
    /// [`MemoryReplayStore`] of
    /// [`DEFAULT_REPLAY_CAPACITY`](super::DEFAULT_REPLAY_CAPACITY) proofs,
    /// for this verifier and its clones.
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    /// Requires DPoP proofs to carry a nonce of this server's (RFC 9449
    /// §9), issued and rotated by `nonces` (such as a
    /// [`MemoryNonceStore`](super::MemoryNonceStore)); a proof without the
    /// current (or the grace-period previous) nonce gets `401
    /// use_dpop_nonce` with a `DPoP-Nonce`. Defaults to none: no server
    /// nonce.
    pub fn dpop_nonces(mut self, nonces: Arc<dyn NonceStore>) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// Accepts an org authorization server's issuer (`https://{org}`,
    /// without `/oauth2/{id}`). **Dangerous**: those tokens are meant for
    /// Okta's own APIs, and Okta says not to verify them locally (their
    /// keys and format may change without notice); introspect them instead
    /// (`POST {org}/oauth2/v1/introspect`). Defaults to refusing such an
    /// issuer.
    pub fn dangerous_allow_org_authorization_server(mut self) -> Self {
        self.allow_org_server = true;
        self
    }

    /// The verifier. No I/O: keys are fetched on first use (or with
    /// [`AccessTokenVerifier::load_keys`]).
    ///
    /// Fails with [`Error::Config`] for an issuer that is not
    /// `https://{org}/oauth2/{id}` exactly (plain `http` only for loopback
    /// hosts; no trailing slash, query or fragment) — an org authorization
    /// server's issuer among them, unless
    /// [`dangerous_allow_org_authorization_server`](Self::dangerous_allow_org_authorization_server)
    /// — no audience, an empty algorithm list, a leeway or proof max age
    /// out of bounds, a scope that is not an RFC 6749 scope token, a
    /// `jwks_uri` that is not https, or an HTTP client that cannot be
    /// built.
    pub fn build(self) -> Result<AccessTokenVerifier, Error> {
        let config = |message: &str| Err(Error::Config(message.into()));
        let metadata_url = check_issuer(&self.issuer, self.allow_org_server)?;
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return config(
                "set the audience your api expects (okta's default server issues api://default)",
            );
        }
        if self.algorithms.is_empty() || self.dpop_algorithms.is_empty() {
            return config("accept at least one algorithm for tokens and for dpop proofs");
        }
        if self.leeway > MAX_LEEWAY {
            return config("the leeway must be at most 5 minutes");
        }
        if self.dpop_max_age.is_zero() || self.dpop_max_age > MAX_DPOP_PROOF_MAX_AGE {
            return config("the dpop proof max age must be 1 second to 5 minutes");
        }
        if !self.scopes.iter().all(|s| is_scope_token(s)) {
            return config("a required scope is empty or holds a space, quote or backslash");
        }
        if self.jwks_uri.as_ref().is_some_and(|u| !is_fetchable(u)) {
            return config("the jwks uri must be https (http only for loopback hosts)");
        }
        let client = match self.client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(DEFAULT_FETCH_TIMEOUT)
                .build()
                .map_err(|_| Error::Config("cannot build the http client".into()))?,
        };
        let algs: Vec<&str> = self.dpop_algorithms.iter().map(|a| a.as_str()).collect();
        let source = KeySource::new(client, self.issuer.clone(), metadata_url, self.jwks_uri);
        Ok(AccessTokenVerifier {
            inner: Arc::new(Inner {
                scope_param: (!self.scopes.is_empty()).then(|| self.scopes.join(" ").into()),
                issuer: self.issuer,
                audiences: self.audiences,
                client_ids: self.client_ids,
                required_scopes: self.scopes,
                leeway: self.leeway.as_secs(),
                algorithms: self.algorithms,
                dpop: Dpop {
                    algs: algs.join(" ").into(),
                    algorithms: self.dpop_algorithms,
                    max_age: self.dpop_max_age.as_secs().max(1),
                    required: self.require_dpop,
                    replay: self
                        .replay
                        .unwrap_or_else(|| Arc::new(MemoryReplayStore::default())),
                    nonces: self.nonces,
                },
                jwks: Jwks::new(source),
            }),
        })
    }
}

/// Checks that `issuer` is an Okta custom authorization server's issuer,
/// `https://{org}/oauth2/{id}` written exactly as Okta writes it (the `iss`
/// of its tokens), and returns its metadata URL.
fn check_issuer(issuer: &str, allow_org_server: bool) -> Result<Url, Error> {
    let refuse = |why: &str| {
        Err(Error::Config(format!(
            "the issuer must be an okta custom authorization server's, \
             https://{{org}}/oauth2/{{id}}, exactly as its metadata writes it: {why}"
        )))
    };
    if issuer.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("it holds whitespace or a control character");
    }
    let Ok(url) = Url::parse(issuer) else {
        return refuse("it is not a url");
    };
    if !is_fetchable(&url) {
        return refuse("it must use https (plain http only for loopback hosts)");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("it has user info");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return refuse("it has a query or a fragment");
    }
    let org_server = url.path() == "/" && url.as_str().strip_suffix('/') == Some(issuer);
    if org_server && !allow_org_server {
        return Err(Error::Config(
            "this is an org authorization server's issuer (no /oauth2/{id}): its tokens are \
             for okta's own apis, and okta says not to verify them locally (their keys and \
             format may change); verify tokens of a custom authorization server \
             (https://{org}/oauth2/default or /oauth2/{id}), or introspect these; \
             dangerous_allow_org_authorization_server() overrides this"
                .into(),
        ));
    }
    let custom = url
        .path()
        .strip_prefix("/oauth2/")
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !(org_server || custom && url.as_str() == issuer) {
        return refuse("write it without a trailing slash, in lower case, with no other path");
    }
    let metadata = format!("{issuer}/.well-known/oauth-authorization-server");
    Url::parse(&metadata).map_err(|_| Error::Config("the issuer's metadata url is invalid".into()))
}

impl fmt::Debug for AccessTokenVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenVerifierBuilder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_custom_server_issuers_pass() {
        for ok in [
            "https://example.okta.com/oauth2/default",
            "https://login.example.com/oauth2/aus1a2b3c4D5e6F7g8",
            "http://127.0.0.1:8080/oauth2/default",
        ] {
            let url = check_issuer(ok, false).unwrap();
            assert_eq!(
                url.as_str(),
                format!("{ok}/.well-known/oauth-authorization-server")
            );
        }
        for bad in [
            "https://example.okta.com/oauth2/default/",
            "http://example.okta.com/oauth2/default",
            "https://Example.okta.com/oauth2/default",
            "https://example.okta.com/oauth2/default?x",
            "https://example.okta.com/oauth2/v1/../default",
            "https://example.okta.com/oauth2/",
            "https://example.okta.com/other/default",
            "https://u:p@example.okta.com/oauth2/default",
            "https://example.okta.com/oauth2/default\n",
            "https://example.okta.com/",
            "example.okta.com/oauth2/default",
        ] {
            assert!(
                matches!(check_issuer(bad, false), Err(Error::Config(_))),
                "{bad}"
            );
        }
        let org = check_issuer("https://example.okta.com", false).unwrap_err();
        assert!(
            org.to_string()
                .contains("okta says not to verify them locally"),
            "{org}"
        );
        assert_eq!(
            check_issuer("https://example.okta.com", true)
                .unwrap()
                .as_str(),
            "https://example.okta.com/.well-known/oauth-authorization-server"
        );
    }
}
