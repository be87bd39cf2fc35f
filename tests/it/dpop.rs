use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use okta_auth::http::Method;
use okta_auth::url::Url;
use okta_auth::{AccessToken, DpopKey, Error, Jwk, TokenType, jwk_thumbprint};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Verifies a proof the way a server does, with nothing but the proof:
/// header checks, the signature by the embedded public jwk. Returns the
/// header jwk (as JSON) and the claims.
fn verify_proof(proof: &str) -> (Value, Value) {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    assert_eq!(header.alg, Algorithm::ES256);
    let jwk = header.jwk.expect("a dpop proof carries its jwk");
    let jwk_json = serde_json::to_value(&jwk).unwrap();
    assert!(
        jwk_json.get("d").is_none(),
        "private member in the proof jwk"
    );
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Value>(proof, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
            .expect("the proof verifies with its own jwk")
            .claims;
    (jwk_json, claims)
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn proof_carries_the_rfc_9449_claims_and_verifies_with_its_jwk() {
    let key = DpopKey::generate();
    let target = url("https://example.okta.com/oauth2/v1/token");
    let proof = key
        .proof(&Method::POST, &target, Some("server-nonce"), None)
        .unwrap();
    let (jwk, claims) = verify_proof(&proof);

    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], "https://example.okta.com/oauth2/v1/token");
    assert_eq!(claims["nonce"], "server-nonce");
    assert!(
        claims.get("ath").is_none(),
        "no ath without an access token"
    );
    let iat = claims["iat"].as_u64().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    assert!(
        iat <= now + 1 && iat + 60 >= now,
        "iat {iat} is not now ({now})"
    );
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
}

#[test]
fn ath_matches_the_rfc_9449_example() {
    // RFC 9449 section 7.1: this access token has this `ath`.
    let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let key = DpopKey::generate();
    let proof = key
        .proof(
            &Method::GET,
            &url("https://resource.example.org/protectedresource"),
            None,
            Some(token),
        )
        .unwrap();
    let (_, claims) = verify_proof(&proof);
    assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert!(claims.get("nonce").is_none());
}

/// A path as its segments, each percent-decoded on its own (so `%2F` stays
/// apart from `/`): two paths name the same resource when these are equal.
fn resource(path: &str) -> Vec<Vec<u8>> {
    path.split('/')
        .map(|s| percent_encoding::percent_decode_str(s).collect())
        .collect()
}

#[test]
fn htu_is_a_uri_naming_the_request_path_with_only_pchar_escapes_decoded() {
    let key = DpopKey::generate();
    let groups = "https://example.okta.com/api/v1/groups/";
    // (request URL, or the path after `groups`; the htu, or its tail)
    let cases: &[(&str, &str)] = &[
        ("a%40b", "a@b"), // Okta compares htu with the decoded path
        ("a%20b", "a%20b"),
        ("a%23b", "a%23b"),
        ("a%3Fb", "a%3Fb"),
        ("a%25b", "a%25b"),
        ("a%2Fb", "a%2Fb"),
        ("a%2fb", "a%2Fb"),
        ("caf%C3%A9", "caf%C3%A9"),
        ("café", "caf%C3%A9"),
        ("a%FFb", "a%FFb"),
        ("a%7Eb", "a~b"),
        ("a%21b", "a!b"),
        ("a%3Ab", "a:b"),
        ("%24%26%27%28%29%2A%2B%2C%3B%3D", "$&'()*+,;="),
        ("%41%2D%2E%5F", "A-._"),
        ("a%22b%3Cc%3Ed", "a%22b%3Cc%3Ed"),
        ("a%5Cb%5Ec%60d", "a%5Cb%5Ec%60d"),
        ("a%7Bb%7Cc%7Dd", "a%7Bb%7Cc%7Dd"),
        ("a|b", "a%7Cb"),
        ("a%00b%0Ac%7F", "a%00b%0Ac%7F"),
        ("a%zz", "a%25zz"),
        ("a@b:c", "a@b:c"),
        ("a%40b?q=%23#frag", "a@b"),
        (
            "https://example.okta.com:8443/api/v1/users",
            "https://example.okta.com:8443/api/v1/users",
        ),
        (
            "https://EXAMPLE.okta.com:443/api/v1/users/",
            "https://example.okta.com/api/v1/users/",
        ),
        (
            "http://127.0.0.1:9999/oauth2/v1/token",
            "http://127.0.0.1:9999/oauth2/v1/token",
        ),
    ];
    for &(input, expected) in cases {
        let (input, expected) = if input.contains("://") {
            (input.to_owned(), expected.to_owned())
        } else {
            (format!("{groups}{input}"), format!("{groups}{expected}"))
        };
        let request = url(&input);
        let proof = key.proof(&Method::GET, &request, None, None).unwrap();
        let claims = verify_proof(&proof).1;
        let htu = claims["htu"].as_str().unwrap();
        assert_eq!(htu, expected, "{input}");

        let parsed = Url::parse(htu).unwrap_or_else(|e| panic!("{htu}: {e}"));
        assert_eq!(parsed.as_str(), htu, "{input}: re-serialized");
        assert_eq!(parsed.query(), None, "{input}");
        assert_eq!(parsed.fragment(), None, "{input}");
        assert_eq!(parsed.origin(), request.origin(), "{input}");
        assert_eq!(
            resource(parsed.path()),
            resource(request.path()),
            "{input}: another resource"
        );
    }
}

