//! The connection settings: every spelling Okta's SDKs read, bad values as
//! errors that name the setting and its origin, and the proxy password
//! never shown.

use okta_auth::OktaConfig;
use okta_auth::config::Sources;

use super::capture::Logs;
use super::{TOKEN, config_err, dir, write, yaml};

const PROXY_PASSWORD: &str = "hunter2-proxy-secret";

fn from_env(pairs: &[(&str, &str)]) -> OktaConfig {
    let mut sources = Sources::empty()
        .var("OKTA_CLIENT_ORGURL", "https://example.okta.com")
        .var("OKTA_CLIENT_TOKEN", TOKEN);
    for (k, v) in pairs {
        sources = sources.var(*k, *v);
    }
    OktaConfig::load(&sources).unwrap()
}

#[test]
fn every_spelling_of_every_connection_setting_is_read() {
    // (variable, what Debug then shows). The value "nope" is refused, which
    // proves the variable was read; a good value shows in Debug.
    let cases = [
        (
            "OKTA_CLIENT_CONNECTION_TIMEOUT",
            "connection_timeout: Some(\"7\")",
        ),
        (
            "OKTA_CLIENT_CONNECTIONTIMEOUT",
            "connection_timeout: Some(\"7\")",
        ),
        (
            "OKTA_CLIENT_REQUEST_TIMEOUT",
            "request_timeout: Some(\"7\")",
        ),
        ("OKTA_CLIENT_REQUESTTIMEOUT", "request_timeout: Some(\"7\")"),
        (
            "OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES",
            "rate_limit_max_retries: Some(\"7\")",
        ),
        (
            "OKTA_CLIENT_RATELIMIT_MAXRETRIES",
            "rate_limit_max_retries: Some(\"7\")",
        ),
        (
            "OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF",
            "rate_limit_max_backoff: Some(\"7\")",
        ),
        (
            "OKTA_CLIENT_RATELIMIT_MAXBACKOFF",
            "rate_limit_max_backoff: Some(\"7\")",
        ),
        ("OKTA_CLIENT_PROXY_PORT", "proxy_port: Some(\"7\")"),
    ];
    for (var, shown) in cases {
        let debug = format!("{:?}", from_env(&[(var, "7")]));
        assert!(debug.contains(shown), "{var}: {debug}");
    }
    let debug = format!(
        "{:?}",
        from_env(&[
            ("OKTA_CLIENT_PROXY_HOST", "proxy.example.com"),
            ("OKTA_CLIENT_PROXY_USERNAME", "svc-okta"),
            ("OKTA_CLIENT_PROXY_PASSWORD", PROXY_PASSWORD),
        ])
    );
    for shown in [
        "proxy_host: Some(\"proxy.example.com\")",
        "proxy_username: Some(\"svc-okta\")",
        "proxy_password: Some(\"[redacted]\")",
    ] {
        assert!(debug.contains(shown), "{debug}");
    }
    assert!(!debug.contains(PROXY_PASSWORD), "{debug}");

    // okta.yaml, as the SDKs document it (nulls are unset).
    let cwd = dir("settings-yaml");
    write(
        cwd.join("okta.yaml"),
        &yaml(
            "https://example.okta.com",
            &format!(
                "    token: {TOKEN}\n    connectionTimeout: 30\n    requestTimeout: 0\n    \
                 rateLimit:\n      maxRetries: 4\n      maxBackoff: 2.5\n    proxy:\n      \
                 port: null\n      host: null\n      username: null\n      password: null\n"
            ),
        ),
    );
    let config = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    let debug = format!("{config:?}");
    for shown in [
        "connection_timeout: Some(\"30\")",
        "request_timeout: Some(\"0\")",
        "rate_limit_max_retries: Some(\"4\")",
        "rate_limit_max_backoff: Some(\"2.5\")",
        "proxy_host: None",
        "proxy_port: None",
    ] {
        assert!(debug.contains(shown), "{shown}: {debug}");
    }
    config.reqwest_client().unwrap();
}

#[test]
fn the_go_spelling_wins_over_the_squashed_one_and_code_over_both() {
    let (logs, _guard) = Logs::capture();
    let config = from_env(&[
        ("OKTA_CLIENT_REQUEST_TIMEOUT", "1"),
        ("OKTA_CLIENT_REQUESTTIMEOUT", "2"),
    ]);
    assert!(format!("{config:?}").contains("request_timeout: Some(\"1\")"));
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(
            "both environment variable OKTA_CLIENT_REQUEST_TIMEOUT and environment variable \
             OKTA_CLIENT_REQUESTTIMEOUT are set: the first is used"
        ),
        "{warnings:?}"
    );
    let config = config.request_timeout(std::time::Duration::from_millis(1500));
    assert!(format!("{config:?}").contains("request_timeout: Some(1.5s)"));
}

