//! Where settings come from: files, the environment, code, and what a
//! complete configuration gives.

use okta_auth::OktaConfig;
use okta_auth::config::{AuthorizationMode, Sources};

use super::{TOKEN, dir, write, yaml};

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
    let pem = include_str!("../../fixtures/keys/rsa2048-pkcs1.pem");
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
