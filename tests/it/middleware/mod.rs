//! `OktaAuth` and `OktaRateLimit` through reqwest-middleware, against two
//! loopback servers: the "org" and another origin that must never see a
//! credential.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_auth::url::Url;
use okta_auth::{
    AccessToken, ApiTokenSource, AuthChallenge, DpopKey, Error, OktaAuth, OktaRateLimit, OrgUrl,
    RateLimit, TokenSource, TokenType,
};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// ---------------------------------------------------------------- helpers

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

// ------------------------------------------------------ headers per type

#[tokio::test]
async fn ssws_bearer_and_dpop_reach_the_org_and_never_the_other_origin() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s.org)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    let sources: Vec<(std::sync::Arc<dyn TokenSource>, &str)> = vec![
        (
            std::sync::Arc::new(ApiTokenSource::new("00ssws-secret").unwrap()),
            "SSWS 00ssws-secret",
        ),
        (
            Tokens::new(vec![bearer("bearer-secret")]),
            "Bearer bearer-secret",
        ),
        (
            Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]),
            "DPoP dpop-secret",
        ),
    ];
    for (source, _) in &sources {
        let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
        let users = format!("{}/api/v1/users?limit=2#frag", s.org.uri());
        assert_eq!(c.get(users).send().await.unwrap().status(), 200);
        let other = format!("{}/elsewhere", s.other.uri());
        assert_eq!(c.post(other).body("x").send().await.unwrap().status(), 200);
    }

    let org = received(&s.org).await;
    for (req, (_, authorization)) in org.iter().zip(&sources) {
        assert_eq!(header_of(req, "authorization"), Some(*authorization));
    }
    assert!(header_of(&org[0], "dpop").is_none());
    assert!(header_of(&org[1], "dpop").is_none());
    let proof = header_of(&org[2], "dpop").expect("a dpop proof");
    let htu = format!("{}/api/v1/users", s.org.uri());
    verify_proof(proof, "GET", &htu, "dpop-secret", &key);

    for req in received(&s.other).await {
        assert_no_credentials(&req);
    }
}

#[tokio::test]
async fn a_request_that_already_has_authorization_is_left_alone() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    c.get(format!("{}/api/v1/users", s.org.uri()))
        .header("authorization", "SSWS caller-own")
        .send()
        .await
        .unwrap();
    let req = &received(&s.org).await[0];
    assert_eq!(header_of(req, "authorization"), Some("SSWS caller-own"));
    assert!(header_of(req, "dpop").is_none());
    assert_eq!(source.fetches(), 0, "no token was even fetched");
}

