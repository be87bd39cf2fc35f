//! Redirects: credentials never follow one to another origin; within the
//! org a redirect gets a fresh proof for its new URL.

use okta_auth::{AccessToken, ApiTokenSource, DpopKey, Error, OktaAuth, TokenSource};
use reqwest_middleware::ClientBuilder;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use super::{
    Tokens, assert_no_credentials, bearer, client, header_of, received, servers, verify_proof,
};

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
            OktaAuth::uncached(s.org_url.clone(), Tokens::new(vec![token])),
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
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
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
    let c = client(OktaAuth::uncached(s.org_url.clone(), source.clone()), None);
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
    let auth = OktaAuth::uncached(
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
    let landed = &received(&s.other).await[0];
    assert!(
        header_of(landed, "authorization").is_none(),
        "reqwest itself drops Authorization"
    );
    assert!(
        header_of(landed, "dpop").is_some(),
        "but forwards the proof, as the README says: the error comes after it left"
    );

    // A Bearer token: reqwest dropped it, and the other origin's answer is
    // the response.
    let auth = OktaAuth::uncached(s.org_url.clone(), Tokens::new(vec![bearer("b-secret")]));
    let c = ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let r = c
        .get(format!("{}/api/v1/away", s.org.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url().as_str(), away);
    assert_no_credentials(&received(&s.other).await[1]);
}

/// The client of `OktaAuth::switch_source`'s doc example, built as it now
/// is (with `redirect_policy()`; it used `reqwest::Client::new()`, whose
/// reqwest-followed redirect handed the other origin the `DPoP` proof):
/// after the switch to a DPoP source, an org redirect to another origin is
/// followed by `OktaAuth` without credentials.
#[tokio::test]
async fn the_switch_source_example_client_keeps_the_proof_from_another_origin() {
    let s = servers().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .expect(2)
        .mount(&s.org)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200))
        .expect(2)
        .mount(&s.other)
        .await;
    // As in the example.
    let auth = OktaAuth::new(s.org_url.clone(), ApiTokenSource::new("00abc").unwrap());
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .build()
        .unwrap();
    let client = ClientBuilder::new(http).with(auth.clone()).build();
    let url = s.org_url.endpoint("api/v1/users");
    assert_eq!(client.get(url.clone()).send().await.unwrap().status(), 200);
    let key = DpopKey::generate();
    let token = AccessToken::dpop("dpop-secret", key.clone()).unwrap();
    auth.switch_source(Fixed(token)).await.unwrap();
    let r = client.get(url.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url().as_str(), away);

    let org = received(&s.org).await;
    assert_eq!(header_of(&org[0], "authorization"), Some("SSWS 00abc"));
    verify_proof(
        header_of(&org[1], "dpop").unwrap(),
        "GET",
        url.as_str(),
        "dpop-secret",
        &key,
    );
    for r in &received(&s.other).await {
        assert_no_credentials(r);
    }
}

/// What users copy builds the client the safe way: every README snippet,
/// example and doc example that stacks `OktaAuth` on a client it builds
/// (`ClientBuilder::new(…)`) builds that client with `redirect_policy()`.
/// The `switch_source` example used `reqwest::Client::new()`, the
/// misconfiguration above.
#[test]
fn every_copied_client_under_okta_auth_uses_the_redirect_policy() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![root.join("src"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut checked = 0;
    let mut offending = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(root).unwrap().display().to_string();
        // Fenced blocks in the README and in doc comments; an example file
        // is one block.
        let mut blocks: Vec<(usize, String)> = Vec::new();
        if name.starts_with("examples") {
            blocks.push((1, text.clone()));
        } else {
            let mut open: Option<(usize, String)> = None;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start();
                let doc = if name.ends_with(".md") {
                    Some(line)
                } else {
                    ["///", "//!"].iter().find_map(|m| line.strip_prefix(m))
                };
                let Some(doc) = doc else {
                    open = None;
                    continue;
                };
                if doc.trim_start().starts_with("```") {
                    match open.take() {
                        Some(block) => blocks.push(block),
                        None => open = Some((n + 1, String::new())),
                    }
                } else if let Some((_, block)) = open.as_mut() {
                    block.push_str(doc);
                    block.push('\n');
                }
            }
        }
        for (line, block) in blocks {
            if block.contains("OktaAuth::") && block.contains("ClientBuilder::new(") {
                checked += 1;
                if !block.contains(".redirect(auth.redirect_policy())") {
                    offending.push(format!("{name}:{line}"));
                }
            }
        }
    }
    assert!(checked >= 8, "only {checked} snippets found");
    assert!(
        offending.is_empty(),
        "a client under OktaAuth without redirect_policy(): {offending:?}"
    );
}

/// Always the same token.
struct Fixed(AccessToken);

#[async_trait::async_trait]
impl TokenSource for Fixed {
    async fn token(&self) -> Result<AccessToken, Error> {
        Ok(self.0.clone())
    }

    fn is_cached(&self) -> bool {
        true
    }
}
