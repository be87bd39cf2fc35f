//! Every setting by name: its environment variables (each spelling an Okta
//! SDK reads), its `okta.yaml` key, and the nearest of those names to a
//! misspelled one (a small edit distance, case- and `_`-insensitive).

use super::sources::{
    ENV_AUTHORIZATION_MODE, ENV_CLIENT_ID, ENV_CONNECTION_TIMEOUT, ENV_ORG_URL, ENV_PRIVATE_KEY,
    ENV_PRIVATE_KEY_ID, ENV_PROXY_HOST, ENV_PROXY_PASSWORD, ENV_PROXY_PORT, ENV_PROXY_USERNAME,
    ENV_RATE_LIMIT_MAX_BACKOFF, ENV_RATE_LIMIT_MAX_RETRIES, ENV_REQUEST_TIMEOUT, ENV_SCOPES,
    ENV_TOKEN,
};

/// The prefix of every variable Okta's SDKs read for the client.
pub(super) const ENV_PREFIX: &str = "OKTA_CLIENT_";

/// One setting, whatever it is called where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Name {
    OrgUrl,
    AuthorizationMode,
    Token,
    ClientId,
    Scopes,
    PrivateKey,
    PrivateKeyId,
    ConnectionTimeout,
    RequestTimeout,
    MaxRetries,
    MaxBackoff,
    ProxyHost,
    ProxyPort,
    ProxyUsername,
    ProxyPassword,
}

impl Name {
    pub(super) const ALL: [Name; 15] = [
        Name::OrgUrl,
        Name::AuthorizationMode,
        Name::Token,
        Name::ClientId,
        Name::Scopes,
        Name::PrivateKey,
        Name::PrivateKeyId,
        Name::ConnectionTimeout,
        Name::RequestTimeout,
        Name::MaxRetries,
        Name::MaxBackoff,
        Name::ProxyHost,
        Name::ProxyPort,
        Name::ProxyUsername,
        Name::ProxyPassword,
    ];

    /// The variables, the first one named in messages. The Go SDK separates
    /// words with `_`; the Java, Python and Node SDKs squash them.
    pub(super) fn env(self) -> &'static [&'static str] {
        match self {
            Name::OrgUrl => &[ENV_ORG_URL],
            Name::AuthorizationMode => &[ENV_AUTHORIZATION_MODE],
            Name::Token => &[ENV_TOKEN],
            Name::ClientId => &[ENV_CLIENT_ID],
            Name::Scopes => &[ENV_SCOPES],
            Name::PrivateKey => &[ENV_PRIVATE_KEY],
            Name::PrivateKeyId => &[ENV_PRIVATE_KEY_ID],
            Name::ConnectionTimeout => &[ENV_CONNECTION_TIMEOUT, "OKTA_CLIENT_CONNECTIONTIMEOUT"],
            Name::RequestTimeout => &[ENV_REQUEST_TIMEOUT, "OKTA_CLIENT_REQUESTTIMEOUT"],
            Name::MaxRetries => &[
                ENV_RATE_LIMIT_MAX_RETRIES,
                "OKTA_CLIENT_RATELIMIT_MAXRETRIES",
            ],
            Name::MaxBackoff => &[
                ENV_RATE_LIMIT_MAX_BACKOFF,
                "OKTA_CLIENT_RATELIMIT_MAXBACKOFF",
            ],
            Name::ProxyHost => &[ENV_PROXY_HOST],
            Name::ProxyPort => &[ENV_PROXY_PORT],
            Name::ProxyUsername => &[ENV_PROXY_USERNAME],
            Name::ProxyPassword => &[ENV_PROXY_PASSWORD],
        }
    }

    /// The `okta.yaml` key.
    pub(super) fn yaml(self) -> &'static str {
        match self {
            Name::OrgUrl => "okta.client.orgUrl",
            Name::AuthorizationMode => "okta.client.authorizationMode",
            Name::Token => "okta.client.token",
            Name::ClientId => "okta.client.clientId",
            Name::Scopes => "okta.client.scopes",
            Name::PrivateKey => "okta.client.privateKey",
            Name::PrivateKeyId => "okta.client.privateKeyId",
            Name::ConnectionTimeout => "okta.client.connectionTimeout",
            Name::RequestTimeout => "okta.client.requestTimeout",
            Name::MaxRetries => "okta.client.rateLimit.maxRetries",
            Name::MaxBackoff => "okta.client.rateLimit.maxBackoff",
            Name::ProxyHost => "okta.client.proxy.host",
            Name::ProxyPort => "okta.client.proxy.port",
            Name::ProxyUsername => "okta.client.proxy.username",
            Name::ProxyPassword => "okta.client.proxy.password",
        }
    }

    /// `set OKTA_CLIENT_X or okta.client.x`, for messages.
    pub(super) fn how_to_set(self) -> String {
        format!("set {} or {}", self.env()[0], self.yaml())
    }
}

