//! `SigningKey::to_pkcs8_pem` and `to_private_jwk`: what a new key is
//! stored as, read back by `SigningKey::parse` (same public key, kid and
//! algorithm, signatures that verify), equal to what OpenSSL made of the
//! fixtures, and never in a `Debug`.

use okta_auth::secrecy::ExposeSecret;
use okta_auth::{Algorithm, SigningKey};
use serde_json::Value;
use url::Url;

use crate::signing_key::{decoding_key, fixture, verify};

const MEMBERS: [&str; 11] = ["kty", "crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq"];

fn aud() -> Url {
    Url::parse("https://example.okta.com/oauth2/v1/token").unwrap()
}

/// `restored` is `original`: the same public key (thumbprint), and what it
/// signs verifies with the original's public key.
fn same_key(original: &SigningKey, restored: &SigningKey, what: &str) {
    assert_eq!(restored.thumbprint(), original.thumbprint(), "{what}");
    assert_eq!(restored.algorithm(), original.algorithm(), "{what}");
    let assertion = restored
        .client_assertion("0oa1", &aud(), std::time::Duration::from_secs(60))
        .unwrap();
    verify(
        &assertion,
        original.algorithm(),
        &decoding_key(&original.public_jwk()),
        aud().as_str(),
    );
}

fn keys() -> Vec<(&'static str, SigningKey)> {
    let parse = |name: &str| SigningKey::parse(&fixture(name)).unwrap();
    vec![
        ("rsa fixture", parse("rsa2048-pkcs8.pem").with_kid("rsa-1")),
        (
            "rsa rs512",
            parse("rsa2048-pkcs1.pem")
                .with_algorithm(Algorithm::RS512)
                .unwrap(),
        ),
        ("p-256 fixture", parse("ec-p256-sec1.pem").with_kid("ec-1")),
        ("p-384 fixture", parse("ec-p384-pkcs8.pem")),
        (
            "p-256 generated",
            SigningKey::generate_p256().with_kid("new"),
        ),
    ]
}

#[test]
fn pkcs8_pem_round_trips_through_parse() {
    for (what, key) in keys() {
        let pem = key.to_pkcs8_pem().unwrap();
        let pem = pem.expose_secret();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{what}");
        assert!(
            pem.trim_end().ends_with("-----END PRIVATE KEY-----"),
            "{what}"
        );
        let restored = SigningKey::parse(pem).unwrap();
        // PEM has no kid; the algorithm is the key type's default.
        assert_eq!(restored.kid(), None, "{what}");
        let restored = match key.kid() {
            Some(kid) => restored.with_kid(kid),
            None => restored,
        }
        .with_algorithm(key.algorithm())
        .unwrap();
        same_key(&key, &restored, what);
        assert_eq!(restored.public_jwk(), key.public_jwk(), "{what}");
    }
}

#[test]
fn the_pem_of_a_pkcs8_fixture_is_the_fixture() {
    for name in ["rsa2048-pkcs8.pem", "ec-p384-pkcs8.pem"] {
        let text = fixture(name);
        let pem = SigningKey::parse(&text).unwrap().to_pkcs8_pem().unwrap();
        assert_eq!(pem.expose_secret().trim(), text.trim(), "{name}");
    }
}

#[test]
fn private_jwk_round_trips_through_parse_with_kid_and_alg() {
    for (what, key) in keys() {
        let jwk = key.to_private_jwk().unwrap();
        let json: Value = serde_json::from_str(jwk.expose_secret()).unwrap();
        assert!(json["d"].is_string(), "{what}");
        assert_eq!(json["alg"], key.algorithm().as_str(), "{what}");
        assert_eq!(json["use"], "sig", "{what}");
        assert_eq!(json["kid"].as_str(), key.kid(), "{what}");
        let restored = SigningKey::parse(jwk.expose_secret()).unwrap();
        assert_eq!(restored.kid(), key.kid(), "{what}");
        same_key(&key, &restored, what);
        assert_eq!(restored.public_jwk(), key.public_jwk(), "{what}");
    }
}

#[test]
fn the_private_jwk_of_a_fixture_has_the_fixtures_members() {
    for (pem, jwk) in [
        ("rsa2048-pkcs8.pem", "rsa2048-private.jwk.json"),
        ("ec-p256-pkcs8.pem", "ec-p256-private.jwk.json"),
        ("ec-p384-pkcs8.pem", "ec-p384-private.jwk.json"),
    ] {
        let want: Value = serde_json::from_str(&fixture(jwk)).unwrap();
        let exported = SigningKey::parse(&fixture(pem))
            .unwrap()
            .to_private_jwk()
            .unwrap();
        let got: Value = serde_json::from_str(exported.expose_secret()).unwrap();
        for member in MEMBERS.iter().chain(&["qi"]) {
            assert_eq!(got.get(member), want.get(member), "{pem}: {member}");
        }
    }
}

#[test]
fn debug_shows_no_key_material() {
    let key = SigningKey::parse(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .with_kid("rsa-1");
    let pem = key.to_pkcs8_pem().unwrap();
    let jwk = key.to_private_jwk().unwrap();
    let json: Value = serde_json::from_str(jwk.expose_secret()).unwrap();
    let secrets: Vec<String> = ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .map(|m| json[m].as_str().unwrap()[..24].to_owned())
        .chain(
            pem.expose_secret()
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_owned),
        )
        .collect();
    for shown in [format!("{key:?}"), format!("{jwk:?}"), format!("{pem:?}")] {
        for secret in &secrets {
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
    }
    assert!(format!("{key:?}").contains("rsa-1"));
}
