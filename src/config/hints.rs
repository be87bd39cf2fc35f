//! Hints for configuration mistakes: a variable or `okta.yaml` key that
//! okta-auth does not read is reported at load (a `tracing` warning) with
//! the nearest name it does read, and again in the error when the setting
//! it probably meant turns out to be missing. Names only: never a value.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::names::{self, Name};

/// A name okta-auth does not read, where it was, and what it may have meant.
#[derive(Clone, Debug)]
pub(super) struct Hint {
    /// The name as written: `OKTA_CLIENT_ORG_URL`, `okta.client.orgURL`.
    written: String,
    /// Where: `is set` (a variable) or `is in /path/okta.yaml`.
    place: String,
    /// The setting it probably meant, and that setting's nearest name.
    suggestion: Option<(Name, &'static str)>,
}

impl Hint {
    /// For an `OKTA_CLIENT_*` variable okta-auth does not read; `None` for
    /// one it reads or one only other Okta SDKs read.
    pub(super) fn env(name: &str) -> Option<Hint> {
        let prefixed = name
            .get(..names::ENV_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(names::ENV_PREFIX));
        if !prefixed
            || Name::ALL.iter().any(|k| k.env().contains(&name))
            || names::other_sdk_env(name)
        {
            return None;
        }
        Some(Hint {
            written: name.to_owned(),
            place: "is set".into(),
            suggestion: names::nearest_env(name),
        })
    }

    /// For an `okta.yaml` key okta-auth does not read.
    fn yaml(key: String, path: &Path) -> Hint {
        let suggestion = names::nearest_yaml(&key);
        Hint {
            written: key,
            place: format!("is in {}", path.display()),
            suggestion,
        }
    }

    /// Whether this hint names `key` as what was probably meant.
    pub(super) fn suggests(&self, key: Name) -> bool {
        self.suggestion.is_some_and(|(k, _)| k == key)
    }

    /// Reports the hint as a `tracing` warning.
    pub(super) fn warn(&self) {
        match self.suggestion {
            Some((_, name)) => tracing::warn!(
                setting = %self.written,
                suggestion = name,
                "okta-auth does not read {} (it {}): did you mean {name}?",
                self.written,
                self.place,
            ),
            None => tracing::warn!(
                setting = %self.written,
                "okta-auth does not read {} (it {}); see OktaConfig for the settings it reads",
                self.written,
                self.place,
            ),
        }
    }
}

/// `did you mean OKTA_CLIENT_ORGURL? OKTA_CLIENT_ORG_URL is set`
impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((_, name)) = self.suggestion {
            write!(f, "did you mean {name}? ")?;
        }
        write!(f, "{} {}", self.written, self.place)
    }
}

/// ` (did you mean …? … is set; …)` for the hints that point at one of
/// `keys`, or nothing.
pub(super) fn suffix(hints: &[Hint], keys: &[Name]) -> String {
    let matching: Vec<String> = hints
        .iter()
        .filter(|h| keys.iter().any(|k| h.suggests(*k)))
        .map(Hint::to_string)
        .collect();
    if matching.is_empty() {
        String::new()
    } else {
        format!(" ({})", matching.join("; "))
    }
}

/// The hints for the keys under `okta` in an `okta.yaml` that okta-auth
/// does not read. `text` has already parsed as an `okta.yaml`.
pub(super) fn yaml_hints(text: &str, path: &Path) -> Vec<Hint> {
    let Ok(Shape::Map(top)) = serde_yaml_ng::from_str::<Shape>(text) else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    for (key, shape) in top {
        if key == "okta" {
            walk("okta", shape, &mut unknown);
        }
    }
    unknown
        .into_iter()
        .map(|key| Hint::yaml(key, path))
        .collect()
}

/// Collects the unknown keys below `prefix`.
fn walk(prefix: &str, shape: Shape, unknown: &mut Vec<String>) {
    let Shape::Map(entries) = shape else {
        return;
    };
    for (key, shape) in entries {
        let path = format!("{prefix}.{key}");
        if names::other_sdk_yaml(&path) {
            continue;
        }
        if names::known_yaml(&path) {
            walk(&path, shape, unknown);
        } else {
            unknown.push(path);
        }
    }
}