/// Variables Okta's SDKs read that okta-auth does not (the SDKs' resource
/// cache, the Go SDK's ready-made client assertion): ignored quietly.
const OTHER_SDK_ENV: [&str; 2] = ["OKTA_CLIENT_CACHE", "OKTA_CLIENT_CLIENTASSERTION"];

/// `okta.client` keys Okta's SDKs read that okta-auth does not.
const OTHER_SDK_YAML: [&str; 2] = ["okta.client.cache", "okta.client.clientAssertion"];

/// Whether `name` is read by an Okta SDK but not by okta-auth.
pub(super) fn other_sdk_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    OTHER_SDK_ENV.iter().any(|p| upper.starts_with(p))
}

/// Whether `key` (a dotted path) is read by an Okta SDK but not by okta-auth.
pub(super) fn other_sdk_yaml(key: &str) -> bool {
    OTHER_SDK_YAML
        .iter()
        .any(|k| key == *k || key.strip_prefix(k).is_some_and(|r| r.starts_with('.')))
}

/// Whether `key` (a dotted path) is a known `okta.yaml` key or a map on the
/// way to one (`okta`, `okta.client`, `okta.client.proxy`, …).
pub(super) fn known_yaml(key: &str) -> bool {
    Name::ALL.iter().any(|k| {
        let known = k.yaml();
        known == key || known.strip_prefix(key).is_some_and(|r| r.starts_with('.'))
    }) || key == "okta.testing"
        || key.starts_with("okta.testing.")
}

/// The setting an unknown variable most likely meant, and its spelling
/// nearest to what was written.
pub(super) fn nearest_env(name: &str) -> Option<(Name, &'static str)> {
    let upper = name.to_ascii_uppercase();
    let suffix = upper.strip_prefix(ENV_PREFIX).unwrap_or(&upper);
    nearest(suffix, |k| {
        k.env()
            .iter()
            .map(|e| (*e, e.strip_prefix(ENV_PREFIX).unwrap_or(e)))
            .collect()
    })
}

/// The key an unknown `okta.yaml` key most likely meant.
pub(super) fn nearest_yaml(key: &str) -> Option<(Name, &'static str)> {
    let suffix = key.strip_prefix("okta.client.").unwrap_or(key);
    nearest(suffix, |k| {
        let y = k.yaml();
        vec![(y, y.strip_prefix("okta.client.").unwrap_or(y))]
    })
}

