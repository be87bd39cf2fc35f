use okta_auth::http::Method;
use okta_auth::{ApiTokenSource, Error, TokenSource, TokenType};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "00DistinctiveSecret-XyZ123";

#[tokio::test]
async fn ssws_token_reaches_the_server_exactly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/me"))
        .and(header("authorization", format!("SSWS {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let source = ApiTokenSource::new(SECRET).unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::Ssws);
    assert_eq!(token.expires_at(), None);

    let url = okta_auth::url::Url::parse(&format!("{}/api/v1/users/me", server.uri())).unwrap();
    let headers = token.authorize(&Method::GET, &url).unwrap();
    let response = reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let received = server.received_requests().await.unwrap();
    let auth: Vec<_> = received[0]
        .headers
        .get_all("authorization")
        .iter()
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0], format!("SSWS {SECRET}").as_str());
    assert!(received[0].headers.get("dpop").is_none());
}

#[tokio::test]
async fn invalidate_is_a_noop_for_api_tokens() {
    let source = ApiTokenSource::new(SECRET).unwrap();
    let token = source.token().await.unwrap();
    source.invalidate(&token);
    assert!(source.token().await.unwrap().same_token(&token));
}

#[test]
fn bad_tokens_are_refused_at_construction() {
    for bad in [
        "",
        "   ",
        "two words",
        "line\nbreak",
        "crlf\r\nX-Injected: yes",
        "\u{7f}del",
    ] {
        let err = ApiTokenSource::new(bad).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad:?} gave {err:?}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn no_secret_in_debug_or_errors() {
    let source = ApiTokenSource::new(SECRET).unwrap();
    let token = source.token().await.unwrap();
    for text in [format!("{source:?}"), format!("{token:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let with_space = format!("{SECRET} tail");
    let err = ApiTokenSource::new(with_space.as_str()).unwrap_err();
    assert!(!format!("{err:?}").contains(SECRET));
    assert!(!err.to_string().contains(SECRET));
}

async fn type_of(source: impl TokenSource) -> TokenType {
    source.token().await.unwrap().token_type()
}

#[tokio::test]
async fn works_through_arc_box_and_references() {
    let concrete = ApiTokenSource::new(SECRET).unwrap();
    let arc: std::sync::Arc<dyn TokenSource> = std::sync::Arc::new(concrete.clone());
    let boxed: Box<dyn TokenSource> = Box::new(concrete.clone());
    assert_eq!(type_of(&concrete).await, TokenType::Ssws);
    assert_eq!(type_of(arc).await, TokenType::Ssws);
    assert_eq!(type_of(boxed).await, TokenType::Ssws);
}
