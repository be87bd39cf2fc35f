use okta_auth::{Error, OrgUrl, OrgUrlProblem};

#[test]
fn accepts_and_rejects_a_table_of_inputs() {
    use OrgUrlProblem::*;
    // (input, Ok(issuer) or Err(problem))
    let table: &[(&str, Result<&str, OrgUrlProblem>)] = &[
        ("https://example.okta.com", Ok("https://example.okta.com")),
        ("https://example.okta.com/", Ok("https://example.okta.com")),
        (
            "  https://example.okta.com/\n",
            Ok("https://example.okta.com"),
        ),
        ("https://EXAMPLE.Okta.COM", Ok("https://example.okta.com")),
        (
            "https://example.oktapreview.com:8443",
            Ok("https://example.oktapreview.com:8443"),
        ),
        ("http://localhost:8080", Ok("http://localhost:8080")),
        ("http://127.0.0.1:3000/", Ok("http://127.0.0.1:3000")),
        ("http://[::1]:3000", Ok("http://[::1]:3000")),
        ("http://example.com", Err(InsecureScheme)),
        ("http://10.0.0.1", Err(InsecureScheme)),
        ("ftp://example.okta.com", Err(UnsupportedScheme)),
        ("https://example.okta.com/oauth2/default", Err(Path)),
        ("https://example.okta.com//", Err(Path)),
        ("https://example.okta.com?x=1", Err(Query)),
        ("https://example.okta.com/#frag", Err(Fragment)),
        ("https://user:pass@example.okta.com", Err(UserInfo)),
        ("https://user@example.okta.com", Err(UserInfo)),
        ("", Err(Empty)),
        ("   ", Err(Empty)),
        ("example.okta.com", Err(Unparseable)),
        ("not a url at all", Err(ControlOrWhitespace)),
        ("not-a-url-at-all", Err(Unparseable)),
        ("https://", Err(Unparseable)),
        ("mailto:admin@example.com", Err(MissingHost)),
    ];
    for (input, want) in table {
        match (OrgUrl::parse(input), want) {
            (Ok(org), Ok(issuer)) => assert_eq!(org.issuer(), *issuer, "{input:?}"),
            (Err(Error::InvalidOrgUrl(got)), Err(problem)) => {
                assert_eq!(got, *problem, "{input:?}")
            }
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn control_characters_and_inner_whitespace_are_refused_not_dropped() {
    // The url crate drops tabs and line breaks anywhere: without the check
    // most of these parse, some as another host.
    let controls = [
        "\n", "\r", "\t", "\r\n", "\0", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\u{85}", " ",
        "\u{a0}", "\u{2028}",
    ];
    let positions: [fn(&str) -> String; 7] = [
        |c| format!("ht{c}tps://example.okta.com"),
        |c| format!("https:{c}//example.okta.com"),
        |c| format!("https://exa{c}mple.okta.com"),
        |c| format!("https://example.okta.com{c}.evil.com"),
        |c| format!("https://example.okta.com:44{c}3"),
        |c| format!("https://example.okta.com{c}/"),
        |c| format!("https://example.okta.com{c}@evil.com"),
    ];
    for c in controls {
        for position in positions {
            let input = position(c);
            match OrgUrl::parse(&input) {
                Err(Error::InvalidOrgUrl(OrgUrlProblem::ControlOrWhitespace)) => {}
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }
    // The example from the issue: not example.okta.com.evil.com.
    let err = OrgUrl::parse("https://example.okta.com\n.evil.com").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid org url: it contains whitespace or a control character"
    );
    // Around the URL it is only trimmed.
    for input in [
        "\t https://example.okta.com\r\n",
        "\u{a0}https://example.okta.com/\n",
    ] {
        assert_eq!(
            OrgUrl::parse(input).unwrap().issuer(),
            "https://example.okta.com"
        );
    }
}

#[test]
fn errors_never_echo_the_url() {
    let err = OrgUrl::parse("https://admin:hunter2secret@example.okta.com").unwrap_err();
    assert!(!err.to_string().contains("hunter2secret"));
    assert!(!format!("{err:?}").contains("hunter2secret"));
}

#[test]
fn endpoints_never_double_the_slash() {
    for input in ["https://example.okta.com", "https://example.okta.com/"] {
        let org = OrgUrl::parse(input).unwrap();
        assert_eq!(
            org.token_endpoint().as_str(),
            "https://example.okta.com/oauth2/v1/token"
        );
        assert_eq!(
            org.custom_token_endpoint("default").unwrap().as_str(),
            "https://example.okta.com/oauth2/default/v1/token"
        );
        assert_eq!(
            org.endpoint("/api/v1/users").as_str(),
            "https://example.okta.com/api/v1/users"
        );
    }
}

#[test]
fn custom_server_ids_are_checked() {
    let org = OrgUrl::parse("https://example.okta.com").unwrap();
    for bad in ["", "../v1", "a/b", "aus 1", "aus?x", "aus%2F"] {
        assert!(
            matches!(org.custom_token_endpoint(bad), Err(Error::Config(_))),
            "{bad:?}"
        );
    }
    assert!(org.custom_token_endpoint("aus1a2b3c4D5e6F7g8").is_ok());
}

#[test]
fn same_origin_means_scheme_host_and_port() {
    let org = OrgUrl::parse("https://example.okta.com").unwrap();
    let yes = |u: &str| org.is_same_origin(&okta_auth::url::Url::parse(u).unwrap());
    assert!(yes("https://example.okta.com/api/v1/users"));
    assert!(yes("https://example.okta.com:443/api/v1/users"));
    assert!(!yes("http://example.okta.com/api/v1/users"));
    assert!(!yes("https://example.okta.com:8443/api/v1/users"));
    assert!(!yes("https://evil.example.com/api/v1/users"));
    assert!(!yes("https://example.okta.com.evil.com/"));
}

#[test]
fn overlong_urls_are_refused_before_they_are_parsed() {
    // A long punycode label costs the url crate quadratic time; no org URL
    // is this long.
    let label = format!("xn--{}", "a".repeat(1500));
    let err = OrgUrl::parse(&format!("https://{label}.okta.com")).unwrap_err();
    assert!(matches!(err, Error::InvalidOrgUrl(OrgUrlProblem::TooLong)));
    assert!(!err.to_string().contains("xn--"));
    // The bound holds for the serialized form too (with its trailing `/`).
    let longest = format!("https://{}.com", "a".repeat(OrgUrl::MAX_LEN - 13));
    let org = OrgUrl::parse(&longest).unwrap();
    assert_eq!(org.as_url().as_str().len(), OrgUrl::MAX_LEN);
    let one_more = format!("https://{}.com", "a".repeat(OrgUrl::MAX_LEN - 12));
    assert!(matches!(
        OrgUrl::parse(&one_more),
        Err(Error::InvalidOrgUrl(OrgUrlProblem::TooLong))
    ));
    // Punycode lengthens a host: a short input can serialize too long.
    let umlauts = format!("https://{}com", "aaaaaaaaaaü.".repeat(35));
    assert!(umlauts.len() < OrgUrl::MAX_LEN);
    assert!(matches!(
        OrgUrl::parse(&umlauts),
        Err(Error::InvalidOrgUrl(OrgUrlProblem::TooLong))
    ));
}
