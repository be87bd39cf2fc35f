//! What users copy — README snippets, `examples/`, and the doc examples
//! under `src/` — names only crates a downstream crate has after the
//! README's install lines: `okta_auth` (with its re-exports), `tokio` and
//! `std`. rustdoc compiles doc examples with every dependency of this crate
//! in scope, so a bare `serde_json::` there compiles here and fails for the
//! user. `.ci/downstream` builds the examples and README snippets for real;
//! this covers the doc examples under `src/` too.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crate names (as paths spell them) of `Cargo.toml`'s dependencies
/// and dev-dependencies, but for those the install lines give a user.
fn unreachable_crates() -> Vec<String> {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    let mut crates = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]" || line == "[dev-dependencies]";
        } else if in_deps && let Some((name, _)) = line.split_once(" = ") {
            let name = name.trim().replace('-', "_");
            if !name.starts_with('#') && !["okta_auth", "tokio"].contains(&name.as_str()) {
                crates.push(name);
            }
        }
    }
    crates.sort();
    crates.dedup();
    crates
}

/// One piece of Rust a user would copy whole: a README snippet, an
/// example, a doc example.
struct Snippet {
    file: String,
    /// Line number in `file`, and the code (hidden `# ` lines included).
    lines: Vec<(usize, String)>,
}

impl Snippet {
    /// The names it imports from `okta_auth` (`use okta_auth::reqwest;`,
    /// `use okta_auth::{OktaAuth, reqwest_middleware};`), which it may then
    /// name bare.
    fn imports(&self) -> Vec<String> {
        let text: String = self
            .lines
            .iter()
            .map(|(_, code)| format!("{code}\n"))
            .collect();
        let mut names = Vec::new();
        for (at, _) in text.match_indices("use okta_auth::") {
            let rest = &text[at + "use okta_auth::".len()..];
            let Some(end) = rest.find(';') else { continue };
            let list = rest[..end].trim_start_matches('{').trim_end_matches('}');
            names.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|name| {
                        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                    })
                    .map(str::to_string),
            );
        }
        names
    }
}

/// Every piece of Rust a user would copy.
fn snippets() -> Vec<Snippet> {
    let mut snippets = Vec::new();
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    snippets.extend(fenced_rust(
        "README.md",
        readme.lines().map(|l| Some(l.to_string())),
    ));
    for file in rust_files(&Path::new(ROOT).join("examples")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim_start().starts_with("//"))
            .map(|(n, line)| (n + 1, line.to_string()))
            .collect();
        snippets.push(Snippet {
            file: relative(&file),
            lines,
        });
    }
    for file in rust_files(&Path::new(ROOT).join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let docs = text.lines().map(|line| {
            let line = line.trim_start();
            ["/// ", "//! ", "///", "//!"]
                .iter()
                .find_map(|marker| line.strip_prefix(marker))
                .map(str::to_string)
        });
        snippets.extend(fenced_rust(&relative(&file), docs));
    }
    snippets
}

/// The fenced blocks that hold Rust (`rust…`, `no_run`; in doc comments
/// also a bare fence). `None` is a line outside doc comments.
fn fenced_rust(file: &str, lines: impl Iterator<Item = Option<String>>) -> Vec<Snippet> {
    let mut out = Vec::new();
    // Some(_) inside a fence; Some(Some(_)) inside one that holds Rust.
    let mut open: Option<Option<Snippet>> = None;
    for (n, line) in lines.enumerate() {
        let Some(line) = line else {
            open = None;
            continue;
        };
        if let Some(info) = line.trim_start().strip_prefix("```") {
            open = match open.take() {
                Some(snippet) => {
                    out.extend(snippet);
                    None
                }
                None => {
                    let lang = info.split(',').next().unwrap_or("").trim();
                    let rust = matches!(lang, "" | "rust" | "no_run" | "should_panic")
                        && !(file == "README.md" && lang.is_empty());
                    Some(rust.then(|| Snippet {
                        file: file.to_string(),
                        lines: Vec::new(),
                    }))
                }
            };
        } else if let Some(Some(snippet)) = open.as_mut() {
            let code = line.trim_start();
            let code = code.strip_prefix("# ").unwrap_or(code);
            snippet.lines.push((n + 1, code.to_string()));
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(ROOT).unwrap().display().to_string()
}

/// Whether `code` names `krate` as a path root (`krate::…`, `use krate;`),
/// not as a segment of a longer path (`okta_auth::krate::…`).
fn names_crate(code: &str, krate: &str) -> bool {
    code.match_indices(krate).any(|(at, _)| {
        let before = &code[..at];
        let after = &code[at + krate.len()..];
        let starts_path = !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':');
        let is_root = after.starts_with("::")
            || (before.trim_end().ends_with("use") && after.starts_with(';'));
        starts_path && is_root
    })
}

#[test]
fn copied_code_names_only_crates_a_downstream_crate_has() {
    let crates = unreachable_crates();
    for expected in [
        "reqwest",
        "serde_json",
        "secrecy",
        "jsonwebtoken",
        "wiremock",
    ] {
        assert!(
            crates.iter().any(|c| c == expected),
            "{expected} not read from Cargo.toml: {crates:?}"
        );
    }
    let snippets = snippets();
    assert!(
        snippets.len() > 50,
        "only {} snippets found",
        snippets.len()
    );
    let mut offending = Vec::new();
    for snippet in &snippets {
        let imported = snippet.imports();
        for (n, code) in &snippet.lines {
            if let Some(krate) = crates
                .iter()
                .find(|c| !imported.contains(c) && names_crate(code, c))
            {
                offending.push(format!(
                    "{}:{n}: {}  (import it first: use okta_auth::{krate};)",
                    snippet.file,
                    code.trim()
                ));
            }
        }
    }
    assert!(
        offending.is_empty(),
        "copied code names crates a user does not have:\n{}",
        offending.join("\n")
    );
}

#[test]
fn a_bare_dependency_path_is_caught_and_a_re_exported_one_is_not() {
    assert!(names_crate("use serde_json::json;", "serde_json"));
    assert!(names_crate("let c = reqwest::Client::new();", "reqwest"));
    assert!(names_crate("#[async_trait::async_trait]", "async_trait"));
    assert!(names_crate("use secrecy;", "secrecy"));
    assert!(!names_crate(
        "use okta_auth::serde_json::json;",
        "serde_json"
    ));
    assert!(!names_crate(
        "let b = reqwest_middleware::ClientBuilder::new(h);",
        "reqwest"
    ));
    assert!(!names_crate("// see reqwest for details", "reqwest"));

    let snippet = Snippet {
        file: "x.rs".into(),
        lines: vec![
            (1, "use okta_auth::{".into()),
            (2, "    OktaAuth, reqwest_middleware,".into()),
            (3, "};".into()),
            (4, "use okta_auth::reqwest;".into()),
        ],
    };
    assert_eq!(
        snippet.imports(),
        ["OktaAuth", "reqwest_middleware", "reqwest"]
    );
}
