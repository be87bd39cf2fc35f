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

/// Scopes as text: comma- or space-separated.
pub(super) fn split_scopes(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_on_commas_and_spaces() {
        assert_eq!(
            split_scopes(" okta.users.read, okta.groups.read okta.apps.read,,"),
            ["okta.users.read", "okta.groups.read", "okta.apps.read"]
        );
    }
}