/// The shape of a YAML document: the keys of its maps, nothing of its
/// values (which can be secrets: they are skipped, never copied).
enum Shape {
    Map(Vec<(String, Shape)>),
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

macro_rules! skip {
    ($($name:ident($ty:ty)),* $(,)?) => {$(
        fn $name<E: de::Error>(self, v: $ty) -> Result<Shape, E> {
            IgnoredAny.$name(v).map(|_| Shape::Other)
        }
    )*};
}

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any yaml value")
    }

    skip!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_i128(i128),
        visit_u128(u128),
        visit_f64(f64),
        visit_str(&str),
        visit_bytes(&[u8]),
    );

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        Shape::deserialize(d)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        Shape::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| Shape::Other)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Shape, A::Error> {
        IgnoredAny.visit_enum(data).map(|_| Shape::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<KeyName>()? {
            let value = map.next_value::<Shape>()?;
            if let KeyName(Some(key)) = key {
                entries.push((key, value));
            }
        }
        Ok(Shape::Map(entries))
    }
}

/// A map key: its text if it is a string, else nothing.
struct KeyName(Option<String>);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

macro_rules! not_text {
    ($($name:ident($ty:ty)),* $(,)?) => {$(
        fn $name<E: de::Error>(self, v: $ty) -> Result<KeyName, E> {
            IgnoredAny.$name(v).map(|_| KeyName(None))
        }
    )*};
}

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = KeyName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }

    not_text!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_i128(i128),
        visit_u128(u128),
        visit_f64(f64),
        visit_bytes(&[u8]),
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
        Ok(KeyName(Some(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<KeyName, E> {
        Ok(KeyName(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<KeyName, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| KeyName(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyName, A::Error> {
        IgnoredAny.visit_map(map).map(|_| KeyName(None))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<KeyName, A::Error> {
        IgnoredAny.visit_enum(data).map(|_| KeyName(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_yaml_keys_are_found_without_reading_values() {
        let text = "other: 1\nokta:\n  clinet: {}\n  testing:\n    disableHttpsCheck: true\n  client:\n    orgURL: https://x.okta.com\n    token: 00secret\n    cache:\n      enabled: true\n    proxy:\n      hostname: proxy\n      port: 8080\n    rateLimit:\n      maxRetries: 4\n    1: numeric key\n    scopes: [a, b]\n";
        let hints = yaml_hints(text, Path::new("/etc/okta.yaml"));
        let shown: Vec<String> = hints.iter().map(Hint::to_string).collect();
        assert_eq!(
            shown,
            [
                "okta.clinet is in /etc/okta.yaml",
                "did you mean okta.client.orgUrl? okta.client.orgURL is in /etc/okta.yaml",
                "did you mean okta.client.proxy.host? okta.client.proxy.hostname is in /etc/okta.yaml",
            ]
        );
        assert!(hints[1].suggests(Name::OrgUrl));
        assert_eq!(
            suffix(&hints, &[Name::OrgUrl, Name::Token]),
            " (did you mean okta.client.orgUrl? okta.client.orgURL is in /etc/okta.yaml)"
        );
        assert_eq!(suffix(&hints, &[Name::Token]), "");
    }

    #[test]
    fn known_variables_get_no_hint() {
        assert!(Hint::env("OKTA_CLIENT_ORGURL").is_none());
        assert!(Hint::env("OKTA_CLIENT_RATELIMIT_MAXRETRIES").is_none());
        assert!(Hint::env("OKTA_CLIENT_CACHE_ENABLED").is_none());
        let hint = Hint::env("OKTA_CLIENT_ORG_URL").unwrap();
        assert_eq!(
            hint.to_string(),
            "did you mean OKTA_CLIENT_ORGURL? OKTA_CLIENT_ORG_URL is set"
        );
    }
}
