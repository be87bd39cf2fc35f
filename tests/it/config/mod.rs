//! `OktaConfig` through the public API: layers and precedence, errors that
//! name the setting and its origin, files read with caps, secrets never
//! shown. Shared helpers live here; each behaviour has a module of its own.

mod capture;
mod files;
mod hints;
mod key_path;
mod layers;
mod messages;
#[cfg(all(feature = "test-util", feature = "middleware"))]
mod proxy;
mod redaction;
mod settings;
#[cfg(all(feature = "test-util", feature = "middleware"))]
mod shared_client;

use std::path::PathBuf;

use okta_auth::Error;

pub(crate) const TOKEN: &str = "00ConfigSecretToken-QQQ";

/// A fresh directory under cargo's per-test tmp dir.
pub(crate) fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("config")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) fn write(path: PathBuf, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn yaml(org: &str, extra: &str) -> String {
    format!("okta:\n  client:\n    orgUrl: \"{org}\"\n{extra}")
}

pub(crate) fn config_err(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a config error, got {other:?}"),
    }
}
