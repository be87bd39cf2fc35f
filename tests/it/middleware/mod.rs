//! `OktaAuth` and `OktaRateLimit` through reqwest-middleware, against two
//! loopback servers: the "org" and another origin that must never see a
//! credential.
//!
//! The shared harness (scripted token sources, the two servers, the client,
//! proof checks) lives here; each behaviour has a module of its own. The
//! scripted sources go through `OktaAuth::uncached`, so that each test sees
//! every call `OktaAuth` makes; `cached` tests what `OktaAuth::new` adds.

#[cfg(feature = "test-util")]
mod cached;
mod errors;
mod headers;
mod nonce;
#[cfg(feature = "test-util")]
mod origins;
mod rate_limit;
mod redirects;
mod retry_401;

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_auth::{
    AccessToken, DpopKey, Error, OktaAuth, OktaRateLimit, OrgUrl, TokenSource, TokenType,
};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wiremock::{MockServer, Request};

/// Hands out its tokens in order (the last one forever) and records what
/// was invalidated.
struct Tokens {
    tokens: Vec<AccessToken>,
    next: AtomicUsize,
    invalidated: Mutex<Vec<AccessToken>>,
}

impl Tokens {
    fn new(tokens: Vec<AccessToken>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            tokens,
            next: AtomicUsize::new(0),
            invalidated: Mutex::new(Vec::new()),
        })
    }
    fn fetches(&self) -> usize {
        self.next.load(Ordering::SeqCst)
    }
    fn invalidated(&self) -> Vec<AccessToken> {
        self.invalidated.lock().unwrap().clone()
    }
}

#[async_trait]
impl TokenSource for Tokens {
    async fn token(&self) -> Result<AccessToken, Error> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        Ok(self.tokens[i.min(self.tokens.len() - 1)].clone())
    }
    fn invalidate(&self, rejected: &AccessToken) {
        self.invalidated.lock().unwrap().push(rejected.clone());
    }
}

/// A source that always fails.
struct Broken;

#[async_trait]
impl TokenSource for Broken {
    async fn token(&self) -> Result<AccessToken, Error> {
        Err(Error::Timeout)
    }
}

fn bearer(secret: &str) -> AccessToken {
    AccessToken::new(TokenType::Bearer, secret).unwrap()
}

struct Servers {
    org: MockServer,
    other: MockServer,
    org_url: OrgUrl,
}

async fn servers() -> Servers {
    let org = MockServer::start().await;
    let other = MockServer::start().await;
    let org_url: OrgUrl = org.uri().parse().unwrap();
    Servers {
        org,
        other,
        org_url,
    }
}

/// A client as the docs say to build it. No idle pool, so no pool timers
/// run under paused time.
pub(crate) fn client(auth: OktaAuth, rate: Option<OktaRateLimit>) -> ClientWithMiddleware {
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut builder = ClientBuilder::new(http);
    if let Some(rate) = rate {
        builder = builder.with(rate);
    }
    builder.with(auth).build()
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

fn header_of<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

fn assert_no_credentials(req: &Request) {
    assert!(
        header_of(req, "authorization").is_none(),
        "authorization sent to {}",
        req.url
    );
    assert!(header_of(req, "dpop").is_none(), "dpop sent to {}", req.url);
}

/// Verifies a DPoP proof as a resource server would, with nothing but the
/// proof and the token: signature by the embedded jwk, `typ`, `htm`, `htu`,
/// `ath`. Returns the claims.
fn verify_proof(proof: &str, htm: &str, htu: &str, token: &str, key: &DpopKey) -> Value {
    let h = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(h.typ.as_deref(), Some("dpop+jwt"));
    assert_eq!(h.alg, Algorithm::ES256);
    let jwk = h.jwk.expect("a proof carries its jwk");
    assert_eq!(
        jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
        key.thumbprint(),
        "the proof is signed by the token's key"
    );
    let mut v = Validation::new(Algorithm::ES256);
    v.required_spec_claims = HashSet::new();
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
        .expect("the proof verifies with its own jwk")
        .claims;
    assert_eq!(claims["htm"], htm);
    assert_eq!(claims["htu"], htu);
    assert_eq!(
        claims["ath"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
    );
    claims
}

#[allow(clippy::disallowed_methods)] // tests measure tokio's paused clock
fn now() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

fn two_dpop_tokens(key: &DpopKey) -> Vec<AccessToken> {
    vec![
        AccessToken::dpop("dpop-one", key.clone()).unwrap(),
        AccessToken::dpop("dpop-two", key.clone()).unwrap(),
    ]
}
