//! Where settings come from: files, the environment, code, and what a
//! complete configuration gives.

use okta_auth::config::{AuthorizationMode, Sources};
use okta_auth::{OktaConfig, SigningKey};

use super::capture::Logs;
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

/// Every other setting treats an empty value as unset (`orgUrl: ""`, an
/// empty variable), so a lower layer's value stays; `scopes: ""` in
/// `./okta.yaml` used to replace the home file's scopes with none.
#[test]
fn an_empty_scopes_value_in_a_higher_layer_does_not_wipe_the_lower_ones() {
    let home = dir("empty-scopes-home");
    let cwd = dir("empty-scopes-cwd");
    write(
        home.join(".okta/okta.yaml"),
        "okta:\n  client:\n    orgUrl: \"https://example.okta.com\"\n    \
         scopes: \"okta.users.read\"\n    clientId: \"0oaReview\"\n",
    );
    write(
        cwd.join("okta.yaml"),
        "okta:\n  client:\n    orgUrl: \"\"\n    scopes: \"\"\n",
    );
    let key = SigningKey::generate_p256().with_kid("k");
    let config = OktaConfig::load(&Sources::empty().home_dir(&home).current_dir(&cwd))
        .unwrap()
        .signing_key(key.clone());
    // The empty orgUrl is skipped: the home file's stays.
    assert_eq!(config.org().unwrap().issuer(), "https://example.okta.com");
    let debug = format!("{config:?}");
    assert!(
        debug.contains("okta.users.read"),
        "the empty scopes value wiped the home file's scopes: {debug}"
    );

    // Nor do a variable with no scope in it, or an empty YAML list.
    for (file, var) in [
        ("    scopes: []\n", ","),
        ("    scopes:\n      - \"\"\n", " , "),
    ] {
        write(cwd.join("okta.yaml"), &format!("okta:\n  client:\n{file}"));
        let sources = Sources::empty()
            .home_dir(&home)
            .current_dir(&cwd)
            .var("OKTA_CLIENT_SCOPES", var);
        let config = OktaConfig::load(&sources).unwrap().signing_key(key.clone());
        let debug = format!("{config:?}");
        assert!(
            debug.contains(r#"["okta.users.read"]"#),
            "{file:?} and {var:?} wiped the home file's scopes: {debug}"
        );
    }
}

/// A YAML list item holding two scopes (`- okta.users.read, okta.apps.read`)
/// is split like the text form: an Okta scope holds no comma or space.
#[test]
fn a_yaml_scopes_item_with_a_comma_is_split_like_the_text_form() {
    let cwd = dir("scopes-item-comma");
    write(
        cwd.join("okta.yaml"),
        &yaml(
            "https://x.okta.com",
            "    scopes:\n      - okta.users.read, okta.apps.read\n      - okta.groups.read okta.logs.read\n",
        ),
    );
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    let debug = format!("{config:?}");
    assert!(
        debug.contains(
            r#"["okta.users.read", "okta.apps.read", "okta.groups.read", "okta.logs.read"]"#
        ),
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

/// An app holding `key` (under its kid) and a second active key, so the
/// assertion's `kid` decides which key verifies it.
#[cfg(feature = "test-util")]
async fn app_with_two_keys(key: &SigningKey) -> okta_auth::testing::MockOkta {
    use okta_auth::testing::{MockOkta, ServiceApp};

    let okta = MockOkta::start().await;
    let other = SigningKey::generate_p256().with_kid("other-key");
    okta.register_service_app(
        ServiceApp::new("0oaReview")
            .jwk(key.public_jwk())
            .jwk(other.public_jwk())
            .scopes(["okta.users.read"]),
    )
    .unwrap();
    okta
}

/// `privateKeyId` is "the key's `kid`, when the key does not carry one". A
/// stale one left in `~/.okta/okta.yaml` used to override the kid of the
/// (rotated) JWK in the environment, so the assertion named a key the app
/// no longer had. The key's own kid wins, in every form.
#[cfg(feature = "test-util")]
#[tokio::test]
async fn a_stale_private_key_id_in_the_home_file_does_not_override_the_jwks_own_kid() {
    use okta_auth::secrecy::ExposeSecret;

    let key = SigningKey::generate_p256().with_kid("rotated-kid");
    let okta = app_with_two_keys(&key).await;
    let home = dir("stale-kid-home");
    write(
        home.join(".okta/okta.yaml"),
        "okta:\n  client:\n    privateKeyId: \"retired-kid\"\n",
    );
    let jwk = key.to_private_jwk().unwrap();
    let config = OktaConfig::load(
        &Sources::empty()
            .home_dir(&home)
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_CLIENTID", "0oaReview")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", jwk.expose_secret()),
    )
    .unwrap();
    let result = config.token_source().unwrap().token().await;
    let sent_kid = okta
        .received()
        .iter()
        .rev()
        .find_map(|r| r.assertion_header.clone())
        .map(|h| h["kid"].clone());
    assert_eq!(
        sent_kid,
        Some(serde_json::json!("rotated-kid")),
        "the home file's privateKeyId replaced the environment key's own kid"
    );
    result.unwrap();
}

/// The same rule in code: "code overrides both", and a private JWK given
/// with the `private_key` setter keeps its kid over
/// `OKTA_CLIENT_PRIVATEKEYID` from the environment.
#[cfg(feature = "test-util")]
#[tokio::test]
async fn a_key_set_in_code_keeps_its_kid_over_the_environments_key_id() {
    use okta_auth::secrecy::ExposeSecret;

    let key = SigningKey::generate_p256().with_kid("code-kid");
    let okta = app_with_two_keys(&key).await;
    let jwk = key.to_private_jwk().unwrap();
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", okta.uri())
            .var("OKTA_CLIENT_CLIENTID", "0oaReview")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEYID", "env-kid"),
    )
    .unwrap()
    .private_key(jwk.expose_secret());
    config
        .token_source()
        .unwrap()
        .token()
        .await
        .expect("the key set in code was sent under the environment's kid");
}

/// A key id setting the key's own kid overrules is a warning naming both
/// kids and the setting, for every form of the key; one that agrees, or
/// that gives a PEM key its kid, is silent.
#[test]
fn a_key_id_setting_that_the_keys_own_kid_overrules_is_warned_about() {
    use okta_auth::secrecy::ExposeSecret;

    let key = SigningKey::generate_p256().with_kid("own-kid");
    let jwk = key.to_private_jwk().unwrap();
    let pem = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
    let sources = |kid: &str| {
        Sources::empty()
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_CLIENTID", "0oa1")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEYID", kid)
    };
    let warnings = |config: OktaConfig| {
        let (logs, _guard) = Logs::capture();
        config.token_source().unwrap();
        logs.warnings()
    };
    let load = |kid: &str| OktaConfig::load(&sources(kid)).unwrap();

    for config in [
        load("stale-kid").private_key(jwk.expose_secret()),
        load("stale-kid").signing_key(key.clone()),
    ] {
        let warned = warnings(config);
        assert_eq!(warned.len(), 1, "{warned:?}");
        for part in [
            "own kid \"own-kid\"",
            "environment variable OKTA_CLIENT_PRIVATEKEYID (\"stale-kid\") is ignored",
            "key_kid=\"own-kid\"",
            "ignored_kid=\"stale-kid\"",
        ] {
            assert!(warned[0].contains(part), "{part} in {warned:?}");
        }
        assert!(!warned[0].contains("\"d\""), "{warned:?}");
    }
    for config in [
        load("own-kid").private_key(jwk.expose_secret()),
        load("pem-kid").private_key(pem),
    ] {
        assert_eq!(warnings(config), Vec::<String>::new());
    }
}
