//! Signing keys: rotation, retirement, keys of the test's choosing.

use super::*;

#[tokio::test]
async fn rotation_publishes_both_keys_and_signs_with_the_new_one() {
    let okta = org().await;
    let iss = okta.issuer("default").unwrap();
    let before = secret_client_token(&okta, "default").await;
    let old_kid = kids(&served_jwks(&okta, "default").await).remove(0);

    let new = okta.rotate_signing_key("default").unwrap();
    let new_kid = new.kid().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(new_kid, new.thumbprint(), "kids are RFC 7638 thumbprints");
    let jwks = served_jwks(&okta, "default").await;
    assert_eq!(kids(&jwks), [old_kid.clone(), new_kid.clone()]);

    let after = secret_client_token(&okta, "default").await;
    assert_eq!(raw_header(after.secret().expose_secret())["kid"], new_kid);
    for token in [&before, &after] {
        verify(token.secret().expose_secret(), &jwks, &iss, "api://default").unwrap();
    }

    // Okta drops the old key later: tokens it signed no longer verify.
    okta.retire_old_signing_keys("default").unwrap();
    let jwks = served_jwks(&okta, "default").await;
    assert_eq!(kids(&jwks), vec![new_kid.clone()]);
    verify(after.secret().expose_secret(), &jwks, &iss, "api://default").unwrap();
    let stale = verify(
        before.secret().expose_secret(),
        &jwks,
        &iss,
        "api://default",
    );
    assert_eq!(stale.unwrap_err(), ErrorKind::InvalidKeyFormat);
    assert_eq!(okta.jwks_requests("default"), 3);

    // A key of the test's choosing, with its own kid.
    let pem = include_str!("../../fixtures/keys/rsa2048-pkcs8.pem");
    let chosen = SigningKey::from_pem(pem).unwrap().with_kid("chosen-kid");
    let jwk = okta
        .rotate_signing_key_to("default", chosen.clone())
        .unwrap();
    assert_eq!(jwk.kid(), Some("chosen-kid"));
    let minted = okta
        .mint_access_token("default", AccessTokenClaims::new())
        .unwrap();
    assert_eq!(raw_header(minted.expose_secret())["kid"], "chosen-kid");
    let err = okta.rotate_signing_key_to("default", chosen).unwrap_err();
    assert!(
        matches!(err, Error::Key(_)),
        "kid already published: {err:?}"
    );
    let ec = okta.rotate_signing_key_to("default", SigningKey::generate_p256());
    assert!(matches!(ec, Err(Error::Key(_))), "RS256 only");
    assert!(matches!(
        okta.rotate_signing_key("nope"),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn a_server_can_be_registered_with_a_key_of_the_tests_choosing() {
    let okta = MockOkta::start().await;
    let pem = include_str!("../../fixtures/keys/rsa2048-pkcs8.pem");
    let key = SigningKey::from_pem(pem).unwrap();
    okta.register_custom_server(CustomServer::new("aus3").signing_key(key.clone()))
        .unwrap();
    let jwks = okta.jwks("aus3").unwrap();
    assert_eq!(jwks.keys().len(), 1);
    assert_eq!(jwks.keys()[0].kid(), Some(key.thumbprint().as_str()));
    let ec = CustomServer::new("aus4").signing_key(SigningKey::generate_p256());
    assert!(matches!(
        okta.register_custom_server(ec),
        Err(Error::Key(_))
    ));
    assert!(matches!(
        okta.register_custom_server("not-an-id"),
        Err(Error::Config(_))
    ));
    // Registering again keeps the key and applies the new audience.
    okta.register_custom_server(CustomServer::new("aus3").audience("api://other"))
        .unwrap();
    assert_eq!(okta.jwks("aus3").unwrap(), jwks);
    let minted = okta
        .mint_access_token("aus3", AccessTokenClaims::new())
        .unwrap();
    let iss = okta.issuer("aus3").unwrap();
    let served = served_jwks(&okta, "aus3").await;
    verify(minted.expose_secret(), &served, &iss, "api://other").unwrap();
}
