//! `OktaAuth::origins`: a custom authorization server's token goes to the
//! service's own API (and nowhere else), with proofs whose `htu` a strict
//! verifier accepts, checked end to end with `AccessTokenVerifier`.

use okta_auth::testing::{CustomServer, MockOkta, ServiceApp};
use okta_auth::url::Url;
use okta_auth::{
    AccessToken, AccessTokenVerifier, DpopKey, DpopMode, OktaAuth, OrgUrl, ServiceAppSource,
    SigningKey, TokenType,
};
use secrecy::ExposeSecret;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{assert_no_credentials, client, header_of, received, servers, verify_proof};

const SERVER: &str = "aus1orders";
const AUDIENCE: &str = "api://orders";
const SECRET_CLIENT: &str = "0oaSecretClient";
const APP: &str = "0oaOrdersApp";
/// A path with an escaped `@`, which Okta's `htu` form would decode.
const ORDER: &str = "/orders/a%40b";

/// A fake org with the custom server, a secret client (Bearer tokens) and
/// a private-key service app (DPoP tokens) of it.
async fn org() -> (MockOkta, SigningKey) {
    let okta = MockOkta::start().await;
    okta.register_custom_server(CustomServer::new(SERVER).audience(AUDIENCE))
        .unwrap();
    okta.register_secret_client(SERVER, SECRET_CLIENT, "s3cret", ["orders.read"])
        .unwrap();
    let key = SigningKey::generate_p256().with_kid("app-key");
    okta.register_service_app(
        ServiceApp::new(APP)
            .jwk(key.public_jwk())
            .scopes(["orders.read"])
            .dpop(true, false),
    )
    .unwrap();
    (okta, key)
}

fn bearer_source(okta: &MockOkta) -> ServiceAppSource {
    ServiceAppSource::builder(okta.org_url(), SECRET_CLIENT)
        .client_secret("s3cret")
        .scopes(["orders.read"])
        .authorization_server(SERVER)
        .dpop(DpopMode::Never)
        .build()
        .unwrap()
}

fn dpop_source(okta: &MockOkta, key: &SigningKey, dpop: &DpopKey) -> ServiceAppSource {
    ServiceAppSource::builder(okta.org_url(), APP)
        .private_key(key.clone())
        .scopes(["orders.read"])
        .authorization_server(SERVER)
        .dpop(DpopMode::Always)
        .dpop_key(dpop.clone())
        .build()
        .unwrap()
}

