//! What comes back when it goes wrong: OAuth errors typed with their
//! fields, server text sanitized, faults typed without echoing the body,
//! `429`s, redirects refused, timeouts and unreachable servers transient.

use std::time::Duration;

use okta_auth::http::StatusCode;
use okta_auth::{DpopMode, Error, OrgUrl, ServiceAppSource, TokenSource};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{ACCESS_TOKEN, CLIENT_ID, ORG_PATH, bearer, builder, endpoint, rsa_key};

#[tokio::test]
async fn oauth_error_answers_are_typed_and_keep_their_fields() {
    let cases = [
        (
            401,
            "invalid_client",
            "The client_assertion signature is invalid.",
        ),
        (
            400,
            "invalid_scope",
            "The following scopes are not allowed: okta.apps.manage",
        ),
        (
            400,
            "consent_required",
            "You are not allowed any of the requested scopes.",
        ),
        (
            400,
            "unauthorized_client",
            "This client cannot use a custom authorization server.",
        ),
        (
            400,
            "invalid_dpop_proof",
            "The DPoP proof JWT header is missing.",
        ),
    ];
    for (status, error, description) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "error": error,
                "error_description": description,
                "errorId": "oaeABC123",
                "leaked": ACCESS_TOKEN,
            })))
            .expect(1)
            .mount(&server)
            .await;
        let err = builder(&server).build().unwrap().token().await.unwrap_err();
        let oauth = err
            .oauth_error()
            .unwrap_or_else(|| panic!("{error}: {err:?}"));
        assert_eq!(oauth.status().as_u16(), status);
        assert_eq!(oauth.error(), error);
        assert_eq!(oauth.description(), Some(description));
        assert_eq!(oauth.error_id(), Some("oaeABC123"));
        assert_eq!(err.status(), Some(StatusCode::from_u16(status).unwrap()));
        assert!(!err.is_transient(), "{error}");
        assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN), "{error}");
    }
}

#[tokio::test]
async fn server_error_text_is_stripped_of_controls_and_capped() {
    let server = MockServer::start().await;
    let long = "x".repeat(10 * 1024);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": format!("invalid_client\r\n{long}"),
            "error_description": format!("bad\n\u{1b}[31mred{long}"),
            "errorCode": format!("E0000011\u{7}{long}"),
            "errorId": format!("oae\u{1b}]0;title\u{7}1{long}"),
        })))
        .mount(&server)
        .await;
    let err = builder(&server).build().unwrap().token().await.unwrap_err();
    let oauth = err.oauth_error().unwrap();
    let fields = [
        Some(oauth.error()),
        oauth.description(),
        oauth.error_code(),
        oauth.error_id(),
    ];
    for field in fields {
        let field = field.unwrap();
        assert!(field.len() <= 512, "{}", field.len());
        assert!(!field.chars().any(char::is_control), "{field:?}");
    }
    assert!(oauth.error().starts_with("invalid_clientxxx"));
    assert!(oauth.description().unwrap().starts_with("bad[31mredxxx"));
    assert!(oauth.error_id().unwrap().starts_with("oae]0;title1xxx"));
    let shown = format!("{err}");
    assert!(!shown.chars().any(char::is_control));
    assert!(shown.len() < 4 * 600, "{}", shown.len());
}

