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

/// A config error from loading the files of `cwd`, and how long it took.
#[allow(clippy::disallowed_methods)] // wall time of a file read and scan, no token clock
fn load_err(cwd: &std::path::Path) -> (String, std::time::Duration) {
    let started = std::time::Instant::now();
    let result = OktaConfig::load(&Sources::empty().current_dir(cwd));
    (config_err(result), started.elapsed())
}

#[test]
fn an_okta_yaml_over_the_size_cap_is_refused_naming_the_file() {
    use okta_auth::config::MAX_CONFIG_FILE_BYTES;
    let cwd = dir("yaml-cap");
    // Valid YAML, padded with a comment to exactly the cap: accepted.
    let head = yaml("https://cap.okta.com", &format!("    token: \"{TOKEN}\"\n"));
    let pad = |total: usize| format!("{head}#{}\n", "x".repeat(total - head.len() - 2));
    let path = write(cwd.join("okta.yaml"), &pad(MAX_CONFIG_FILE_BYTES));
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        MAX_CONFIG_FILE_BYTES as u64
    );
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    assert_eq!(config.org().unwrap().issuer(), "https://cap.okta.com");

    // One byte more: refused, naming the file and the cap, not the token.
    write(cwd.join("okta.yaml"), &pad(MAX_CONFIG_FILE_BYTES + 1));
    let (msg, _) = load_err(&cwd);
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(msg.contains(&MAX_CONFIG_FILE_BYTES.to_string()), "{msg}");
    assert!(!msg.contains(TOKEN), "{msg}");
}

#[test]
fn a_key_file_over_the_size_cap_is_refused_naming_the_file() {
    use okta_auth::config::MAX_KEY_FILE_BYTES;
    let cwd = dir("key-cap");
    let pem = include_str!("../fixtures/keys/ec-p256-pkcs8.pem");
    // A valid key padded with trailing newlines (which parsing ignores).
    let padded = |total: usize| format!("{pem}{}", "\n".repeat(total - pem.len()));
    let config = |path: &std::path::Path| {
        OktaConfig::load(
            &Sources::empty()
                .current_dir(&cwd)
                .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
                .var("OKTA_CLIENT_CLIENTID", "0oa1")
                .var("OKTA_CLIENT_SCOPES", "okta.users.read")
                .var("OKTA_CLIENT_PRIVATEKEY", path.to_str().unwrap()),
        )
        .unwrap()
    };
    let at_cap = write(cwd.join("at-cap.pem"), &padded(MAX_KEY_FILE_BYTES));
    assert_eq!(
        std::fs::metadata(&at_cap).unwrap().len(),
        MAX_KEY_FILE_BYTES as u64
    );
    config(&at_cap).token_source().unwrap();

    let over = write(cwd.join("over-cap.pem"), &padded(MAX_KEY_FILE_BYTES + 1));
    let msg = config_err(config(&over).token_source().map(|_| ()));
    assert!(
        msg.contains("environment variable OKTA_CLIENT_PRIVATEKEY"),
        "{msg}"
    );
    assert!(msg.contains(over.to_str().unwrap()), "{msg}");
    assert!(msg.contains(&MAX_KEY_FILE_BYTES.to_string()), "{msg}");
    assert!(!msg.contains("BEGIN"), "{msg}");
}

#[test]
fn deeply_nested_okta_yaml_is_refused_before_parsing() {
    use okta_auth::config::{MAX_CONFIG_FILE_BYTES, MAX_YAML_DEPTH};
    let cwd = dir("yaml-depth");
    let head = yaml(
        "https://deep.okta.com",
        &format!("    token: \"{TOKEN}\"\n"),
    );
    let flow = |open: &str, n: usize| format!("{head}    scopes: {}\n", open.repeat(n));
    // Indented maps, one space deeper per level, as deep as fits the cap.
    let mut maps = format!("{head}    scopes:\n");
    let mut level = 6;
    while maps.len() + level + 3 < MAX_CONFIG_FILE_BYTES {
        maps.push_str(&format!("{}a:\n", " ".repeat(level)));
        level += 1;
    }
    let cases = [
        ("[ x 60 000", flow("[", 60_000)),
        ("{ x 60 000", flow("{", 60_000)),
        ("[{ x 30 000", flow("[{", 30_000)),
        (
            "- x 30 000",
            format!("{head}    scopes:\n      {}x\n", "- ".repeat(30_000)),
        ),
        ("indented maps", maps),
        // okta, client and scopes are 3 levels.
        ("one level too deep", flow("[", MAX_YAML_DEPTH - 2)),
    ];
    for (name, text) in cases {
        assert!(
            text.len() <= MAX_CONFIG_FILE_BYTES,
            "{name}: {}",
            text.len()
        );
        let path = write(cwd.join("okta.yaml"), &text);
        let (msg, took) = load_err(&cwd);
        assert!(msg.contains(path.to_str().unwrap()), "{name}: {msg}");
        assert!(
            msg.contains("nested") && msg.contains(&MAX_YAML_DEPTH.to_string()),
            "{name}: {msg}"
        );
        assert!(!msg.contains(TOKEN), "{name}: {msg}");
        // Generous: the scan takes microseconds; parsing such a file took
        // seconds before.
        assert!(took < std::time::Duration::from_secs(2), "{name}: {took:?}");
    }

    // At the limit: loads (unknown keys are ignored).
    let at_limit = format!(
        "{head}    extra: {}x{}\n",
        "[".repeat(MAX_YAML_DEPTH - 3),
        "]".repeat(MAX_YAML_DEPTH - 3)
    );
    write(cwd.join("okta.yaml"), &at_limit);
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    assert_eq!(config.org().unwrap().issuer(), "https://deep.okta.com");
}

