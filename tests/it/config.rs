use std::path::PathBuf;

use okta_auth::config::{AuthorizationMode, Sources};
use okta_auth::{Error, OktaConfig};

const TOKEN: &str = "00ConfigSecretToken-QQQ";

/// A fresh directory under cargo's per-test tmp dir.
fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("config")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: PathBuf, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn yaml(org: &str, extra: &str) -> String {
    format!("okta:\n  client:\n    orgUrl: \"{org}\"\n{extra}")
}

fn config_err(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn precedence_is_home_then_project_then_env_then_code() {
    let home = dir("prec-home");
    let cwd = dir("prec-cwd");
    let with_home = || Sources::empty().home_dir(&home).current_dir(&cwd);
    write(
        home.join(".okta/okta.yaml"),
        &yaml(
            "https://home.okta.com",
            &format!("    token: \"{TOKEN}\"\n"),
        ),
    );

    // (what is layered on top, the org url that wins)
    let org = |c: &OktaConfig| c.org().unwrap().issuer().to_owned();
    assert_eq!(
        org(&OktaConfig::load(&with_home()).unwrap()),
        "https://home.okta.com"
    );

    write(cwd.join("okta.yaml"), &yaml("https://project.okta.com", ""));
    assert_eq!(
        org(&OktaConfig::load(&with_home()).unwrap()),
        "https://project.okta.com"
    );

    let env = with_home().var("OKTA_CLIENT_ORGURL", "https://env.okta.com");
    let config = OktaConfig::load(&env).unwrap();
    assert_eq!(org(&config), "https://env.okta.com");
    // The token still comes from the home file: layers merge per setting.
    assert_eq!(config.mode().unwrap(), AuthorizationMode::Ssws);

    let config = config.org_url("https://code.okta.com");
    assert_eq!(org(&config), "https://code.okta.com");
}

#[test]
fn scopes_come_comma_or_space_separated_or_as_a_yaml_list() {
    let cwd = dir("scopes");
    write(
        cwd.join("okta.yaml"),
        &yaml(
            "https://x.okta.com",
            "    scopes:\n      - okta.users.read\n      - okta.groups.read\n",
        ),
    );
    let from_file = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    assert!(format!("{from_file:?}").contains(r#"["okta.users.read", "okta.groups.read"]"#));
    let from_env = OktaConfig::load(&Sources::empty().var(
        "OKTA_CLIENT_SCOPES",
        "okta.users.read,okta.apps.read okta.logs.read",
    ))
    .unwrap();
    assert!(
        format!("{from_env:?}")
            .contains(r#"["okta.users.read", "okta.apps.read", "okta.logs.read"]"#)
    );
}

#[test]
fn every_error_names_the_setting_and_its_origin_without_the_secret() {
    let cwd = dir("errors");
    let key_path = cwd.join("nope.pem");
    let env = |pairs: &[(&str, &str)]| {
        let mut s = Sources::empty().current_dir(&cwd);
        for (k, v) in pairs {
            s = s.var(*k, *v);
        }
        OktaConfig::load(&s).unwrap()
    };
    let org = ("OKTA_CLIENT_ORGURL", "https://example.okta.com");
    let cases: Vec<(OktaConfig, &str)> = vec![
        (env(&[("OKTA_CLIENT_TOKEN", TOKEN)]), "OKTA_CLIENT_ORGURL"),
        (
            env(&[
                ("OKTA_CLIENT_ORGURL", "http://example.com"),
                ("OKTA_CLIENT_TOKEN", TOKEN),
            ]),
            "environment variable OKTA_CLIENT_ORGURL",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_AUTHORIZATIONMODE", "Magic"),
                ("OKTA_CLIENT_TOKEN", TOKEN),
            ]),
            "OKTA_CLIENT_AUTHORIZATIONMODE",
        ),
        (
            env(&[org, ("OKTA_CLIENT_AUTHORIZATIONMODE", "SSWS")]),
            "OKTA_CLIENT_TOKEN",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey"),
                ("OKTA_CLIENT_PRIVATEKEY", "{}"),
            ]),
            "OKTA_CLIENT_CLIENTID",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey"),
                ("OKTA_CLIENT_CLIENTID", "0oa1"),
            ]),
            "OKTA_CLIENT_PRIVATEKEY",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_CLIENTID", "0oa1"),
                ("OKTA_CLIENT_SCOPES", "okta.users.read"),
                ("OKTA_CLIENT_PRIVATEKEY", key_path.to_str().unwrap()),
            ]),
            "nor the path of a readable key file (entity not found",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_CLIENTID", "0oa1"),
                ("OKTA_CLIENT_SCOPES", "okta.users.read"),
                (
                    "OKTA_CLIENT_PRIVATEKEY",
                    "-----BEGIN PRIVATE KEY-----\nQUFBQUFBQUFB\n-----END PRIVATE KEY-----",
                ),
            ]),
            "environment variable OKTA_CLIENT_PRIVATEKEY is not a usable private key",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_TOKEN", TOKEN),
                ("OKTA_CLIENT_CLIENTID", "0oa1"),
            ]),
            "both an API token and a service app",
        ),
        (env(&[org]), "no credentials configured"),
        (
            env(&[org, ("OKTA_CLIENT_TOKEN", "has space")]),
            "environment variable OKTA_CLIENT_TOKEN is not a usable API token",
        ),
        (
            env(&[
                org,
                ("OKTA_CLIENT_CLIENTID", "0oa1"),
                (
                    "OKTA_CLIENT_PRIVATEKEY",
                    include_str!("../fixtures/keys/ec-p256-pkcs8.pem"),
                ),
            ]),
            "OKTA_CLIENT_SCOPES",
        ),
    ];
    for (config, want) in cases {
        let msg = config_err(config.token_source().map(|_| ()));
        assert!(msg.contains(want), "{msg:?} should mention {want:?}");
        for secret in [TOKEN, "QUFBQUFBQUFB", "has space"] {
            assert!(!msg.contains(secret), "{msg:?} leaks a secret");
        }
    }
}