#[tokio::test]
async fn faults_are_typed_errors_and_never_echo_the_body() {
    let huge = "x".repeat(100 * 1024);
    type Case = (&'static str, ResponseTemplate, fn(&Error) -> bool, bool);
    let cases: Vec<Case> = vec![
        (
            "500 with okta document",
            ResponseTemplate::new(500).set_body_json(json!({
                "errorCode": "E0000009", "errorSummary": "Internal Server Error", "errorId": "oae500"
            })),
            |e| e.oauth_error().is_some_and(|o| o.error_code() == Some("E0000009") && o.error_id() == Some("oae500")),
            true,
        ),
        (
            "503 html",
            ResponseTemplate::new(503).set_body_string(format!("<html>{ACCESS_TOKEN}</html>")),
            |e| matches!(e, Error::MalformedResponse { .. }),
            true,
        ),
        (
            "429",
            ResponseTemplate::new(429)
                .insert_header("X-Rate-Limit-Reset", "4102444800")
                .set_body_json(json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."})),
            |e| matches!(e, Error::RateLimited { reset_at: Some(at), .. } if *at == std::time::UNIX_EPOCH + Duration::from_secs(4102444800)),
            true,
        ),
        (
            "200 malformed json",
            ResponseTemplate::new(200).set_body_raw(format!("{{\"access_token\":\"{ACCESS_TOKEN}\","), "application/json"),
            |e| matches!(e, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 200),
            false,
        ),
        (
            "200 not json",
            ResponseTemplate::new(200).set_body_string(format!("token={ACCESS_TOKEN}")),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 missing members",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 3600})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 no expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 absurd expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": u64::MAX, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("expires_in")),
            false,
        ),
        (
            "200 negative expires_in",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": -1, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 unknown token_type",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "mac", "expires_in": 1, "access_token": ACCESS_TOKEN})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 token with a space",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 1, "access_token": "a b\r\nX: y"})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "200 oversized body",
            ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer", "expires_in": 1, "access_token": ACCESS_TOKEN, "pad": huge})),
            |e| matches!(e, Error::MalformedResponse { reason, .. } if reason.contains("larger")),
            false,
        ),
        (
            "400 oversized error",
            ResponseTemplate::new(400).set_body_string(huge.clone()),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
        (
            "400 empty document",
            ResponseTemplate::new(400).set_body_json(json!({})),
            |e| matches!(e, Error::MalformedResponse { .. }),
            false,
        ),
    ];
    for (name, response, is_expected, transient) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let source = builder(&server).dpop(DpopMode::Never).build().unwrap();
        let err = source.token().await.unwrap_err();
        assert!(is_expected(&err), "{name}: {err:?}");
        assert_eq!(err.is_transient(), transient, "{name}: {err:?}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(ACCESS_TOKEN) && !shown.contains("xxxx"),
            "{name}: {shown}"
        );
    }
}

#[tokio::test]
async fn a_429_waits_reset_minus_the_servers_date_and_survives_any_reset() {
    let server = MockServer::start().await;
    // 1 Jan 2030 00:00:00 UTC = 1893456000; this machine's clock is not used.
    let date = "Tue, 01 Jan 2030 00:00:00 GMT";
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Date", date)
                .append_header("X-Rate-Limit-Reset", "1893456100")
                .append_header("X-Rate-Limit-Reset", "1893456041"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Date", date)
                .insert_header("X-Rate-Limit-Reset", "18446744073709551615"),
        )
        .mount(&server)
        .await;
    let source = builder(&server).build().unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    assert!(err.is_transient());
    // u64::MAX seconds: a typed error, no panic, no reset time.
    let err = source.token().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { reset_at: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(u64::MAX - 1_893_456_000 + 1))
    );
}

#[tokio::test]
async fn an_answer_from_a_followed_redirect_is_refused() {
    let org_server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    for code in [307, 308] {
        Mock::given(method("POST"))
            .and(path(ORG_PATH))
            .respond_with(
                ResponseTemplate::new(code)
                    .insert_header("Location", endpoint(&elsewhere, "/steal").as_str()),
            )
            .up_to_n_times(1)
            .mount(&org_server)
            .await;
        Mock::given(method("POST"))
            .respond_with(bearer())
            .mount(&elsewhere)
            .await;
        // The caller's client follows redirects, against the advice.
        let following = reqwest::Client::new();
        let err = builder(&org_server)
            .http_client(following)
            .build()
            .unwrap()
            .token()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains("Policy::none()")),
            "{code}: {err:?}"
        );
        assert!(!err.is_transient());
        assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ORG_PATH))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(bearer())
        .expect(0)
        .mount(&server)
        .await;
    let err = builder(&server).build().unwrap().token().await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedResponse { status: Some(s), .. } if s.as_u16() == 307),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_server_times_out_as_a_transient_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(bearer().set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    let source = builder(&server)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_transport_error() {
    // A port nobody listens on (wiremock pools its servers, so a dropped
    // MockServer still answers).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let org: OrgUrl = format!("http://127.0.0.1:{port}").parse().unwrap();
    let source = ServiceAppSource::builder(org, CLIENT_ID)
        .private_key(rsa_key())
        .scopes(["okta.users.read"])
        .build()
        .unwrap();
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}