#[test]
fn jti_is_unique_over_ten_thousand_proofs() {
    let key = DpopKey::generate();
    let target = url("https://example.okta.com/api/v1/users");
    let mut seen = HashSet::with_capacity(10_000);
    for _ in 0..10_000 {
        let proof = key.proof(&Method::GET, &target, None, Some("t")).unwrap();
        let claims = proof.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert!(seen.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn thumbprint_matches_the_rfc_7638_example() {
    // RFC 7638 section 3.1.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }))
    .unwrap();
    assert_eq!(
        jwk_thumbprint(&jwk),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn dpop_key_thumbprint_is_the_canonical_json_digest() {
    let key = DpopKey::generate();
    let jwk = serde_json::to_value(key.public_jwk()).unwrap();
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(key.thumbprint(), expected);
    // The proof's embedded key is this key.
    let proof = key
        .proof(&Method::GET, &url("https://example.okta.com/"), None, None)
        .unwrap();
    let embedded: Jwk = serde_json::from_value(verify_proof(&proof).0).unwrap();
    assert_eq!(jwk_thumbprint(&embedded), key.thumbprint());
}

#[test]
fn a_dpop_token_authorizes_with_a_fresh_bound_proof() {
    let key = DpopKey::generate();
    let secret = "dpop-access-token-SECRET-123";
    let token = AccessToken::dpop(secret, key.clone()).unwrap();
    assert_eq!(token.token_type(), TokenType::Dpop);
    let target = url("https://example.okta.com/api/v1/users?limit=1");
    key.remember_nonce(&target, "remembered-nonce").unwrap();

    let first = token.authorize(&Method::GET, &target).unwrap();
    let second = token.authorize(&Method::GET, &target).unwrap();
    assert_eq!(first["authorization"], format!("DPoP {secret}").as_str());
    assert!(first["authorization"].is_sensitive() && first["dpop"].is_sensitive());
    assert_ne!(
        first["dpop"], second["dpop"],
        "every request gets its own proof"
    );

    let (jwk, claims) = verify_proof(first["dpop"].to_str().unwrap());
    let jwk: Jwk = serde_json::from_value(jwk).unwrap();
    assert_eq!(jwk_thumbprint(&jwk), key.thumbprint());
    assert_eq!(claims["htm"], "GET");
    assert_eq!(claims["htu"], "https://example.okta.com/api/v1/users");
    assert_eq!(claims["nonce"], "remembered-nonce");
    assert_eq!(
        claims["ath"],
        URL_SAFE_NO_PAD
            .encode(Sha256::digest(secret.as_bytes()))
            .as_str()
    );

    let debug = format!("{token:?}");
    assert!(!debug.contains(secret), "{debug}");
}

#[test]
fn dpop_keys_load_from_pem_and_refuse_anything_else() {
    let pkcs8 = include_str!("../fixtures/keys/ec-p256-pkcs8.pem");
    let sec1 = include_str!("../fixtures/keys/ec-p256-sec1.pem");
    let a = DpopKey::from_pem(pkcs8).unwrap();
    let b = DpopKey::from_pem(sec1).unwrap();
    assert_eq!(
        a.thumbprint(),
        b.thumbprint(),
        "the same key in two encodings"
    );
    // Pasted into an environment variable, with literal \n.
    let escaped = pkcs8.trim().replace('\n', "\\n");
    assert_eq!(
        DpopKey::from_pem(&escaped).unwrap().thumbprint(),
        a.thumbprint()
    );

    // Windows line endings.
    let crlf = pkcs8.replace('\n', "\r\n");
    assert_eq!(
        DpopKey::from_pem(&crlf).unwrap().thumbprint(),
        a.thumbprint()
    );
    let public = DpopKey::from_pem(include_str!("../fixtures/keys/ec-p256-public.pem"));
    assert!(public.unwrap_err().to_string().contains("public key"));
    let encrypted = DpopKey::from_pem(include_str!("../fixtures/keys/rsa2048-encrypted.pem"));
    assert!(encrypted.unwrap_err().to_string().contains("encrypted"));
    let rsa = DpopKey::from_pem(include_str!("../fixtures/keys/rsa2048-pkcs8.pem"));
    assert!(rsa.unwrap_err().to_string().contains("P-256"));

    for bad in [
        "",
        "garbage",
        include_str!("../fixtures/keys/rsa2048-encrypted.pem"),
        include_str!("../fixtures/keys/ec-p256-public.pem"),
        include_str!("../fixtures/keys/ec-p384-pkcs8.pem"),
        include_str!("../fixtures/keys/rsa2048-pkcs8.pem"),
        include_str!("../fixtures/keys/ec-secp256k1-pkcs8.pem"),
    ] {
        let err = DpopKey::from_pem(bad).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{err:?}");
        assert!(!err.to_string().contains("PRIVATE KEY-----\n"));
    }
}
