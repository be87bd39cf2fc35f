//! `WWW-Authenticate` parsing: Okta's DPoP and Bearer challenges, RFC 9110
//! syntax, and hostile input (typed errors, never a panic).

use okta_auth::challenge::MAX_WWW_AUTHENTICATE_LEN;
use okta_auth::http::header::WWW_AUTHENTICATE;
use okta_auth::http::{HeaderMap, HeaderValue, StatusCode};
use okta_auth::{AuthChallenge, Challenge, DPOP_NONCE, Error};

fn headers(www: &[&str], nonce: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in www {
        h.append(WWW_AUTHENTICATE, HeaderValue::from_str(v).unwrap());
    }
    if let Some(n) = nonce {
        h.insert(DPOP_NONCE, HeaderValue::from_str(n).unwrap());
    }
    h
}

#[test]
fn okta_dpop_error_with_escaped_description() {
    let c = Challenge::parse_all(
        r#"DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", error="invalid_dpop_proof", error_description="'htu' claim in the DPoP proof JWT is \"invalid\"\\.""#,
    )
    .unwrap();
    assert_eq!(c.len(), 1);
    assert!(c[0].is_scheme("DPOP"));
    assert_eq!(c[0].scheme(), "DPoP");
    assert_eq!(
        c[0].param("algs"),
        Some("RS256 RS384 RS512 ES256 ES384 ES512")
    );
    assert_eq!(c[0].error(), Some("invalid_dpop_proof"));
    assert_eq!(
        c[0].error_description(),
        Some(r#"'htu' claim in the DPoP proof JWT is "invalid"\."#)
    );
}

#[test]
fn several_challenges_in_one_header_and_across_headers() {
    let h = headers(
        &[
            r#"Bearer realm="okta", error="invalid_token", error_description="The access token is invalid""#,
            r#"DPoP algs="ES256",   error = use_dpop_nonce ,, Basic realm=x"#,
        ],
        None,
    );
    let c = Challenge::from_headers(&h).unwrap();
    let schemes: Vec<&str> = c.iter().map(Challenge::scheme).collect();
    assert_eq!(schemes, ["Bearer", "DPoP", "Basic"]);
    assert_eq!(c[0].param("realm"), Some("okta"));
    assert_eq!(
        c[1].error(),
        Some("use_dpop_nonce"),
        "BWS around '=' is allowed"
    );
    assert_eq!(c[2].param("realm"), Some("x"));
    let params: Vec<(&str, &str)> = c[1].params().collect();
    assert_eq!(params, [("algs", "ES256"), ("error", "use_dpop_nonce")]);
}

#[test]
fn use_dpop_nonce_is_recognised_with_the_nonce() {
    let h = headers(
        &[
            r#"Bearer realm="x", DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
        ],
        Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
    );
    match AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h) {
        Some(AuthChallenge::UseDpopNonce { nonce }) => {
            assert_eq!(nonce, "eyJ7S_zG.eyJH0-Z.HX4w-7v")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn use_dpop_nonce_without_a_usable_nonce_is_a_dpop_error() {
    for nonce in [None, Some("has space"), Some("quote\"d")] {
        let h = headers(&[r#"DPoP error="use_dpop_nonce""#], nonce);
        let c = AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).unwrap();
        assert!(
            matches!(c.error(), Some(Error::Dpop(_))),
            "{nonce:?}: {c:?}"
        );
    }
    // A Bearer challenge that says use_dpop_nonce is not a DPoP nonce request.
    let h = headers(&[r#"Bearer error="use_dpop_nonce""#], Some("n"));
    let c = AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).unwrap();
    assert_eq!(
        c.error().unwrap().oauth_error().unwrap().error(),
        "use_dpop_nonce"
    );
}

#[test]
fn other_errors_land_in_a_typed_error_with_the_status() {
    let h = headers(
        &[
            r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="DPoP proof JWT 'ath' claim is invalid.""#,
        ],
        None,
    );
    let c = AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).unwrap();
    let err = c.error().unwrap().clone();
    let Error::OAuth(oauth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(oauth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(oauth.error(), "invalid_dpop_proof");
    assert_eq!(
        oauth.description(),
        Some("DPoP proof JWT 'ath' claim is invalid.")
    );
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(!err.is_transient());

    let h = headers(
        &[
            r#"Bearer authorization_uri="https://x/oauth2/v1/authorize", realm="IdentityCloud", error="invalid_token", error_description="The token has expired.""#,
        ],
        None,
    );
    let c = AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).unwrap();
    let oauth = c.error().unwrap().oauth_error().unwrap();
    assert_eq!(oauth.error(), "invalid_token");
    assert_eq!(oauth.description(), Some("The token has expired."));
}

#[test]
fn no_header_or_no_error_is_none() {
    assert!(AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &HeaderMap::new()).is_none());
    let h = headers(&[r#"Bearer realm="okta""#], None);
    assert!(AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).is_none());
}

#[test]
fn malformed_headers_are_typed_errors() {
    let cases: &[&str] = &[
        r#"Bearer error="unterminated"#,
        r#"DPoP error="x", error_description="dangling \"#,
        r#"Bearer error="a" junk"#,
        "= = =",
        "\"",
        "Bearer,error=x",
        "Bearer ====",
        "DPoP error=x y",
    ];
    for bad in cases {
        let h = headers(&[bad], Some("n"));
        let c = AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h)
            .unwrap_or_else(|| panic!("{bad:?} gave nothing"));
        match c.error() {
            Some(Error::MalformedResponse { status, .. }) => {
                assert_eq!(*status, Some(StatusCode::UNAUTHORIZED), "{bad:?}")
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    // Empty and whitespace-only values hold no challenge.
    assert!(Challenge::parse_all("").unwrap().is_empty());
    assert!(Challenge::parse_all("   ").unwrap().is_empty());
}

#[test]
fn non_ascii_header_bytes_are_an_error() {
    let mut h = HeaderMap::new();
    h.insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_bytes(b"DPoP error=\"\xff\xfe\"").unwrap(),
    );
    assert!(matches!(
        Challenge::from_headers(&h),
        Err(Error::MalformedResponse { .. })
    ));
}

#[test]
fn huge_headers_are_refused_without_parsing() {
    let big = format!(
        r#"DPoP error="use_dpop_nonce", error_description="{}""#,
        "a".repeat(64 * 1024)
    );
    assert!(matches!(
        Challenge::parse_all(&big),
        Err(Error::MalformedResponse { .. })
    ));
    let h = headers(&[&big], Some("n"));
    assert!(matches!(
        AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &h).and_then(|c| c.error().cloned()),
        Some(Error::MalformedResponse { .. })
    ));
    // The bound is for all header lines together.
    let half = format!(
        r#"Bearer realm="{}""#,
        "b".repeat(MAX_WWW_AUTHENTICATE_LEN / 2)
    );
    let h = headers(&[&half, &half], None);
    assert!(Challenge::from_headers(&h).is_err());
    assert_eq!(
        Challenge::from_headers(&headers(&[&half], None))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn many_challenges_or_params_are_refused() {
    let many = vec!["Bearer"; 100].join(", ");
    assert!(Challenge::parse_all(&many).is_err());
    let params: Vec<String> = (0..100).map(|i| format!("p{i}=v")).collect();
    assert!(Challenge::parse_all(&format!("Bearer {}", params.join(","))).is_err());
}
