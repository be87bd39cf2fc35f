//! The builder refuses bad settings; `Debug` never shows a secret or key
//! material.

use std::time::Duration;

use okta_auth::url::Url;
use okta_auth::{
    DpopKey, DpopMode, Error, OrgUrl, ServiceAppSource, ServiceAppSourceBuilder, SigningKey,
};
use serde_json::Value;

use crate::signing_key::fixture;

use super::{CLIENT_ID, CLIENT_SECRET};

#[test]
fn debug_never_shows_secrets_or_key_material() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let jwk_text = fixture("rsa2048-private.jwk.json");
    let jwk: Value = serde_json::from_str(&jwk_text).unwrap();
    let d = jwk["d"].as_str().unwrap();
    let key = SigningKey::parse(&jwk_text).unwrap();
    let builder = ServiceAppSource::builder(org.clone(), CLIENT_ID)
        .private_key(key)
        .scopes(["okta.users.read"]);
    let shown_builder = format!("{builder:?}");
    let source = builder.build().unwrap();
    let shown_source = format!("{source:?}");
    for shown in [&shown_builder, &shown_source] {
        assert!(
            shown.contains(CLIENT_ID) && shown.contains("rsa-jwk-1"),
            "{shown}"
        );
        assert!(!shown.contains(&d[..16]), "{shown}");
    }
    let with_secret = ServiceAppSource::builder(org, CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .scopes(["x"]);
    let shown_builder = format!("{with_secret:?}");
    let shown = format!("{shown_builder} {:?}", with_secret.build().unwrap());
    assert!(
        !shown.contains(CLIENT_SECRET) && shown.contains("[redacted]"),
        "{shown}"
    );
}

#[test]
fn build_refuses_the_assertion_key_as_dpop_key() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let pem = fixture("ec-p256-pkcs8.pem");
    let same = ServiceAppSource::builder(org.clone(), CLIENT_ID)
        .private_key(SigningKey::parse(&pem).unwrap().with_kid("k1"))
        .dpop_key(DpopKey::from_pem(&fixture("ec-p256-sec1.pem")).unwrap())
        .scopes(["okta.users.read"])
        .build();
    // The SEC1 and PKCS#8 fixtures hold the same key.
    let err = same.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("client-assertion key")),
        "{err:?}"
    );
    let other = ServiceAppSource::builder(org, CLIENT_ID)
        .private_key(SigningKey::parse(&pem).unwrap())
        .dpop_key(DpopKey::generate())
        .scopes(["okta.users.read"])
        .build();
    assert!(other.is_ok());
}

#[test]
fn build_refuses_bad_settings() {
    let org: OrgUrl = "https://example.okta.com".parse().unwrap();
    let base = || {
        ServiceAppSource::builder(org.clone(), CLIENT_ID)
            .private_key(SigningKey::generate_p256())
            .scopes(["okta.users.read"])
    };
    assert!(base().build().is_ok());
    let url = |s: &str| Url::parse(s).unwrap();
    let cases: Vec<(&str, ServiceAppSourceBuilder)> = vec![
        (
            "no auth",
            ServiceAppSource::builder(org.clone(), CLIENT_ID).scopes(["a"]),
        ),
        ("both auths", base().client_secret("s")),
        (
            "empty secret",
            ServiceAppSource::builder(org.clone(), CLIENT_ID)
                .client_secret("")
                .scopes(["a"]),
        ),
        (
            "empty client id",
            ServiceAppSource::builder(org.clone(), " ")
                .private_key(SigningKey::generate_p256())
                .scopes(["a"]),
        ),
        (
            "client id with space",
            ServiceAppSource::builder(org.clone(), "a b")
                .private_key(SigningKey::generate_p256())
                .scopes(["a"]),
        ),
        ("no scopes", base().scopes(Vec::<String>::new())),
        ("empty scope", base().scopes(["okta.users.read", ""])),
        (
            "scope with space",
            base().scopes(["okta.users.read okta.groups.read"]),
        ),
        ("scope with quote", base().scopes(["a\"b"])),
        (
            "server and endpoint",
            base()
                .authorization_server("default")
                .token_endpoint(url("https://example.okta.com/x")),
        ),
        ("bad server id", base().authorization_server("../x")),
        (
            "http endpoint",
            base().token_endpoint(url("http://example.okta.com/oauth2/v1/token")),
        ),
        (
            "endpoint with query",
            base().token_endpoint(url("https://example.okta.com/t?x=1")),
        ),
        (
            "endpoint with user",
            base().token_endpoint(url("https://u:p@example.okta.com/t")),
        ),
        ("lifetime zero", base().assertion_lifetime(Duration::ZERO)),
        (
            "lifetime an hour",
            base().assertion_lifetime(Duration::from_secs(3600)),
        ),
        (
            "lifetime over max",
            base().assertion_lifetime(
                okta_auth::service_app::MAX_ASSERTION_LIFETIME + Duration::from_secs(1),
            ),
        ),
        ("timeout zero", base().timeout(Duration::ZERO)),
        (
            "dpop key with never",
            base().dpop(DpopMode::Never).dpop_key(DpopKey::generate()),
        ),
    ];
    for (name, builder) in cases {
        match builder.build() {
            Err(Error::Config(_)) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(
        base()
            .assertion_lifetime(okta_auth::service_app::MAX_ASSERTION_LIFETIME)
            .build()
            .is_ok()
    );
    assert!(
        base()
            .token_endpoint(url("http://127.0.0.1:8080/oauth2/v1/token"))
            .build()
            .is_ok()
    );
}
