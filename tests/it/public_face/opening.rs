//! The README and the crate docs open with the same text: `docs/start.md`
//! ("Which one do I need?", the install lines, the quick start), which
//! `src/lib.rs` includes and the README carries verbatim. One quick start,
//! not two drifting apart.

const START: &str = include_str!("../../../docs/start.md");

#[test]
fn the_crate_docs_include_the_shared_opening() {
    let lib = include_str!("../../../src/lib.rs");
    assert!(
        lib.contains(r#"#![doc = include_str!("../docs/start.md")]"#),
        "src/lib.rs no longer includes docs/start.md"
    );
}

#[test]
fn the_readme_carries_the_shared_opening_verbatim() {
    let readme = include_str!("../../../README.md");
    assert!(
        readme.contains(START),
        "README.md differs from docs/start.md: copy docs/start.md into the README again"
    );
}

#[test]
fn every_link_of_the_shared_opening_is_defined_in_the_readme() {
    // rustdoc resolves `[`Name`]` as an intra-doc link; on GitHub it needs a
    // link definition, which only the README has (docs.rs URLs).
    let readme = include_str!("../../../README.md");
    let names: Vec<&str> = START
        .split("[`")
        .skip(1)
        .filter_map(|rest| rest.split_once("`]").map(|(name, _)| name))
        .collect();
    assert!(
        names.len() >= 10,
        "links of docs/start.md not found: {names:?}"
    );
    let undefined: Vec<&&str> = names
        .iter()
        .filter(|name| !readme.contains(&format!("[`{name}`]: https://docs.rs/okta-auth/")))
        .collect();
    assert!(
        undefined.is_empty(),
        "no README link definition for {undefined:?}"
    );
}
