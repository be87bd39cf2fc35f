//! A fake custom authorization server for the verifier: metadata and a
//! JWKS on wiremock (the JWKS scriptable: publish keys, fail, count), and
//! tokens and proofs signed with fixture keys, hostile ones included.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm as JwtAlg, EncodingKey};
use okta_auth::http::{HeaderMap, HeaderValue, Method};
use okta_auth::url::Url;
use okta_auth::verify::AccessTokenVerifierBuilder;
use okta_auth::{DPOP, Jwk, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const AUDIENCE: &str = "api://default";
pub(crate) const CLIENT_ID: &str = "0oa1service2app3";
pub(crate) const KID: &str = "k1";
pub(crate) const SCOPE: &str = "orders:read";

thread_local! {
    /// How far [`skip`] has moved tokio's clock on this thread.
    static SKIPPED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Seconds since the epoch, as the verifier's clock has them: it follows
/// the wall clock, moved on by tokio's [`skip`]s.
#[allow(clippy::disallowed_methods)] // the tests' own clock for claims
pub(crate) fn now() -> u64 {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    wall + SKIPPED.get()
}

/// Moves tokio's clock (and the verifier's) on by `by`, without sleeping:
/// pause, advance, resume. Time runs again afterwards, so that HTTP to the
/// fake issuer is not overtaken by auto-advanced timeouts (a paused clock
/// jumps to the next timer while a request waits on the network).
/// Current-thread runtimes only.
pub(crate) async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
    SKIPPED.set(SKIPPED.get() + by.as_secs());
}

pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// A private key that signs anything, and its public JWK.
#[derive(Clone)]
pub(crate) struct Key {
    encoding: EncodingKey,
    alg: JwtAlg,
    pub(crate) jwk: Jwk,
}

impl Key {
    fn from_pem(name: &str, kid: &str, alg: JwtAlg) -> Self {
        let pem = fixture(name);
        let encoding = match alg {
            JwtAlg::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        };
        let jwk = SigningKey::from_pem(&pem)
            .unwrap()
            .public_jwk()
            .with_kid(kid);
        Self { encoding, alg, jwk }
    }

    /// The issuer's RSA key, `kid` `k1`.
    pub(crate) fn issuer() -> Self {
        Self::from_pem("rsa2048-pkcs8.pem", KID, JwtAlg::RS256)
    }

    /// The issuer's next RSA key.
    pub(crate) fn rotated(kid: &str) -> Self {
        Self::from_pem("rsa2048-rotated-pkcs8.pem", kid, JwtAlg::RS256)
    }

    /// A P-256 key (the client's DPoP key, or an EC signing key).
    pub(crate) fn ec(kid: &str) -> Self {
        Self::from_pem("ec-p256-pkcs8.pem", kid, JwtAlg::ES256)
    }

    /// The JWK without `kid`, `alg`, `use`: as a DPoP proof carries it.
    pub(crate) fn bare_jwk(&self) -> Value {
        let mut v = serde_json::to_value(&self.jwk).unwrap();
        let o = v.as_object_mut().unwrap();
        for m in ["kid", "alg", "use"] {
            o.remove(m);
        }
        v
    }

    pub(crate) fn thumbprint(&self) -> String {
        self.jwk.thumbprint()
    }

    /// `header.claims` signed with this key's own algorithm.
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_as(self.alg, header, claims)
    }

    /// `header.claims` signed with `alg` (with this key's material).
    pub(crate) fn sign_as(&self, alg: JwtAlg, header: &Value, claims: &Value) -> String {
        compact(header, claims, |input| {
            jsonwebtoken::crypto::sign(input, &self.encoding, alg).unwrap()
        })
    }
}

/// `b64(header).b64(claims).sign(…)`.
pub(crate) fn compact(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> String,
) -> String {
    let input = format!(
        "{}.{}",
        b64(serde_json::to_vec(header).unwrap()),
        b64(serde_json::to_vec(claims).unwrap())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{sig}")
}

/// HS256 over `input` with `secret`, as an attacker would sign.
pub(crate) fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret).unwrap();
    compact(header, claims, |input| {
        jsonwebtoken::crypto::sign(input, &key, JwtAlg::HS256).unwrap()
    })
}

/// The fixture RSA public key as PEM text: the HMAC secret of the classic
/// algorithm-confusion attack.
pub(crate) fn rsa_public_pem() -> String {
    fixture("rsa2048-public.pem")
}

/// What the fake JWKS endpoint answers.
struct JwksState {
    body: String,
    status: u16,
    cache_control: Option<String>,
}

#[derive(Clone)]
struct JwksReply(Arc<Mutex<JwksState>>);

impl Respond for JwksReply {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let state = self.0.lock().unwrap();
        let mut reply = ResponseTemplate::new(state.status)
            .insert_header("content-type", "application/json")
            .set_body_string(state.body.clone());
        if let Some(cc) = &state.cache_control {
            reply = reply.insert_header("cache-control", cc.as_str());
        }
        reply
    }
}

