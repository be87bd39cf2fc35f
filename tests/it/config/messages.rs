//! Errors name the setting and where it came from, never its value.

use okta_auth::OktaConfig;
use okta_auth::config::Sources;

use super::{TOKEN, config_err, dir, write};

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
                    include_str!("../../fixtures/keys/ec-p256-pkcs8.pem"),
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
