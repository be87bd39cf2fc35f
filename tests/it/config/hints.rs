//! Configuration mistakes get a hint: misspelled variables and `okta.yaml`
//! keys (a warning at load, and in the error when the setting they meant
//! is missing), a bare domain, `~` in a key path, and relative key paths
//! read from the `okta.yaml`'s folder.

use okta_auth::OktaConfig;
use okta_auth::config::Sources;

use super::capture::Logs;
use super::{TOKEN, config_err, dir, write, yaml};

const PEM_IN_A_WRONG_NAME: &str = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");

/// The error of `token_source()`, and what was logged while loading.
fn load_then_fail(sources: &Sources) -> (String, Logs) {
    let (logs, _guard) = Logs::capture();
    let config = OktaConfig::load(sources).unwrap();
    (config_err(config.token_source().map(|_| ())), logs)
}

#[test]
fn misspelled_variables_are_warned_about_and_named_in_the_missing_error() {
    let org = ("OKTA_CLIENT_ORGURL", "https://example.okta.com");
    let app = [
        org,
        ("OKTA_CLIENT_CLIENTID", "0oa1"),
        ("OKTA_CLIENT_SCOPES", "okta.users.read"),
    ];
    // (variables, the warning's suggestion, what the error says)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![
                ("OKTA_CLIENT_ORG_URL", "https://example.okta.com"),
                ("OKTA_CLIENT_TOKEN", TOKEN),
            ],
            "did you mean OKTA_CLIENT_ORGURL?",
            "the org url is required: set OKTA_CLIENT_ORGURL or okta.client.orgUrl \
             (did you mean OKTA_CLIENT_ORGURL? OKTA_CLIENT_ORG_URL is set)",
        ),
        (
            [
                &app[..],
                &[("OKTA_CLIENT_PRIVATE_KEY", PEM_IN_A_WRONG_NAME)],
            ]
            .concat(),
            "did you mean OKTA_CLIENT_PRIVATEKEY?",
            "a private key is required: set OKTA_CLIENT_PRIVATEKEY or okta.client.privateKey \
             (did you mean OKTA_CLIENT_PRIVATEKEY? OKTA_CLIENT_PRIVATE_KEY is set)",
        ),
        (
            vec![org, ("OKTA_CLIENT_API_TOKEN", TOKEN)],
            "did you mean OKTA_CLIENT_TOKEN?",
            "no credentials configured: set OKTA_CLIENT_TOKEN for an API token, or \
             OKTA_CLIENT_CLIENTID and OKTA_CLIENT_PRIVATEKEY for a service app \
             (did you mean OKTA_CLIENT_TOKEN? OKTA_CLIENT_API_TOKEN is set)",
        ),
        (
            [&app[..], &[("okta_client_privatekey", PEM_IN_A_WRONG_NAME)]].concat(),
            "did you mean OKTA_CLIENT_PRIVATEKEY?",
            "(did you mean OKTA_CLIENT_PRIVATEKEY? okta_client_privatekey is set)",
        ),
    ];
    for (vars, suggestion, want) in cases {
        let mut sources = Sources::empty();
        for (k, v) in &vars {
            sources = sources.var(*k, *v);
        }
        let (msg, logs) = load_then_fail(&sources);
        assert!(msg.contains(want), "{msg}\nshould contain\n{want}");
        let warnings = logs.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains(suggestion), "{warnings:?}");
        for shown in [msg, logs.all()] {
            assert!(
                !shown.contains(TOKEN) && !shown.contains("BEGIN"),
                "{shown}"
            );
        }
    }
}

#[test]
fn unknown_variables_are_warned_about_with_or_without_a_suggestion() {
    let (logs, _guard) = Logs::capture();
    let config = OktaConfig::load(
        &Sources::empty()
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_TOKEN", TOKEN)
            .var("OKTA_CLIENT_FROBNICATE", "00secret-value")
            .var("OKTA_CLIENT_PROXY_HOSTNAME", "proxy.example.com")
            // Read by other Okta SDKs, not by okta-auth: no warning.
            .var("OKTA_CLIENT_CACHE_ENABLED", "true"),
    )
    .unwrap();
    // A complete configuration: the hints do not get in the way.
    config.token_source().unwrap();
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("okta-auth does not read OKTA_CLIENT_FROBNICATE")
            && !warnings[0].contains("did you mean"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("did you mean OKTA_CLIENT_PROXY_HOST?"),
        "{warnings:?}"
    );
    assert!(!logs.all().contains("00secret-value"), "{}", logs.all());
    assert!(!logs.all().contains("proxy.example.com"), "{}", logs.all());
}