/// The nearest candidate: the same name once normalized (lower case,
/// without `_`, `.` and `-`), else one holding the other, else the smallest
/// edit distance between normalized names; then the smallest between the
/// names as written (so `…CONNECTIONTIMEOUTS` suggests the squashed
/// spelling and `…CONNECTION_TIMEOUTS` the Go one). A candidate counts
/// when it is a few edits away (a third of the name, at most 3) or when
/// one name of at least 5 letters holds the other (`API_TOKEN`,
/// `PROXY_HOST_NAME`, `PROXY_PASS`).
fn nearest(
    written: &str,
    names: impl Fn(Name) -> Vec<(&'static str, &'static str)>,
) -> Option<(Name, &'static str)> {
    let found = normalize(written);
    let mut best: Option<((u8, usize, usize), Name, &'static str)> = None;
    for key in Name::ALL {
        for (full, short) in names(key) {
            let known = normalize(short);
            let distance = edit_distance(&found, &known);
            let within = distance <= (known.len() / 3).clamp(1, 3);
            let contained = (known.len() >= 5 && found.contains(&known))
                || (found.len() >= 5 && known.contains(&found));
            if !(within || contained) {
                continue;
            }
            let raw = edit_distance(&written.to_ascii_lowercase(), &short.to_ascii_lowercase());
            let class = match (distance, contained) {
                (0, _) => 0,
                (_, true) => 1,
                _ => 2,
            };
            let rank = (class, distance, raw);
            if best.is_none_or(|(best, _, _)| rank < best) {
                best = Some((rank, key, full));
            }
        }
    }
    best.map(|(_, key, full)| (key, full))
}

fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '.' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Levenshtein distance over bytes (the names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_variables_find_their_setting() {
        let cases = [
            ("OKTA_CLIENT_ORG_URL", Some(ENV_ORG_URL)),
            ("OKTA_CLIENT_PRIVATE_KEY", Some(ENV_PRIVATE_KEY)),
            ("OKTA_CLIENT_PRIVATE_KEY_ID", Some(ENV_PRIVATE_KEY_ID)),
            ("OKTA_CLIENT_CLIENT_ID", Some(ENV_CLIENT_ID)),
            ("okta_client_orgurl", Some(ENV_ORG_URL)),
            ("OKTA_CLIENT_SCOPE", Some(ENV_SCOPES)),
            ("OKTA_CLIENT_API_TOKEN", Some(ENV_TOKEN)),
            ("OKTA_CLIENT_PROXY_HOSTNAME", Some(ENV_PROXY_HOST)),
            ("OKTA_CLIENT_PROXY_PASS", Some(ENV_PROXY_PASSWORD)),
            (
                "OKTA_CLIENT_CONNECTIONTIMEOUTS",
                Some("OKTA_CLIENT_CONNECTIONTIMEOUT"),
            ),
            (
                "OKTA_CLIENT_CONNECTION_TIMEOUTS",
                Some(ENV_CONNECTION_TIMEOUT),
            ),
            (
                "OKTA_CLIENT_RATELIMIT_MAX_RETRIES",
                Some(ENV_RATE_LIMIT_MAX_RETRIES),
            ),
            ("OKTA_CLIENT_XYZ", None),
            ("OKTA_CLIENT_ORG", None),
        ];
        for (written, want) in cases {
            assert_eq!(nearest_env(written).map(|(_, n)| n), want, "{written}");
        }
    }

    #[test]
    fn misspelled_yaml_keys_find_their_setting() {
        let cases = [
            ("okta.client.orgURL", Some("okta.client.orgUrl")),
            (
                "okta.client.AuthorizationMode",
                Some("okta.client.authorizationMode"),
            ),
            ("okta.client.privatekey", Some("okta.client.privateKey")),
            ("okta.client.proxy.hostname", Some("okta.client.proxy.host")),
            (
                "okta.client.rateLimit.maxRetry",
                Some("okta.client.rateLimit.maxRetries"),
            ),
            ("okta.client.nonsense", None),
        ];
        for (written, want) in cases {
            assert_eq!(nearest_yaml(written).map(|(_, n)| n), want, "{written}");
        }
    }

    #[test]
    fn known_and_other_sdk_names() {
        for key in [
            "okta",
            "okta.client",
            "okta.client.proxy",
            "okta.client.rateLimit",
        ] {
            assert!(known_yaml(key), "{key}");
        }
        assert!(known_yaml("okta.client.proxy.port"));
        assert!(!known_yaml("okta.client.orgURL"));
        assert!(!known_yaml("okta.client.proxy.hostname"));
        assert!(other_sdk_yaml("okta.client.cache.enabled"));
        assert!(!other_sdk_yaml("okta.client.cacheX"));
        assert!(other_sdk_env("OKTA_CLIENT_CACHE_DEFAULT_TTL"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