/// A custom authorization server `default` on loopback: metadata and a
/// key set.
pub(crate) struct Issuer {
    pub(crate) server: MockServer,
    pub(crate) issuer: String,
    jwks: JwksReply,
}

pub(crate) fn jwks_json(keys: &[&Jwk]) -> String {
    json!({ "keys": keys }).to_string()
}

impl Issuer {
    /// Serves `keys`.
    pub(crate) async fn start(keys: &[&Jwk]) -> Self {
        let server = MockServer::start().await;
        let issuer = format!("{}/oauth2/default", server.uri());
        Mock::given(method("GET"))
            .and(path(
                "/oauth2/default/.well-known/oauth-authorization-server",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/v1/keys"),
                "token_endpoint": format!("{issuer}/v1/token"),
            })))
            .mount(&server)
            .await;
        let jwks = JwksReply(Arc::new(Mutex::new(JwksState {
            body: jwks_json(keys),
            status: 200,
            cache_control: None,
        })));
        Mock::given(method("GET"))
            .and(path("/oauth2/default/v1/keys"))
            .respond_with(jwks.clone())
            .mount(&server)
            .await;
        Self {
            server,
            issuer,
            jwks,
        }
    }

    /// Serves the issuer's key `k1`.
    pub(crate) async fn okta() -> Self {
        Self::start(&[&Key::issuer().jwk]).await
    }

    /// Publishes a new key set (with `200`).
    pub(crate) fn publish(&self, keys: &[&Jwk]) {
        let mut state = self.jwks.0.lock().unwrap();
        state.body = jwks_json(keys);
        state.status = 200;
    }

    /// The key set endpoint answers `status` with `body` from now on.
    pub(crate) fn answer(&self, status: u16, body: &str) {
        let mut state = self.jwks.0.lock().unwrap();
        state.status = status;
        state.body = body.into();
    }

    pub(crate) fn cache_control(&self, value: &str) {
        self.jwks.0.lock().unwrap().cache_control = Some(value.into());
    }

    /// How many times the key set was fetched.
    pub(crate) async fn jwks_requests(&self) -> usize {
        self.requests("/oauth2/default/v1/keys").await
    }

    pub(crate) async fn requests(&self, path: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == path)
            .count()
    }

    /// A verifier builder for this issuer and [`AUDIENCE`].
    pub(crate) fn builder(&self) -> AccessTokenVerifierBuilder {
        okta_auth::AccessTokenVerifier::builder(&self.issuer).audience(AUDIENCE)
    }

    /// Okta's claims for a client-credentials token issued now, valid an
    /// hour.
    pub(crate) fn claims(&self) -> Value {
        let now = now();
        json!({
            "ver": 1,
            "jti": format!("AT.{}", uuid::Uuid::new_v4()),
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3600,
            "cid": CLIENT_ID,
            "scp": [SCOPE],
            "sub": CLIENT_ID,
        })
    }

    /// A valid Bearer token with these claims changed (`null` removes one).
    pub(crate) fn token_with(&self, changes: Value) -> String {
        Key::issuer().sign(&header(KID), &merge(self.claims(), changes))
    }

    /// A valid DPoP-bound token for `key`.
    pub(crate) fn bound_token(&self, jkt: &str) -> String {
        self.token_with(json!({ "cnf": { "jkt": jkt } }))
    }
}

/// Okta's token header: RS256 and the kid.
pub(crate) fn header(kid: &str) -> Value {
    json!({ "alg": "RS256", "kid": kid })
}

/// `base` with the members of `changes` set, or removed where `null`.
pub(crate) fn merge(mut base: Value, changes: Value) -> Value {
    let o = base.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            o.remove(k);
        } else {
            o.insert(k.clone(), v.clone());
        }
    }
    base
}

/// The request every table row makes.
pub(crate) fn api_url() -> Url {
    "https://api.example.com/orders/42?expand=items"
        .parse()
        .unwrap()
}

/// The claims of a valid proof for `GET api_url()` with `token`.
pub(crate) fn proof_claims(token: &str) -> Value {
    json!({
        "htm": "GET",
        "htu": "https://api.example.com/orders/42",
        "iat": now(),
        "jti": uuid::Uuid::new_v4().to_string(),
        "ath": b64(Sha256::digest(token.as_bytes())),
    })
}

/// A DPoP proof signed with `key`, its claims changed by `changes`.
pub(crate) fn proof(key: &Key, token: &str, changes: Value) -> String {
    let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.bare_jwk() });
    key.sign(&header, &merge(proof_claims(token), changes))
}

/// `Authorization: {scheme} {token}` and the `DPoP` proofs.
pub(crate) fn headers(scheme: &str, token: &str, proofs: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("{scheme} {token}")).unwrap(),
    );
    for p in proofs {
        h.append(DPOP, HeaderValue::from_str(p).unwrap());
    }
    h
}

pub(crate) const GET: Method = Method::GET;

pub(crate) const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