// -------------------------------------------------------------- redirects

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    let s = servers().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/api/v1/away"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/api/v1/away-307"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("landed"))
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    for token in [
        bearer("bearer-secret"),
        AccessToken::dpop("dpop-secret", key.clone()).unwrap(),
    ] {
        let c = client(
            OktaAuth::new(s.org_url.clone(), Tokens::new(vec![token])),
            None,
        );
        let r = c
            .get(format!("{}/api/v1/away", s.org.uri()))
            .header("cookie", "session=1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "landed");
        let r = c
            .post(format!("{}/api/v1/away-307", s.org.uri()))
            .body("payload")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let other = received(&s.other).await;
    assert_eq!(other.len(), 4);
    for req in &other {
        assert_no_credentials(req);
        assert!(header_of(req, "cookie").is_none());
    }
    assert_eq!(other[1].method.as_str(), "POST", "307 keeps the method");
    assert_eq!(other[1].body, b"payload");
    for req in received(&s.org).await {
        assert!(header_of(&req, "authorization").is_some());
    }
}

#[tokio::test]
async fn a_redirect_within_the_org_gets_a_fresh_proof_for_the_new_url() {
    let s = servers().await;
    Mock::given(path("/api/v1/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/api/v1/users?x=1"))
        .expect(1)
        .mount(&s.org)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/api/v1/old", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let org = received(&s.org).await;
    let first = verify_proof(
        header_of(&org[0], "dpop").unwrap(),
        "GET",
        &format!("{}/api/v1/old", s.org.uri()),
        "dpop-secret",
        &key,
    );
    let second = verify_proof(
        header_of(&org[1], "dpop").unwrap(),
        "GET",
        &format!("{}/api/v1/users", s.org.uri()),
        "dpop-secret",
        &key,
    );
    assert_ne!(first["jti"], second["jti"]);
    assert_eq!(source.fetches(), 1, "the same token is used for the hop");
}

#[tokio::test]
async fn a_redirect_from_the_other_origin_into_the_org_carries_no_credentials() {
    let s = servers().await;
    let into_org = format!("{}/api/v1/users", s.org.uri());
    Mock::given(path("/bounce"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", into_org.as_str()))
        .expect(1)
        .mount(&s.other)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/bounce", s.other.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_no_credentials(&received(&s.other).await[0]);
    assert_no_credentials(&received(&s.org).await[0]);
    assert_eq!(source.fetches(), 0);
}

#[tokio::test]
async fn a_client_without_the_policy_that_leaves_the_org_with_a_proof_is_an_error() {
    let s = servers().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/api/v1/away"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&s.org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s.other)
        .await;
    let auth = OktaAuth::new(
        s.org_url.clone(),
        Tokens::new(vec![
            AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
        ]),
    );
    // reqwest's default policy: follows, drops Authorization, keeps DPoP.
    let c = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let err = c
        .get(format!("{}/api/v1/away", s.org.uri()))
        .send()
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(e) = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(e.downcast_ref::<Error>(), Some(Error::Config(_))));
    assert!(
        header_of(&received(&s.other).await[0], "authorization").is_none(),
        "reqwest itself drops Authorization"
    );
}

// -------------------------------------------------------------- 401 retry

#[tokio::test]
async fn unauthorized_invalidates_fetches_a_new_token_and_retries_once() {
    let s = servers().await;
    Mock::given(header("authorization", "Bearer revoked"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            r#"Bearer error="invalid_token", error_description="The token was revoked.""#,
        ))
        .expect(1)
        .mount(&s.org)
        .await;
    Mock::given(header("authorization", "Bearer fresh"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s.org)
        .await;
    let revoked = bearer("revoked");
    let source = Tokens::new(vec![revoked.clone(), bearer("fresh")]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let r = c
        .post(format!("{}/api/v1/users", s.org.uri()))
        .header("content-type", "application/json")
        .body(r#"{"profile":{"login":"a@b.com"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(source.fetches(), 2);
    let invalidated = source.invalidated();
    assert_eq!(invalidated.len(), 1);
    assert!(invalidated[0].same_token(&revoked));
    let org = received(&s.org).await;
    assert_eq!(org[1].body, org[0].body, "the retry resends the body");
}

/// Answers the first request with `first`, every later one with `then`.
struct FirstThen {
    first: ResponseTemplate,
    then: ResponseTemplate,
    calls: AtomicUsize,
}

impl FirstThen {
    fn new(first: ResponseTemplate, then: ResponseTemplate) -> Self {
        Self {
            first,
            then,
            calls: AtomicUsize::new(0),
        }
    }
}

impl Respond for FirstThen {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            self.first.clone()
        } else {
            self.then.clone()
        }
    }
}

fn unauthorized(www_authenticate: Option<&str>) -> ResponseTemplate {
    let r = ResponseTemplate::new(401).set_body_json(serde_json::json!({
        "errorCode": "E0000011",
        "errorSummary": "Invalid token provided",
    }));
    match www_authenticate {
        Some(w) => r.insert_header("www-authenticate", w),
        None => r,
    }
}

/// What one request did against an org that answers with `respond`.
struct Outcome {
    status: u16,
    www_authenticate: Option<String>,
    fetches: usize,
    invalidated: usize,
    sent: Vec<Request>,
    /// The URL requested.
    url: String,
}

/// One `POST` with a JSON body through `OktaAuth` with tokens `tokens`; the
/// org must see exactly `requests` requests (wiremock checks on drop).
async fn one_request(
    respond: impl Respond + 'static,
    tokens: Vec<AccessToken>,
    requests: u64,
) -> Outcome {
    let org = MockServer::start().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(respond)
        .expect(requests)
        .mount(&org)
        .await;
    let source = Tokens::new(tokens);
    let c = client(
        OktaAuth::new(org.uri().parse().unwrap(), source.clone()),
        None,
    );
    let r = c
        .post(format!("{}/api/v1/users", org.uri()))
        .header("content-type", "application/json")
        .body(r#"{"profile":{"login":"a@b.com"}}"#)
        .send()
        .await
        .unwrap();
    let outcome = Outcome {
        status: r.status().as_u16(),
        www_authenticate: r
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned()),
        fetches: source.fetches(),
        invalidated: source.invalidated().len(),
        sent: received(&org).await,
        url: format!("{}/api/v1/users", org.uri()),
    };
    org.verify().await;
    outcome
}

fn two_dpop_tokens(key: &DpopKey) -> Vec<AccessToken> {
    vec![
        AccessToken::dpop("dpop-one", key.clone()).unwrap(),
        AccessToken::dpop("dpop-two", key.clone()).unwrap(),
    ]
}

#[tokio::test]
async fn a_bad_token_401_gets_one_new_token_and_one_retry() {
    let key = DpopKey::generate();
    let cases: Vec<(Option<&str>, Vec<AccessToken>)> = vec![
        // Okta's management API for an unknown SSWS token: no challenge.
        (None, vec![bearer("a"), bearer("b")]),
        (
            Some(r#"Bearer realm="okta""#),
            vec![bearer("a"), bearer("b")],
        ),
        (
            Some(
                r#"Bearer realm="okta", error="invalid_token", error_description="The token has expired.""#,
            ),
            vec![bearer("a"), bearer("b")],
        ),
        (
            Some(
                r#"DPoP algs="ES256", error="invalid_token", error_description="The access token is invalid.""#,
            ),
            two_dpop_tokens(&key),
        ),
        (
            Some(
                r#"Bearer error="invalid_token", error_description="The access token is not DPoP bound (access_token_not_dpop_bound).""#,
            ),
            two_dpop_tokens(&key),
        ),
        (
            Some(r#"Bearer error="invalid_request""#),
            vec![bearer("a"), bearer("b")],
        ),
        // An unreadable header says nothing against the token.
        (
            Some("Bearer error=\"unterminated"),
            vec![bearer("a"), bearer("b")],
        ),
    ];
    for (www, tokens) in cases {
        let out = one_request(unauthorized(www), tokens, 2).await;
        assert_eq!(out.status, 401, "{www:?}");
        assert_eq!(out.fetches, 2, "a new token for {www:?}");
        assert_eq!(
            out.invalidated, 1,
            "only the first token is reported, not the new one fetched for the retry ({www:?})"
        );
        let auth: Vec<_> = out
            .sent
            .iter()
            .map(|r| header_of(r, "authorization").unwrap())
            .collect();
        assert_ne!(
            auth[0], auth[1],
            "the retry carries the new token ({www:?})"
        );
        assert_eq!(
            out.sent[1].body, out.sent[0].body,
            "the retry resends the body"
        );
    }
}

#[tokio::test]
async fn a_bad_token_401_is_not_retried_when_the_source_has_no_other_token() {
    let www = r#"Bearer error="invalid_token", error_description="The access token is invalid.""#;
    // The source hands out the same token again (as an API token or a
    // cache backing off forced refreshes does): a retry would be refused
    // the same way.
    let out = one_request(unauthorized(Some(www)), vec![bearer("only")], 1).await;
    assert_eq!(out.status, 401);
    assert_eq!((out.fetches, out.invalidated), (2, 1));
    let key = DpopKey::generate();
    let only = AccessToken::dpop("dpop-only", key).unwrap();
    let out = one_request(unauthorized(Some(www)), vec![only], 1).await;
    assert_eq!((out.status, out.fetches, out.invalidated), (401, 2, 1));
}

#[tokio::test]
async fn an_api_token_refused_ten_times_costs_ten_requests() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(unauthorized(None))
        .expect(10)
        .mount(&s.org)
        .await;
    let c = client(
        OktaAuth::new(s.org_url.clone(), ApiTokenSource::new("00revoked").unwrap()),
        None,
    );
    for _ in 0..10 {
        let r = c
            .get(format!("{}/api/v1/users", s.org.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn a_bad_token_401_then_200_succeeds_with_the_new_token() {
    let www = r#"DPoP algs="ES256", error="invalid_token", error_description="The access token is invalid.""#;
    let out = one_request(
        FirstThen::new(unauthorized(Some(www)), ResponseTemplate::new(200)),
        two_dpop_tokens(&DpopKey::generate()),
        2,
    )
    .await;
    assert_eq!(out.status, 200);
    assert_eq!((out.fetches, out.invalidated), (2, 1));
    assert_eq!(
        header_of(&out.sent[1], "authorization"),
        Some("DPoP dpop-two")
    );
}

#[tokio::test]
async fn a_replayed_proof_is_retried_once_with_a_fresh_proof_and_the_same_token() {
    for www in [
        r#"DPoP algs="ES256", error="dpop_proof_already_used""#,
        // How Okta words it under the generic code.
        r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="The DPoP proof JWT has already been used (dpop_proof_already_used).""#,
        r#"DPoP error="invalid_dpop_proof", error_description="DPoP proof JWT 'jti' has already been used.""#,
    ] {
        let key = DpopKey::generate();
        let out = one_request(
            FirstThen::new(unauthorized(Some(www)), ResponseTemplate::new(200)),
            two_dpop_tokens(&key),
            2,
        )
        .await;
        assert_eq!(out.status, 200, "{www}");
        assert_eq!(out.fetches, 1, "no new token for {www}");
        assert_eq!(out.invalidated, 0, "the token is fine: {www}");
        let proofs: Vec<Value> = out
            .sent
            .iter()
            .map(|r| {
                assert_eq!(header_of(r, "authorization"), Some("DPoP dpop-one"));
                verify_proof(
                    header_of(r, "dpop").unwrap(),
                    "POST",
                    &out.url,
                    "dpop-one",
                    &key,
                )
            })
            .collect();
        assert_ne!(proofs[0]["jti"], proofs[1]["jti"], "a fresh proof");
    }
}

#[tokio::test]
async fn a_proof_replayed_forever_is_retried_exactly_once() {
    let out = one_request(
        unauthorized(Some(r#"DPoP error="dpop_proof_already_used""#)),
        two_dpop_tokens(&DpopKey::generate()),
        2,
    )
    .await;
    assert_eq!(out.status, 401);
    assert_eq!((out.fetches, out.invalidated), (1, 0));
}

#[tokio::test]
async fn other_dpop_errors_are_returned_without_a_new_token_or_a_retry() {
    let cases = [
        (
            r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="DPoP proof JWT 'htu' claim is invalid.""#,
            "invalid_dpop_proof",
        ),
        (
            r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="The 'ath' claim in the DPoP proof JWT is invalid (dpop_proof_invalid_ath).""#,
            "invalid_dpop_proof",
        ),
        (
            r#"DPoP error="dpop_proof_invalid_ath""#,
            "dpop_proof_invalid_ath",
        ),
        (
            r#"DPoP error="dpop_authentication_scheme_required""#,
            "dpop_authentication_scheme_required",
        ),
        // MockOkta's (and Okta's) wording for a DPoP token sent as Bearer.
        (
            r#"DPoP algs="ES256", error="invalid_request", error_description="The DPoP authentication scheme is required for this access token (dpop_authentication_scheme_required).""#,
            "invalid_request",
        ),
    ];
    for (www, code) in cases {
        let out = one_request(
            unauthorized(Some(www)),
            two_dpop_tokens(&DpopKey::generate()),
            1,
        )
        .await;
        assert_eq!(out.status, 401, "{www}");
        assert_eq!(out.fetches, 1, "no token request for {www}");
        assert_eq!(out.invalidated, 0, "the token is not blamed for {www}");
        let mut headers = okta_auth::http::HeaderMap::new();
        headers.insert(
            "www-authenticate",
            out.www_authenticate.unwrap().parse().unwrap(),
        );
        let err = AuthChallenge::from_response(okta_auth::http::StatusCode::UNAUTHORIZED, &headers)
            .and_then(|c| c.error().cloned())
            .unwrap();
        let oauth = err.oauth_error().unwrap();
        assert_eq!(oauth.status(), 401);
        assert_eq!(oauth.error(), code);
    }
    // With a Bearer token a replay cannot be fixed by a fresh proof either.
    let out = one_request(
        unauthorized(Some(r#"DPoP error="dpop_proof_already_used""#)),
        vec![bearer("a"), bearer("b")],
        1,
    )
    .await;
    assert_eq!((out.status, out.fetches, out.invalidated), (401, 1, 0));
}

#[tokio::test]
async fn a_streaming_body_is_not_retried() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![bearer("a"), bearer("b")]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let r = c
        .post(format!("{}/api/v1/users", s.org.uri()))
        .body(reqwest::Body::wrap(String::from("streamed")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(source.fetches(), 1);
    assert_eq!(source.invalidated().len(), 1);
}

// ------------------------------------------------------------- DPoP nonce

/// 401 `use_dpop_nonce` with nonce `n-{k}` unless the proof carries the
/// nonce it wants.
struct WantsNonce {
    nonce: Option<&'static str>,
    calls: AtomicUsize,
}

impl Respond for WantsNonce {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let k = self.calls.fetch_add(1, Ordering::SeqCst);
        let proof = req.headers.get("dpop").unwrap().to_str().unwrap();
        let claims: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(proof.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        let wanted = self.nonce.map(str::to_owned).unwrap_or(format!("n-{k}"));
        if claims["nonce"] == wanted.as_str() {
            ResponseTemplate::new(200)
        } else {
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#)
                .insert_header("dpop-nonce", wanted.as_str())
        }
    }
}

#[tokio::test]
async fn a_use_dpop_nonce_challenge_is_retried_with_the_nonce() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(WantsNonce {
            nonce: Some("srv-nonce-1"),
            calls: AtomicUsize::new(0),
        })
        .expect(3)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let url = format!("{}/api/v1/users", s.org.uri());
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    // The nonce is remembered: the next request needs no handshake.
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);

    let org = received(&s.org).await;
    let proofs: Vec<Value> = org
        .iter()
        .map(|r| {
            verify_proof(
                header_of(r, "dpop").unwrap(),
                "GET",
                &url,
                "dpop-secret",
                &key,
            )
        })
        .collect();
    assert!(proofs[0].get("nonce").is_none());
    assert_eq!(proofs[1]["nonce"], "srv-nonce-1");
    assert_eq!(proofs[2]["nonce"], "srv-nonce-1");
    assert_ne!(proofs[0]["jti"], proofs[1]["jti"]);
    assert!(
        source.invalidated().is_empty(),
        "a nonce request is not a bad token"
    );
    assert_eq!(
        source.fetches(),
        2,
        "one token per request, none extra for the nonce"
    );
    assert_eq!(
        key.nonce_for(&Url::parse(&url).unwrap()).as_deref(),
        Some("srv-nonce-1")
    );
}

#[tokio::test]
async fn nonce_challenges_forever_are_answered_once() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(WantsNonce {
            nonce: None,
            calls: AtomicUsize::new(0),
        })
        .expect(2)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::new(s.org_url.clone(), source), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_unusable_nonce_is_not_retried() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"DPoP error="use_dpop_nonce""#)
                .insert_header("dpop-nonce", "has spaces in it"),
        )
        .expect(1)
        .mount(&s.org)
        .await;
    let source = Tokens::new(vec![
        AccessToken::dpop("dpop-secret", DpopKey::generate()).unwrap(),
    ]);
    let c = client(OktaAuth::new(s.org_url.clone(), source.clone()), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = AuthChallenge::from_response(r.status(), r.headers()).unwrap();
    assert!(matches!(challenge.error(), Some(Error::Dpop(_))));
    assert!(source.invalidated().is_empty());
}

#[tokio::test]
async fn a_nonce_on_any_org_response_is_used_in_the_next_proof() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).insert_header("dpop-nonce", "fresh-nonce"))
        .expect(2)
        .mount(&s.org)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(OktaAuth::new(s.org_url.clone(), source), None);
    let url = format!("{}/api/v1/users", s.org.uri());
    c.get(&url).send().await.unwrap();
    c.get(&url).send().await.unwrap();
    let org = received(&s.org).await;
    let second = verify_proof(
        header_of(&org[1], "dpop").unwrap(),
        "GET",
        &url,
        "dpop-secret",
        &key,
    );
    assert_eq!(second["nonce"], "fresh-nonce");
}

#[tokio::test]
async fn a_hostile_www_authenticate_is_retried_once_and_reported_typed() {
    let s = servers().await;
    let huge = format!(
        r#"DPoP error="use_dpop_nonce", error_description="{}""#,
        "a".repeat(64 * 1024)
    );
    Mock::given(path("/api/v1/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", huge.as_str())
                .insert_header("dpop-nonce", "n"),
        )
        .expect(2)
        .mount(&s.org)
        .await;
    // Unreadable (too long), so it says nothing against the token: a new
    // one is tried once.
    let source = Tokens::new(two_dpop_tokens(&DpopKey::generate()));
    let c = client(OktaAuth::new(s.org_url.clone(), source), None);
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = AuthChallenge::from_response(r.status(), r.headers()).unwrap();
    assert!(matches!(
        challenge.error(),
        Some(Error::MalformedResponse { status: Some(s), .. }) if *s == 401
    ));
}

// ------------------------------------------------------------------ errors

#[tokio::test]
async fn a_source_error_comes_back_downcastable() {
    let s = servers().await;
    let c = client(OktaAuth::new(s.org_url.clone(), Broken), None);
    let err = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_middleware());
    let reqwest_middleware::Error::Middleware(e) = &err else {
        panic!("{err:?}")
    };
    let okta = e
        .downcast_ref::<Error>()
        .expect("an okta_auth::Error inside");
    assert!(matches!(okta, Error::Timeout));
    assert!(okta.is_transient());
    assert!(received(&s.org).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn debug_shows_no_secret() {
    let auth = OktaAuth::new(
        "https://example.okta.com".parse().unwrap(),
        ApiTokenSource::new("00-very-secret").unwrap(),
    );
    let debug = format!("{auth:?}");
    assert!(debug.contains("example.okta.com"));
    assert!(!debug.contains("00-very-secret"));
}

// ------------------------------------------------------------- rate limits

const DATE: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const DATE_EPOCH: u64 = 1_893_456_000;

/// 429 with Okta's headers for the first `limited` calls (request ids
/// `req-{k}`), then 200.
struct Limited {
    limited: usize,
    resets: Vec<u64>,
    calls: AtomicUsize,
}

impl Limited {
    fn new(limited: usize, resets: &[u64]) -> Self {
        Self {
            limited,
            resets: resets.to_vec(),
            calls: AtomicUsize::new(0),
        }
    }
}

impl Respond for Limited {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let k = self.calls.fetch_add(1, Ordering::SeqCst);
        let mut t = if k < self.limited {
            ResponseTemplate::new(429)
                .set_body_json(serde_json::json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}))
                .insert_header("x-rate-limit-remaining", "0")
        } else {
            ResponseTemplate::new(200).insert_header("x-rate-limit-remaining", "99")
        };
        t = t
            .insert_header("date", DATE)
            .insert_header("x-okta-request-id", format!("req-{k}").as_str())
            .insert_header("x-rate-limit-limit", "100");
        for r in &self.resets {
            t = t.append_header("x-rate-limit-reset", (DATE_EPOCH + r).to_string().as_str());
        }
        t
    }
}

async fn rate_limited(
    s: &Servers,
    responder: Limited,
    rate: OktaRateLimit,
    expect: u64,
) -> (reqwest::Response, Duration) {
    Mock::given(path("/api/v1/users"))
        .respond_with(responder)
        .expect(expect)
        .mount(&s.org)
        .await;
    let source = ApiTokenSource::new("00ssws").unwrap();
    let c = client(OktaAuth::new(s.org_url.clone(), source), Some(rate));
    let start = now();
    let r = c
        .get(format!("{}/api/v1/users", s.org.uri()))
        .send()
        .await
        .unwrap();
    (r, now() - start)
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_for_the_reset_and_retries_with_retry_headers() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, waited) = rate_limited(&s, Limited::new(1, &[5]), rate, 2).await;
    assert_eq!(r.status(), 200);
    // Reset − Date + 1 s, on the paused clock.
    assert!(
        waited >= Duration::from_secs(6) && waited < Duration::from_secs(7),
        "{waited:?}"
    );
    let org = received(&s.org).await;
    assert!(header_of(&org[0], "x-okta-retry-for").is_none());
    assert!(header_of(&org[0], "x-okta-retry-count").is_none());
    assert_eq!(header_of(&org[1], "x-okta-retry-for"), Some("req-0"));
    assert_eq!(header_of(&org[1], "x-okta-retry-count"), Some("1"));
    assert_eq!(header_of(&org[1], "authorization"), Some("SSWS 00ssws"));
    let rate = r.extensions().get::<RateLimit>().expect("rate limit state");
    assert_eq!(rate.limit(), Some(100));
    assert_eq!(rate.remaining(), Some(99));
    assert_eq!(rate.reset_epoch_secs(), Some(DATE_EPOCH + 5));
}

#[tokio::test(start_paused = true)]
async fn max_retries_is_honoured_and_the_last_429_returned() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_retries(3);
    let (r, waited) = rate_limited(&s, Limited::new(usize::MAX, &[2]), rate, 4).await;
    assert_eq!(r.status(), 429);
    assert!(
        waited >= Duration::from_secs(9),
        "three waits of 3 s: {waited:?}"
    );
    assert_eq!(
        r.extensions().get::<RateLimit>().unwrap().remaining(),
        Some(0)
    );
    let org = received(&s.org).await;
    for (n, req) in org.iter().enumerate().skip(1) {
        assert_eq!(
            header_of(req, "x-okta-retry-for"),
            Some("req-0"),
            "always the first try's id"
        );
        assert_eq!(
            header_of(req, "x-okta-retry-count"),
            Some(n.to_string().as_str())
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_is_two_retries() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, _) = rate_limited(&s, Limited::new(usize::MAX, &[1]), rate, 3).await;
    assert_eq!(r.status(), 429);
}

#[tokio::test(start_paused = true)]
async fn zero_retries_disables_retrying() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_retries(0);
    let (r, waited) = rate_limited(&s, Limited::new(1, &[5]), rate, 1).await;
    assert_eq!(r.status(), 429);
    assert_eq!(waited, Duration::ZERO);
    assert_eq!(
        r.extensions().get::<RateLimit>().unwrap().limit(),
        Some(100)
    );
}

#[tokio::test(start_paused = true)]
async fn duplicate_reset_headers_use_the_smallest() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone());
    let (r, waited) = rate_limited(&s, Limited::new(1, &[30, 2, 45]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(
        r.extensions()
            .get::<RateLimit>()
            .unwrap()
            .reset_epoch_secs(),
        Some(DATE_EPOCH + 2)
    );
}

#[tokio::test(start_paused = true)]
async fn the_wait_is_capped_and_missing_headers_use_the_fallback() {
    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).max_wait(Duration::from_secs(10));
    let (r, waited) = rate_limited(&s, Limited::new(1, &[3600]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "{waited:?}"
    );

    let s = servers().await;
    let rate = OktaRateLimit::new(s.org_url.clone()).fallback_wait(Duration::from_secs(4));
    let (r, waited) = rate_limited(&s, Limited::new(1, &[]), rate, 2).await;
    assert_eq!(r.status(), 200);
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

/// 429 (reset 5 s after `Date`: a wait of 6 s) to a first try, 200 to a
/// retry.
struct LimitedOnce;

impl Respond for LimitedOnce {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.headers.contains_key("x-okta-retry-count") {
            return ResponseTemplate::new(200);
        }
        ResponseTemplate::new(429)
            .insert_header("date", DATE)
            .insert_header("x-rate-limit-reset", (DATE_EPOCH + 5).to_string().as_str())
    }
}

/// Sits under the middleware and notes, per request (`x-test-id`), when
/// its `429` came back and when its retry left.
#[derive(Default)]
struct Timeline(Mutex<Vec<(String, bool, tokio::time::Instant)>>);

#[async_trait]
impl reqwest_middleware::Middleware for Timeline {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut okta_auth::http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let id = req.headers()["x-test-id"].to_str().unwrap().to_owned();
        let retry = req.headers().contains_key("x-okta-retry-count");
        if retry {
            self.0.lock().unwrap().push((id.clone(), true, now()));
        }
        let resp = next.run(req, extensions).await?;
        if !retry {
            self.0.lock().unwrap().push((id, false, now()));
        }
        Ok(resp)
    }
}

#[tokio::test(start_paused = true)]
async fn requests_limited_together_retry_at_different_instants_after_the_wait() {
    let s = servers().await;
    Mock::given(path("/api/v1/users"))
        .respond_with(LimitedOnce)
        .expect(100)
        .mount(&s.org)
        .await;
    let timeline = std::sync::Arc::new(Timeline::default());
    let auth = OktaAuth::new(s.org_url.clone(), ApiTokenSource::new("00ssws").unwrap());
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let c = ClientBuilder::new(http)
        .with(OktaRateLimit::new(s.org_url.clone()))
        .with(auth)
        .with_arc(timeline.clone())
        .build();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            let url = format!("{}/api/v1/users", s.org.uri());
            tokio::spawn(async move {
                let r = c.get(url).header("x-test-id", i.to_string()).send();
                r.await.unwrap().status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    // Each request's wait, from its 429 to its retry (the paused clock
    // moves only by timers, and in whole milliseconds).
    let events = timeline.0.lock().unwrap().clone();
    let waits: Vec<Duration> = (0..50)
        .map(|i| {
            let at = |retry: bool| {
                events
                    .iter()
                    .find(|(id, r, _)| *id == i.to_string() && *r == retry)
                    .unwrap()
                    .2
            };
            at(true) - at(false)
        })
        .collect();
    let server_wait = Duration::from_secs(6);
    for w in &waits {
        assert!(*w >= server_wait, "a retry before the server's wait: {w:?}");
        assert!(
            *w <= server_wait + OktaRateLimit::DEFAULT_JITTER,
            "more than the jitter: {w:?}"
        );
    }
    let distinct: HashSet<Duration> = waits.iter().copied().collect();
    assert!(
        distinct.len() >= 40,
        "{} distinct waits: {waits:?}",
        distinct.len()
    );
    let spread = waits
        .iter()
        .max()
        .unwrap()
        .saturating_sub(*waits.iter().min().unwrap());
    assert!(
        spread >= Duration::from_millis(500),
        "spread over {spread:?} only"
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_retries_get_fresh_dpop_proofs_and_skip_other_origins() {
    let s = servers().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .respond_with(Limited::new(2, &[1]))
        .expect(3)
        .mount(&s.org)
        .await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("x-rate-limit-reset", "1"))
        .expect(1)
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    let source = Tokens::new(vec![AccessToken::dpop("dpop-secret", key.clone()).unwrap()]);
    let c = client(
        OktaAuth::new(s.org_url.clone(), source),
        Some(OktaRateLimit::new(s.org_url.clone())),
    );
    let url = format!("{}/api/v1/users", s.org.uri());
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let jtis: HashSet<String> = received(&s.org)
        .await
        .iter()
        .map(|r| {
            verify_proof(
                header_of(r, "dpop").unwrap(),
                "GET",
                &url,
                "dpop-secret",
                &key,
            )["jti"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 3, "every try has its own proof");

    let r = c
        .get(format!("{}/busy", s.other.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "another origin's 429 is not retried");
    assert!(r.extensions().get::<RateLimit>().is_none());
}
