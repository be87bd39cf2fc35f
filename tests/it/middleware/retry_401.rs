//! A `401`: the token is invalidated, a new one fetched and the request
//! retried once; replayed proofs get one fresh proof; other DPoP errors and
//! streaming bodies are not retried.

use std::sync::atomic::{AtomicUsize, Ordering};

use okta_auth::{AccessToken, ApiTokenSource, AuthChallenge, DpopKey, OktaAuth};
use serde_json::Value;
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Tokens, bearer, client, header_of, received, servers, two_dpop_tokens, verify_proof};

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
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
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
        OktaAuth::uncached(org.uri().parse().unwrap(), source.clone()),
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
        OktaAuth::uncached(s.org_url.clone(), ApiTokenSource::new("00revoked").unwrap()),
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
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
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
