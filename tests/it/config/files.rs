//! Files read with caps: `okta.yaml` size and nesting, key file size.

use okta_auth::OktaConfig;
use okta_auth::config::{AuthorizationMode, Sources};

use super::{TOKEN, config_err, dir, write, yaml};

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
    let pem = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
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
    let pem = include_str!("../../fixtures/keys/ec-p256-pkcs8.pem");
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
