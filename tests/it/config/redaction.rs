//! `Debug` and errors never show a secret.

use okta_auth::OktaConfig;
use okta_auth::config::Sources;

use super::{TOKEN, dir, write, yaml};

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