#[test]
fn misspelled_okta_yaml_keys_are_warned_about_and_named_in_the_missing_error() {
    let cwd = dir("hint-yaml");
    let path = write(
        cwd.join("okta.yaml"),
        &format!(
            "okta:\n  client:\n    orgURL: \"https://example.okta.com\"\n    token: \"{TOKEN}\"\n    \
             proxy:\n      hostname: proxy.example.com\n    connectTimeout: 5\n"
        ),
    );
    let (msg, logs) = load_then_fail(&Sources::empty().current_dir(&cwd));
    let file = path.display();
    assert!(
        msg.contains(&format!(
            "the org url is required: set OKTA_CLIENT_ORGURL or okta.client.orgUrl \
             (did you mean okta.client.orgUrl? okta.client.orgURL is in {file})"
        )),
        "{msg}"
    );
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (warning, want) in warnings.iter().zip([
        "did you mean okta.client.orgUrl?",
        "did you mean okta.client.proxy.host?",
        "did you mean okta.client.connectionTimeout?",
    ]) {
        assert!(warning.contains(want), "{warning}");
        assert!(warning.contains(&file.to_string()), "{warning}");
    }
    assert!(!logs.all().contains(TOKEN) && !msg.contains(TOKEN));
    assert!(!logs.all().contains("proxy.example.com"), "{}", logs.all());
}

#[test]
fn a_bare_domain_is_told_to_add_https() {
    for (url, hint) in [
        ("example.okta.com", true),
        ("example.okta.com/", true),
        ("http://example.okta.com", false),
        ("not a url", false),
    ] {
        let err = OktaConfig::new()
            .org_url(url)
            .token(TOKEN)
            .org()
            .unwrap_err();
        let msg = config_err(Err::<(), _>(err));
        assert!(msg.starts_with("OktaConfig::org_url is invalid"), "{msg}");
        assert_eq!(msg.contains("add https://"), hint, "{url}: {msg}");
    }
}

fn app_with_key(sources: Sources, key: &str) -> OktaConfig {
    OktaConfig::load(
        &sources
            .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
            .var("OKTA_CLIENT_CLIENTID", "0oa1")
            .var("OKTA_CLIENT_SCOPES", "okta.users.read")
            .var("OKTA_CLIENT_PRIVATEKEY", key),
    )
    .unwrap()
}

#[test]
fn a_key_path_starting_with_a_tilde_is_read_from_the_home_directory() {
    let home = dir("tilde-home");
    let cwd = dir("tilde-cwd");
    write(
        home.join("keys/app.pem"),
        include_str!("../../fixtures/keys/ec-p256-pkcs8.pem"),
    );
    let sources = || Sources::empty().home_dir(&home).current_dir(&cwd);
    app_with_key(sources(), "~/keys/app.pem")
        .token_source()
        .unwrap();

    // A missing file says what ~ stood for; no home directory, that it is unknown.
    let msg = config_err(
        app_with_key(sources(), "~/keys/other.pem")
            .token_source()
            .map(|_| ()),
    );
    assert!(msg.contains(&format!("~ is {}", home.display())), "{msg}");
    let msg = config_err(
        app_with_key(Sources::empty().current_dir(&cwd), "~/keys/app.pem")
            .token_source()
            .map(|_| ()),
    );
    assert!(msg.contains("no home directory is known"), "{msg}");
}

#[test]
fn a_relative_key_path_in_an_okta_yaml_is_read_from_that_files_folder() {
    let home = dir("yaml-key-home");
    let cwd = dir("yaml-key-cwd");
    let pem = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
    write(home.join(".okta/app.pem"), pem);
    write(
        home.join(".okta/okta.yaml"),
        &yaml(
            "https://example.okta.com",
            "    clientId: 0oa1\n    scopes: okta.users.read\n    privateKey: app.pem\n",
        ),
    );
    let sources = || Sources::empty().home_dir(&home).current_dir(&cwd);
    let config = OktaConfig::load(&sources()).unwrap();
    config.token_source().unwrap();

    // The same relative path from the environment is read from the current
    // directory, where there is no such file.
    let msg = config_err(
        app_with_key(sources(), "app.pem")
            .token_source()
            .map(|_| ()),
    );
    assert!(
        msg.contains(&format!("relative paths are read from {}", cwd.display())),
        "{msg}"
    );
    // And a project okta.yaml's relative path from the project folder.
    write(cwd.join("keys/app.pem"), pem);
    write(
        cwd.join("okta.yaml"),
        "okta:\n  client:\n    privateKey: keys/app.pem\n",
    );
    OktaConfig::load(&sources())
        .unwrap()
        .token_source()
        .unwrap();
}
