//! The private key given as a path, or as text that looks like one.

use okta_auth::OktaConfig;
use okta_auth::config::{AuthorizationMode, Sources};

use super::{TOKEN, config_err, dir, write};

#[test]
fn a_key_file_path_is_read_relative_to_the_project_and_debug_redacts() {
    let cwd = dir("keyfile");
    write(
        cwd.join("keys/app.pem"),
        include_str!("../../fixtures/keys/ec-p256-pkcs8.pem"),
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
    let pem = include_str!("../../fixtures/keys/ec-p256-sec1.pem").replace('\n', "\\n");
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