fn verifier(okta: &MockOkta) -> AccessTokenVerifier {
    AccessTokenVerifier::builder(okta.issuer(SERVER).unwrap())
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

/// Runs every request `api` received through the verifier, as the API
/// would: the URL it was called at (its origin and the path that arrived).
async fn verify_all(verifier: &AccessTokenVerifier, api: &MockServer) -> usize {
    let requests = received(api).await;
    for req in &requests {
        let url = Url::parse(&format!("{}{}", api.uri(), req.url.path())).unwrap();
        if let Err(rejection) = verifier
            .verify_request(&req.method, &url, &req.headers)
            .await
        {
            panic!("{} refused: {rejection}", req.url);
        }
    }
    requests.len()
}

#[tokio::test]
async fn custom_server_tokens_go_to_the_named_origin_with_bearer_and_dpop_and_pass_the_verifier() {
    let (okta, app_key) = org().await;
    let s = servers().await;
    let api = MockServer::start().await;
    Mock::given(path(ORDER))
        .respond_with(ResponseTemplate::new(200))
        .expect(2)
        .mount(&api)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s.other)
        .await;
    let api_url: OrgUrl = api.uri().parse().unwrap();
    let dpop = DpopKey::generate();
    for source in [bearer_source(&okta), dpop_source(&okta, &app_key, &dpop)] {
        let c = client(
            OktaAuth::new(okta.org_url(), source).origins([api_url.clone()]),
            None,
        );
        let r = c
            .get(format!("{}{ORDER}?x=1", api.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Neither a third origin nor the org itself gets the token.
        c.get(format!("{}/elsewhere", s.other.uri()))
            .send()
            .await
            .unwrap();
        let _ = c
            .get(okta.org_url().endpoint("api/v1/users"))
            .send()
            .await
            .unwrap();
    }

    let got = received(&api).await;
    assert_eq!(
        header_of(&got[0], "authorization").map(|h| &h[..7]),
        Some("Bearer ")
    );
    assert!(header_of(&got[0], "dpop").is_none());
    let token = header_of(&got[1], "authorization")
        .unwrap()
        .strip_prefix("DPoP ")
        .unwrap();
    let proof = header_of(&got[1], "dpop").unwrap();
    // The plain RFC 3986 form: `%40` kept.
    verify_proof(proof, "GET", &format!("{}{ORDER}", api.uri()), token, &dpop);
    for req in received(&s.other).await {
        assert_no_credentials(&req);
    }
    assert_eq!(verify_all(&verifier(&okta), &api).await, 2);
}

#[tokio::test]
async fn a_redirect_within_the_named_origin_is_followed_with_a_fresh_proof_and_elsewhere_stripped()
{
    let (okta, app_key) = org().await;
    let s = servers().await;
    let api = MockServer::start().await;
    let moved = format!("{}{ORDER}", api.uri());
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", moved.as_str()))
        .mount(&api)
        .await;
    Mock::given(path(ORDER))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&api)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("landed"))
        .expect(1)
        .mount(&s.other)
        .await;
    let dpop = DpopKey::generate();
    let c = client(
        OktaAuth::new(okta.org_url(), dpop_source(&okta, &app_key, &dpop))
            .origins([api.uri().parse().unwrap()]),
        None,
    );
    let r = c
        .get(format!("{}/old", api.uri()))
        .header("cookie", "session=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "landed");

    let got = received(&api).await;
    assert_eq!(got.len(), 2, "/old, then the moved order with a new proof");
    let token = header_of(&got[1], "authorization")
        .unwrap()
        .strip_prefix("DPoP ")
        .unwrap();
    verify_proof(
        header_of(&got[1], "dpop").unwrap(),
        "GET",
        &moved,
        token,
        &dpop,
    );
    let landed = received(&s.other).await;
    assert_no_credentials(&landed[0]);
    assert!(header_of(&landed[0], "cookie").is_none());
    assert_eq!(verify_all(&verifier(&okta), &api).await, 2);
}

#[tokio::test]
async fn the_org_keeps_oktas_decoded_htu_and_every_other_origin_the_plain_one() {
    let s = servers().await;
    let api = MockServer::start().await;
    for server in [&s.org, &api] {
        Mock::given(path(ORDER))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(server)
            .await;
    }
    let key = DpopKey::generate();
    let token = AccessToken::dpop("dpop-secret", key.clone()).unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    let source = super::Tokens::new(vec![token.clone()]);
    let c = client(
        OktaAuth::uncached(s.org_url.clone(), source)
            .origins([s.org.uri().parse().unwrap(), api.uri().parse().unwrap()]),
        None,
    );
    for server in [&s.org, &api] {
        c.get(format!("{}{ORDER}", server.uri()))
            .send()
            .await
            .unwrap();
    }
    let secret = token.secret().expose_secret().to_owned();
    let at_org = &received(&s.org).await[0];
    let at_api = &received(&api).await[0];
    let org_htu = format!("{}/orders/a@b", s.org.uri());
    let api_htu = format!("{}{ORDER}", api.uri());
    verify_proof(
        header_of(at_org, "dpop").unwrap(),
        "GET",
        &org_htu,
        &secret,
        &key,
    );
    verify_proof(
        header_of(at_api, "dpop").unwrap(),
        "GET",
        &api_htu,
        &secret,
        &key,
    );
}

#[tokio::test]
async fn the_redirect_policy_covers_every_named_origin() {
    let s = servers().await;
    let api = MockServer::start().await;
    let away = format!("{}/landing", s.other.uri());
    Mock::given(path("/go"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&api)
        .await;
    Mock::given(path("/landing"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&s.other)
        .await;
    let key = DpopKey::generate();
    let auth = OktaAuth::uncached(
        s.org_url.clone(),
        super::Tokens::new(vec![AccessToken::dpop("dpop-secret", key).unwrap()]),
    )
    .origins([api.uri().parse().unwrap()]);
    // The client alone (no middleware) stops at the API's redirect.
    let http = reqwest::Client::builder()
        .redirect(auth.redirect_policy())
        .build()
        .unwrap();
    let r = http.get(format!("{}/go", api.uri())).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert!(received(&s.other).await.is_empty());
}

/// The org's own guarantee holds for every named origin: no token in
/// cleartext. A plain `http` origin is refused unless it is loopback (as
/// `OrgUrl` refuses it for the org), and no origin has a path to be
/// silently ignored.
#[tokio::test]
async fn a_plain_http_origin_is_refused_unless_it_is_loopback() {
    let s = servers().await;
    let cases = [
        ("http://api.example.com", false),
        ("http://api.example.com:8080", false),
        ("http://10.0.0.7", false),
        ("https://api.example.com", true),
        ("https://api.example.com:8443/", true),
        ("https://api.example.com/orders", false),
        ("http://127.0.0.1:8080", true),
        ("http://[::1]:8080", true),
        ("http://localhost:8080", true),
    ];
    for (input, accepted) in cases {
        // Parsed as whatever `origins` takes.
        let origin = input.parse();
        let refusal = origin.as_ref().err().map(ToString::to_string);
        let auth =
            OktaAuth::uncached(s.org_url.clone(), super::Tokens::new(vec![])).origins(origin.ok());
        assert_eq!(refusal.is_none(), accepted, "{input}: {refusal:?}");
        if input.starts_with("http://") && !accepted {
            let refusal = refusal.unwrap();
            assert!(
                refusal.contains("plain http is allowed only for loopback hosts"),
                "{input}: {refusal}"
            );
        } else if accepted {
            let debug = format!("{auth:?}");
            let origin = input.trim_end_matches('/');
            assert!(
                debug.contains(&format!("origins: Some([\"{origin}\"])")),
                "{debug}"
            );
        }
    }
}
