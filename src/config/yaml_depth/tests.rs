//! Unit tests of the depth scan, in a file of their own: with the
//! property test they are as long as the scan.

use super::*;

fn depth(text: &str) -> usize {
    (0..=64)
        .find(|&max| nesting_depth_exceeds(text, max).is_none())
        .unwrap_or(usize::MAX)
}

#[test]
fn counts_block_and_flow_collections() {
    let table: &[(&str, usize)] = &[
        ("", 0),
        ("# just a comment [[[[\n", 0),
        ("a: b\n", 1),
        ("okta:\n  client:\n    orgUrl: x\n", 3),
        ("okta:\n  client:\n    scopes: [a, b]\n", 4),
        ("okta:\n  client:\n    scopes:\n      - a\n      - b\n", 4),
        ("okta:\n  client:\n    scopes:\n    - a\n    - b\n", 4),
        ("a:\n- b:\n  - c:\n    - d\n", 6),
        ("a:\n- b\nc: d\n", 2),
        ("a:\n  b: c\nd: e\n", 2),
        ("- - - x\n", 3),
        ("- a: b\n  c: d\n", 2),
        ("[[{a: [b]}]]\n", 4),
        ("[a: [b: c], d]\n", 4),
        ("[[? a], b]\n", 3),
        ("a: [\n  [\n    [x]\n  ]\n]\n", 4),
        ("? - a\n: - b\n", 2),
        ("--- [[x]]\n--- a: b\n", 2),
        ("a: &anchor !tag [x]\n", 2),
        ("\u{feff}a: [x]\r\nb: c\r\n", 2),
    ];
    for (text, want) in table {
        assert_eq!(depth(text), *want, "{text:?}");
    }
}

#[test]
fn brackets_in_text_do_not_count() {
    let table: &[(&str, usize)] = &[
        ("a: '[[[['\n", 1),
        ("a: \"[[\\\"[[\"\n", 1),
        ("a: 'it''s [[['\n", 1),
        ("a: \"multi [[[\n  line [[[\"\n", 1),
        ("a: b[[[c\n", 1),
        ("a: plain\n  continued [[[\n", 1),
        ("a: x # [[[[\n", 1),
        ("a: |\n  [[[[\n  {{{{\nb: c\n", 1),
        ("a: >-\n  - - - -\n\n  [[[\n", 1),
        ("- a: |2\n     [[[\n", 2),
        ("a: ['[[[', \"{{{\", x]\n", 2),
        ("a: {k: 'v]', l: \"]\"}\n", 2),
    ];
    for (text, want) in table {
        assert_eq!(depth(text), *want, "{text:?}");
    }
}

#[test]
fn text_that_only_looks_quoted_or_literal_is_still_counted() {
    // Each of these would hide real nesting from a scan that took a
    // quote or a block scalar where the YAML scanner does not.
    let deep = "[".repeat(40);
    for text in [
        format!("a: plain\n  'x\nb: {deep}\n"),
        format!("a: |\n  'x\nb: {deep}\n"),
        format!("- a: |\n    'x\n  b: {deep}\n"),
        format!("a: [b 'c, {deep}]\n"),
        format!("a: [b:'c, {deep}]\n"),
        format!("a: x 'y\nb: {deep}\n"),
        format!("a: ['x', \"]\", {deep}]\n"),
        format!("a: [\"]\" [\"]\" [\"]\" {deep}\n"),
        format!("a: !t{deep}\n"),
    ] {
        assert!(nesting_depth_exceeds(&text, 32).is_some(), "{text:?}");
    }
}

#[test]
fn a_hundred_thousand_levels_are_refused_at_their_line() {
    let n = 100_000;
    let texts = [
        format!("okta:\n  client:\n    scopes: {}\n", "[".repeat(n)),
        format!("okta:\n  client:\n    scopes: {}\n", "{a: ".repeat(n)),
        format!("okta:\n  client:\n    scopes:\n      {}x\n", "- ".repeat(n)),
        format!("okta:\n  client:\n    scopes:\n      {}x\n", "? ".repeat(n)),
    ];
    for text in texts {
        let line = if text.contains("- ") || text.contains("? ") {
            4
        } else {
            3
        };
        assert_eq!(
            nesting_depth_exceeds(&text, 32),
            Some(line),
            "{}",
            &text[..40]
        );
    }
    let maps: String = (0..1_000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    assert_eq!(nesting_depth_exceeds(&maps, 32), Some(33));
    assert_eq!(nesting_depth_exceeds(&maps, 1_000), None);
}

/// The depth of what the YAML parser built.
fn value_depth(v: &serde_yaml_ng::Value) -> usize {
    use serde_yaml_ng::Value;
    match v {
        Value::Sequence(s) => 1 + s.iter().map(value_depth).max().unwrap_or(0),
        Value::Mapping(m) => {
            1 + m
                .iter()
                .map(|(k, v)| value_depth(k).max(value_depth(v)))
                .max()
                .unwrap_or(0)
        }
        Value::Tagged(t) => value_depth(&t.value),
        _ => 0,
    }
}

#[test]
fn never_counts_less_than_the_parser_nests() {
    // Random YAML-like text from the fragments that matter to the
    // scan; whenever it parses, the scan must count at least as deep.
    const FRAGMENTS: &[&str] = &[
        "a", "b: ", "- ", "? ", ": ", ":", "[", "]", "{", "}", ", ", ",", "'", "\"", "\n", "  ",
        " ", " #", "#", "|", ">", "|2", "&x ", "*x", "!t ", "x'y", "\\", "---\n", "\n  ", "\n    ",
        "\n- ", "\t", "-", "''", "|-", ">+", "\n...\n", "%", "\r\n", "\n  - ", "\n      ",
        "\"a\\\"", "?", "@",
    ];
    let iterations: usize = std::env::var("OKTA_AUTH_YAML_SCAN_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut seed = std::env::var("OKTA_AUTH_YAML_SCAN_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15_u64);
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut parsed = 0;
    for _ in 0..iterations {
        let len = 1 + next() % 40;
        let text: String = (0..len)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        let Ok(value) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text) else {
            continue;
        };
        parsed += 1;
        let real = value_depth(&value);
        assert!(
            depth(&text) >= real,
            "{text:?}: scan {} < parser {real}",
            depth(&text)
        );
    }
    assert!(parsed > iterations / 20, "only {parsed} parsed");
}