#[test]
fn bad_connection_settings_name_the_setting_and_origin_never_the_value() {
    let cwd = dir("settings-bad");
    let path = write(
        cwd.join("okta.yaml"),
        &yaml(
            "https://example.okta.com",
            &format!("    token: {TOKEN}\n    requestTimeout: soon-ish\n"),
        ),
    );
    let file = OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap();
    let cases: Vec<(OktaConfig, String, &str)> = vec![
        (
            file,
            format!(
                "okta.client.requestTimeout in {} must be a number of seconds",
                path.display()
            ),
            "soon-ish",
        ),
        (
            from_env(&[("OKTA_CLIENT_CONNECTION_TIMEOUT", "-1")]),
            "environment variable OKTA_CLIENT_CONNECTION_TIMEOUT must be a number of seconds"
                .into(),
            "-1",
        ),
        (
            from_env(&[("OKTA_CLIENT_CONNECTIONTIMEOUT", "1e3")]),
            "environment variable OKTA_CLIENT_CONNECTIONTIMEOUT must be a number".into(),
            "1e3",
        ),
        (
            from_env(&[
                ("OKTA_CLIENT_PROXY_HOST", "proxy.example.com"),
                ("OKTA_CLIENT_PROXY_PORT", "http-alt"),
            ]),
            "environment variable OKTA_CLIENT_PROXY_PORT must be a port number, 1 to 65535".into(),
            "http-alt",
        ),
        (
            from_env(&[("OKTA_CLIENT_PROXY_HOST", "proxy.example.com")]),
            "environment variable OKTA_CLIENT_PROXY_HOST names no port: set \
             OKTA_CLIENT_PROXY_PORT or okta.client.proxy.port"
                .into(),
            "proxy.example.com",
        ),
        (
            from_env(&[("OKTA_CLIENT_PROXY_HOST", "ftp://proxy.example.com:21")]),
            "environment variable OKTA_CLIENT_PROXY_HOST is not a proxy host".into(),
            "proxy.example.com",
        ),
        (
            from_env(&[
                ("OKTA_CLIENT_PROXY_HOST", "proxy.example.com"),
                ("OKTA_CLIENT_PROXY_PORT", "3128"),
                ("OKTA_CLIENT_PROXY_PASSWORD", PROXY_PASSWORD),
            ]),
            "environment variable OKTA_CLIENT_PROXY_PASSWORD is set without a proxy username"
                .into(),
            PROXY_PASSWORD,
        ),
        (
            from_env(&[
                ("OKTA_CLIENT_PROXY_USERNAME", "svc-okta"),
                ("OKTA_CLIENT_PROXY_PASSWORD", PROXY_PASSWORD),
            ]),
            "environment variable OKTA_CLIENT_PROXY_USERNAME is set but no proxy host is: set \
             OKTA_CLIENT_PROXY_HOST or okta.client.proxy.host"
                .into(),
            PROXY_PASSWORD,
        ),
        (
            OktaConfig::new()
                .org_url("https://example.okta.com")
                .proxy_host("proxy.example.com")
                .proxy_port(0),
            "OktaConfig::proxy_port must be a port number".into(),
            "proxy.example.com",
        ),
    ];
    for (config, want, value) in cases {
        let msg = config_err(config.reqwest_client());
        assert!(msg.contains(&want), "{msg}\nshould contain\n{want}");
        assert!(!msg.contains(value), "{msg} shows {value}");
        assert!(
            !msg.contains(PROXY_PASSWORD) && !msg.contains(TOKEN),
            "{msg}"
        );
    }
}

#[cfg(feature = "middleware")]
#[test]
fn bad_rate_limit_settings_name_the_setting() {
    for (var, value, want) in [
        (
            "OKTA_CLIENT_RATELIMIT_MAXRETRIES",
            "many",
            "environment variable OKTA_CLIENT_RATELIMIT_MAXRETRIES must be a whole number",
        ),
        (
            "OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES",
            "-1",
            "environment variable OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES must be a whole number",
        ),
        (
            "OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF",
            "a minute",
            "environment variable OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF must be a number of seconds",
        ),
    ] {
        let msg = config_err(from_env(&[(var, value)]).client());
        assert!(msg.contains(want), "{msg}");
        assert!(!msg.contains(value), "{msg}");
    }
}

#[test]
fn the_proxy_password_never_shows_in_debug_or_errors() {
    let cwd = dir("settings-password");
    write(
        cwd.join("okta.yaml"),
        &yaml(
            "https://example.okta.com",
            &format!(
                "    token: {TOKEN}\n    proxy:\n      host: \"http://svc:{PROXY_PASSWORD}@proxy.example.com:3128\"\n      \
                 password: {PROXY_PASSWORD}\n"
            ),
        ),
    );
    let configs = [
        OktaConfig::load(&Sources::empty().current_dir(&cwd)).unwrap(),
        from_env(&[
            ("OKTA_CLIENT_PROXY_HOST", "proxy.example.com"),
            ("OKTA_CLIENT_PROXY_PASSWORD", PROXY_PASSWORD),
        ]),
        OktaConfig::new()
            .org_url("https://example.okta.com")
            .proxy_host("proxy.example.com")
            .proxy_port(3128)
            .proxy_password(PROXY_PASSWORD),
    ];
    for config in configs {
        let debug = format!("{config:?}");
        assert!(!debug.contains(PROXY_PASSWORD), "{debug}");
        assert!(
            debug.contains("proxy_password: Some(\"[redacted]\")"),
            "{debug}"
        );
        if let Err(e) = config.reqwest_client() {
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains(PROXY_PASSWORD), "{shown}");
            }
        }
    }
}