#[test]
fn an_ordinary_okta_yaml_with_brackets_in_strings_and_a_pem_block_loads() {
    use okta_auth::config::MAX_YAML_DEPTH;
    let cwd = dir("yaml-ordinary");
    let pem = include_str!("../fixtures/keys/ec-p256-pkcs8.pem");
    let block: String = pem.lines().map(|l| format!("      {l}\n")).collect();
    let deep_in_strings = "[".repeat(MAX_YAML_DEPTH * 2);
    let text = format!(
        "# okta.yaml [[[[ {deep_in_strings}\n\
         okta:\n  client:\n    orgUrl: \"https://ordinary.okta.com\" # {{{{{{{{\n\
         \x20   clientId: '0oa{deep_in_strings}'\n\
         \x20   scopes: [okta.users.read, \"okta.groups.read\"]\n\
         \x20   privateKeyId: \"kid-{deep_in_strings}\"\n\
         \x20   privateKey: |\n{block}"
    );
    write(cwd.join("okta.yaml"), &text);
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    assert_eq!(config.org().unwrap().issuer(), "https://ordinary.okta.com");
    assert_eq!(config.mode().unwrap(), AuthorizationMode::PrivateKey);
    config.token_source().unwrap();
}

#[test]
fn the_org_urls_user_info_never_shows_in_debug_or_errors() {
    const URL: &str = "https://admin:hunter2@org.okta.com";
    let cwd = dir("org-user-info");
    write(
        cwd.join("okta.yaml"),
        &yaml(URL, &format!("    token: \"{TOKEN}\"\n")),
    );
    let configs = [
        (
            "file",
            OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap(),
        ),
        (
            "env",
            OktaConfig::load(
                &Sources::empty()
                    .var("OKTA_CLIENT_ORGURL", URL)
                    .var("OKTA_CLIENT_TOKEN", TOKEN),
            )
            .unwrap(),
        ),
        ("code", OktaConfig::new().org_url(URL).token(TOKEN)),
    ];
    for (name, config) in configs {
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("admin"),
            "{name}: {debug}"
        );
        // Still useful: the host shows, and that user info was there.
        assert!(
            debug.contains(r#"org_url: Some("https://[redacted]@org.okta.com/")"#),
            "{name}: {debug}"
        );
        let errors = [
            config.org().unwrap_err(),
            config.token_source().map(|_| ()).unwrap_err(),
        ];
        for err in errors {
            for shown in [err.to_string(), format!("{err:?}")] {
                assert!(!shown.contains("hunter2"), "{name}: {shown}");
                assert!(shown.contains("user info"), "{name}: {shown}");
            }
        }
    }

    // What does not parse as an http(s) URL is redacted whole; a plain org
    // URL shows as it is.
    for (url, shown) in [
        ("admin:hunter2@org.okta.com", "Some([redacted])"),
        ("mailto:admin:hunter2@org.okta.com", "Some([redacted])"),
        ("https://admin:hunter2@org .okta.com", "Some([redacted])"),
        (
            "https://:hunter2@org.okta.com",
            r#"Some("https://[redacted]@org.okta.com/")"#,
        ),
        ("https://org.okta.com", r#"Some("https://org.okta.com/")"#),
    ] {
        let debug = format!("{:?}", OktaConfig::new().org_url(url));
        assert!(
            debug.contains(&format!("org_url: {shown}")),
            "{url}: {debug}"
        );
        assert!(!debug.contains("hunter2"), "{url}: {debug}");
    }
}
