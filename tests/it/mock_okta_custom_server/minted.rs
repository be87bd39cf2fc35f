//! `mint_access_token`: tokens with chosen claims for resource-server tests.

use super::*;

#[tokio::test(start_paused = true)]
async fn minted_times_follow_the_fake_orgs_clock() {
    let okta = org().await;
    let mint = || {
        let token = okta
            .mint_access_token("default", AccessTokenClaims::new())
            .unwrap();
        raw_claims(token.expose_secret())
    };
    let first = mint();
    tokio::time::advance(Duration::from_secs(100)).await;
    let later = mint();
    let secs = |claims: &Value, name: &str| claims[name].as_u64().unwrap();
    assert_eq!(secs(&later, "iat"), secs(&first, "iat") + 100);
    assert_eq!(secs(&later, "exp"), secs(&later, "iat") + 3600);
    assert_ne!(later["jti"], first["jti"], "a fresh jti each time");
}

#[tokio::test]
async fn minted_tokens_carry_the_chosen_claims() {
    let okta = org().await;
    let iss = okta.issuer("default").unwrap();
    let jwks = served_jwks(&okta, "default").await;
    let published_kid = kids(&jwks).remove(0);
    let mint = |claims: AccessTokenClaims| {
        okta.mint_access_token("default", claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    };

    // The defaults are what the token endpoint issues.
    let default = mint(AccessTokenClaims::new());
    let verified = verify(&default, &jwks, &iss, "api://default").unwrap();
    assert_okta_claims(
        &verified.claims,
        &iss,
        "api://default",
        MINTED_CLIENT_ID,
        &[MINTED_SCOPE],
    );
    assert_eq!(verified.header.kid.as_deref(), Some(published_kid.as_str()));
    let iat = verified.claims["iat"].as_u64().unwrap();

    let dpop = DpopKey::generate();
    let rows: Vec<(&str, AccessTokenClaims, Result<(), ErrorKind>, Value)> = vec![
        (
            "expired",
            AccessTokenClaims::new().expired(),
            Err(ErrorKind::ExpiredSignature),
            json!({"exp": iat - EXPIRED_AGO.as_secs(), "iat": iat - EXPIRED_AGO.as_secs() - 3600}),
        ),
        (
            "expired 30 s ago, within leeway",
            AccessTokenClaims::new().expires_at_offset(-30),
            Ok(()),
            json!({"exp": iat - 30}),
        ),
        (
            "issued in the future, with nbf",
            AccessTokenClaims::new()
                .issued_at_offset(600)
                .not_before_offset(600),
            Err(ErrorKind::ImmatureSignature),
            json!({"iat": iat + 600, "nbf": iat + 600}),
        ),
        (
            "foreign issuer",
            AccessTokenClaims::new().issuer("https://evil.example.com/oauth2/default"),
            Err(ErrorKind::InvalidIssuer),
            json!({"iss": "https://evil.example.com/oauth2/default"}),
        ),
        (
            "issuer with a trailing slash",
            AccessTokenClaims::new().issuer(format!("{iss}/")),
            Err(ErrorKind::InvalidIssuer),
            json!({"iss": format!("{iss}/")}),
        ),
        (
            "other audience",
            AccessTokenClaims::new().audience("api://other"),
            Err(ErrorKind::InvalidAudience),
            json!({"aud": "api://other"}),
        ),
        (
            "missing scope, a user's token",
            AccessTokenClaims::new()
                .scopes(["orders:list"])
                .user_id("00u1mockuser")
                .subject("user@example.com"),
            Ok(()),
            json!({"scp": ["orders:list"], "uid": "00u1mockuser", "sub": "user@example.com"}),
        ),
        (
            "no scopes at all",
            AccessTokenClaims::new().without("scp"),
            Ok(()),
            json!({"scp": null}),
        ),
        (
            "another client",
            AccessTokenClaims::new().client_id("0oaOther"),
            Ok(()),
            json!({"cid": "0oaOther", "sub": "0oaOther"}),
        ),
        (
            "DPoP-bound",
            AccessTokenClaims::new().jkt(dpop.thumbprint()),
            Ok(()),
            json!({"cnf": {"jkt": dpop.thumbprint()}}),
        ),
        (
            "extra and odd claims",
            AccessTokenClaims::new()
                .claim("groups", json!(["admins"]))
                .claim("exp", "tomorrow"),
            // jsonwebtoken counts an `exp` that is no number as missing.
            Err(ErrorKind::MissingRequiredClaim("exp".into())),
            json!({"groups": ["admins"], "exp": "tomorrow"}),
        ),
        (
            "no exp",
            AccessTokenClaims::new().without("exp"),
            Err(ErrorKind::MissingRequiredClaim("exp".into())),
            json!({"exp": null}),
        ),
    ];
    for (name, claims, verdict, expected) in rows {
        let token = mint(claims);
        let got = verify(&token, &jwks, &iss, "api://default").map(|_| ());
        assert_eq!(got, verdict, "{name}");
        let claims = raw_claims(&token);
        for (member, value) in expected.as_object().unwrap() {
            let got = claims.get(member).unwrap_or(&Value::Null);
            match (got.as_i64(), value.as_i64()) {
                // The clock may tick between two mints.
                (Some(got), Some(want)) => assert!(got.abs_diff(want) <= 2, "{name}: {member}"),
                _ => assert_eq!(got, value, "{name}: {member}"),
            }
        }
        assert_eq!(raw_header(&token)["alg"], "RS256", "{name}");
    }
}

#[tokio::test]
async fn minted_tokens_can_be_signed_by_keys_the_jwks_does_not_publish() {
    let okta = org().await;
    let iss = okta.issuer("default").unwrap();
    let jwks = served_jwks(&okta, "default").await;
    let published_kid = kids(&jwks).remove(0);
    let unpublished = okta.unpublished_jwk().unwrap();
    assert!(jwks.find(unpublished.kid().unwrap()).is_none());

    // Unknown kid: the verifier finds no key.
    let token = okta
        .mint_access_token("default", AccessTokenClaims::new().unpublished_key())
        .unwrap();
    let header = raw_header(token.expose_secret());
    assert_eq!(header["kid"], unpublished.kid().unwrap());
    assert_eq!(
        verify(token.expose_secret(), &jwks, &iss, "api://default").unwrap_err(),
        ErrorKind::InvalidKeyFormat
    );
    // The same key verifies it: it is a real signature by another key.
    let other =
        DecodingKey::from_jwk(&serde_json::from_value(json!(unpublished)).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["api://default"]);
    jsonwebtoken::decode::<Value>(token.expose_secret(), &other, &validation).unwrap();

    // A published kid on a foreign signature: the signature fails.
    let forged = okta
        .mint_access_token(
            "default",
            AccessTokenClaims::new()
                .unpublished_key()
                .header("kid", published_kid.as_str()),
        )
        .unwrap();
    assert_eq!(
        verify(forged.expose_secret(), &jwks, &iss, "api://default").unwrap_err(),
        ErrorKind::InvalidSignature
    );

    // Header members a hostile token might carry.
    let odd = okta
        .mint_access_token(
            "default",
            AccessTokenClaims::new()
                .header("typ", "dpop+jwt")
                .header("jwk", json!(unpublished))
                .header("crit", json!(["exp"]))
                .without_header("kid"),
        )
        .unwrap();
    let header = raw_header(odd.expose_secret());
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["crit"], json!(["exp"]));
    assert_eq!(header["jwk"]["kid"], unpublished.kid().unwrap());
    assert!(header.get("kid").is_none());
    assert!(
        !format!("{odd:?}").contains(odd.expose_secret()),
        "redacted"
    );
    assert!(matches!(
        okta.mint_access_token("nope", AccessTokenClaims::new()),
        Err(Error::Config(_))
    ));
}