#[test]
fn malformed_yaml_names_the_file_and_not_its_contents() {
    let cwd = dir("malformed");
    let path = write(
        cwd.join("okta.yaml"),
        &format!("okta:\n  client:\n    token: [\"{TOKEN}\"\n"),
    );
    let msg = config_err(OktaConfig::load(&Sources::empty().current_dir(&cwd)));
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(!msg.contains(TOKEN));
    let path = write(
        cwd.join("okta.yaml"),
        &format!("okta:\n  client:\n    token:\n      nested: {TOKEN}\n"),
    );
    let msg = config_err(OktaConfig::load(&Sources::empty().current_dir(&cwd)));
    assert!(
        msg.contains(path.to_str().unwrap()) && !msg.contains(TOKEN),
        "{msg}"
    );
}

#[test]
fn a_key_file_path_is_read_relative_to_the_project_and_debug_redacts() {
    let cwd = dir("keyfile");
    write(
        cwd.join("keys/app.pem"),
        include_str!("../fixtures/keys/ec-p256-pkcs8.pem"),
    );
    let config = OktaConfig::load(
        &Sources::empty()
            .current_dir(&cwd)
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_CLIENTID", "0oa1")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", "keys/app.pem")
            .var("OKTA_CLIENT_TOKEN", TOKEN)
            .var("OKTA_CLIENT_AUTHORIZATIONMODE", "privatekey"),
    )
    .unwrap();
    assert_eq!(config.mode().unwrap(), AuthorizationMode::PrivateKey);
    config.token_source().unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains("keys/app.pem") && !debug.contains("BEGIN"),
        "{debug}"
    );
}

#[tokio::test]
async fn ssws_from_the_environment_gives_a_working_source() {
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_TOKEN", TOKEN),
    )
    .unwrap();
    let token = config.token_source().unwrap().token().await.unwrap();
    assert_eq!(token.token_type(), okta_auth::TokenType::Ssws);
}

#[cfg(feature = "test-util")]
#[tokio::test]
async fn a_private_key_config_fetches_dpop_tokens_from_the_org() {
    use okta_auth::SigningKey;
    use okta_auth::testing::{MockOkta, ServiceApp};

    let okta = MockOkta::start().await;
    let pem = include_str!("../fixtures/keys/rsa2048-pkcs1.pem");
    let public = SigningKey::parse(pem)
        .unwrap()
        .public_jwk()
        .with_kid("kid-from-env");
    okta.register_service_app(
        ServiceApp::new("0oaconfig")
            .jwk(public)
            .scopes(["okta.users.read", "okta.groups.read"])
            .dpop(true, true),
    )
    .unwrap();

    // A PEM pasted into an environment variable, newlines as literal `\n`.
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey")
            .var("OKTA_CLIENT_CLIENTID", "0oaconfig")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read, okta.groups.read")
            .var("OKTA_CLIENT_PRIVATEKEY", pem.replace('\n', "\\n"))
            .var("OKTA_CLIENT_PRIVATEKEYID", "kid-from-env"),
    )
    .unwrap();
    let source = config.token_source().unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), okta_auth::TokenType::Dpop);
    assert_eq!(token.scopes(), ["okta.users.read", "okta.groups.read"]);
    // Cached: the second call makes no request (two for the nonce handshake).
    source.token().await.unwrap();
    assert_eq!(okta.token_requests("0oaconfig"), 2);
    let last = okta.received().pop().unwrap();
    let header = last.assertion_header.unwrap();
    assert_eq!(header["kid"], "kid-from-env");
    assert_eq!(header["alg"], "RS256");
}

#[test]
fn a_key_value_that_is_neither_key_text_nor_a_file_is_never_echoed() {
    // Base64 of a PEM on one line looks like a path; the error must not show it.
    const OPAQUE: &str = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5";
    let cwd = dir("opaque");
    let config = OktaConfig::load(
        &Sources::empty()
            .current_dir(&cwd)
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_CLIENTID", "0oa1")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", OPAQUE),
    )
    .unwrap();
    let msg = config_err(config.token_source().map(|_| ()));
    assert!(
        msg.contains("environment variable OKTA_CLIENT_PRIVATEKEY"),
        "{msg}"
    );
    assert!(
        msg.contains(cwd.to_str().unwrap()),
        "names the base directory: {msg}"
    );
    assert!(!msg.contains(OPAQUE), "{msg}");
}

#[test]
fn quoted_pem_from_an_env_file_is_accepted() {
    let pem = include_str!("../fixtures/keys/ec-p256-sec1.pem").replace('\n', "\\n");
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_CLIENTID", "0oa1")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", format!("\"{pem}\"")),
    )
    .unwrap();
    config.token_source().unwrap();
}

#[test]
fn sources_debug_shows_variable_names_only() {
    let sources = Sources::empty().var("OKTA_CLIENT_TOKEN", TOKEN).var(
        "OKTA_CLIENT_PRIVATEKEY",
        "-----BEGIN PRIVATE KEY-----secret",
    );
    let debug = format!("{sources:?}");
    assert!(debug.contains("OKTA_CLIENT_TOKEN"), "{debug}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains("BEGIN"),
        "{debug}"
    );
}
