//! A setting: its value and where it came from ([`Origin`], named in every
//! error about it), and how the layers (files, environment, code) overlay
//! one another.

use std::fmt;
use std::path::PathBuf;

use crate::error::Error;

/// Where a setting came from, named in every error about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A YAML file (`~/.okta/okta.yaml` or `./okta.yaml`) and its key.
    File {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `okta.client.orgUrl`.
        key: &'static str,
    },
    /// An environment variable.
    Env(&'static str),
    /// A setter called in code.
    Code(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, key } => write!(f, "{key} in {}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Code(setter) => write!(f, "OktaConfig::{setter}"),
        }
    }
}

#[derive(Clone)]
pub(super) struct Setting<T> {
    pub(super) value: T,
    pub(super) origin: Origin,
}

impl<T> Setting<T> {
    pub(super) fn error(&self, problem: impl fmt::Display) -> Error {
        Error::Config(format!("{} {problem}", self.origin))
    }
}

pub(super) fn overlay<T>(slot: &mut Option<Setting<T>>, value: Option<Setting<T>>) {
    if value.is_some() {
        *slot = value;
    }
}

pub(super) fn code<T>(value: T, setter: &'static str) -> Setting<T> {
    Setting {
        value,
        origin: Origin::Code(setter),
    }
}

/// The scopes setting from `origin`: text or the items of a YAML list,
/// each split on commas and whitespace (an Okta scope holds neither). No
/// scope at all (`""`, `","`, `[]`) is unset, like an empty value of any
/// other setting, so a lower layer's scopes stay.
pub(super) fn scopes<'a>(
    items: impl IntoIterator<Item = &'a str>,
    origin: Origin,
) -> Option<Setting<Vec<String>>> {
    let value: Vec<String> = items
        .into_iter()
        .flat_map(|item| item.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (!value.is_empty()).then_some(Setting { value, origin })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(items: &[&str]) -> Option<Vec<String>> {
        scopes(items.iter().copied(), Origin::Env("OKTA_CLIENT_SCOPES")).map(|s| s.value)
    }

    #[test]
    fn scopes_split_on_commas_and_spaces() {
        assert_eq!(
            split(&[" okta.users.read, okta.groups.read okta.apps.read,,"]).unwrap(),
            ["okta.users.read", "okta.groups.read", "okta.apps.read"]
        );
        assert_eq!(
            split(&["okta.users.read,okta.groups.read", " okta.apps.read "]).unwrap(),
            ["okta.users.read", "okta.groups.read", "okta.apps.read"]
        );
    }

    #[test]
    fn no_scope_at_all_is_unset() {
        for empty in [&[][..], &[""], &[","], &[" , "], &["", ","]] {
            assert_eq!(split(empty), None, "{empty:?}");
        }
    }
}
