//! `SigningKey`: every key form Okta users have, every malformed input.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use jsonwebtoken::{DecodingKey, Validation};
use okta_auth::url::Url;
use okta_auth::{Algorithm, Error, Jwk, SigningKey};
use serde_json::Value;

pub(crate) fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The six private key forms, with the algorithm each signs with and the
/// public key (PEM) that verifies it.
pub(crate) fn six_key_forms() -> Vec<(&'static str, SigningKey, Algorithm, DecodingKey)> {
    let rsa_public = rsa_public_key;
    let ec_public = || {
        use p256::elliptic_curve::sec1::ToSec1Point;
        use p256::pkcs8::DecodePublicKey;
        let key = p256::PublicKey::from_public_key_pem(&fixture("ec-p256-public.pem")).unwrap();
        let point = key.to_sec1_point(false);
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        DecodingKey::from_ec_components(&b64(point.x().unwrap()), &b64(point.y().unwrap())).unwrap()
    };
    let key = |name: &str| SigningKey::parse(&fixture(name)).unwrap();
    vec![
        (
            "rsa pkcs8 pem",
            key("rsa2048-pkcs8.pem"),
            Algorithm::RS256,
            rsa_public(),
        ),
        (
            "rsa pkcs1 pem",
            key("rsa2048-pkcs1.pem"),
            Algorithm::RS256,
            rsa_public(),
        ),
        (
            "rsa jwk",
            key("rsa2048-private.jwk.json"),
            Algorithm::RS256,
            rsa_public(),
        ),
        (
            "ec pkcs8 pem",
            key("ec-p256-pkcs8.pem"),
            Algorithm::ES256,
            ec_public(),
        ),
        (
            "ec sec1 pem",
            key("ec-p256-sec1.pem"),
            Algorithm::ES256,
            ec_public(),
        ),
        (
            "ec jwk",
            key("ec-p256-private.jwk.json"),
            Algorithm::ES256,
            ec_public(),
        ),
    ]
}

/// The same algorithm, as `jsonwebtoken` names it.
pub(crate) fn jwt_alg(alg: Algorithm) -> jsonwebtoken::Algorithm {
    alg.as_str().parse().unwrap()
}

/// A public JWK of ours, read by `jsonwebtoken` from its JSON (not by our
/// code): what an independent verifier makes of it.
pub(crate) fn decoding_key(jwk: &Jwk) -> DecodingKey {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(serde_json::to_value(jwk).unwrap())
        .expect("jsonwebtoken reads our jwk");
    DecodingKey::from_jwk(&jwk).unwrap()
}

/// Verifies a client assertion's signature and returns its header and
/// claims.
pub(crate) fn verify(
    assertion: &str,
    alg: Algorithm,
    key: &DecodingKey,
    aud: &str,
) -> (jsonwebtoken::Header, Value) {
    let mut validation = Validation::new(jwt_alg(alg));
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud", "jti"]);
    let data = jsonwebtoken::decode::<Value>(assertion, key, &validation)
        .expect("the assertion verifies with the public key");
    (data.header, data.claims)
}

/// The fixture's RSA public key, read by the rsa crate (not by our code).
pub(crate) fn rsa_public_key() -> DecodingKey {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::PublicKey::from_public_key_pem(&fixture("rsa2048-public.pem")).unwrap();
    DecodingKey::from_rsa_raw_components(&key.n_bytes(), &key.e_bytes())
}

fn endpoint() -> Url {
    Url::parse("https://example.okta.com/oauth2/v1/token").unwrap()
}

#[test]
fn every_key_form_signs_a_verifiable_assertion() {
    for (name, key, alg, public) in six_key_forms() {
        assert_eq!(key.algorithm(), alg, "{name}");
        let assertion = key
            .client_assertion("0oaClient", &endpoint(), Duration::from_secs(300))
            .unwrap();
        let (header, claims) = verify(&assertion, alg, &public, endpoint().as_str());
        assert_eq!(header.alg, jwt_alg(alg), "{name}");
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(claims["iss"], "0oaClient", "{name}");
        assert_eq!(claims["sub"], "0oaClient", "{name}");
        assert_eq!(claims["aud"], endpoint().as_str(), "{name}");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, 300, "{name}");
    }
}

#[test]
fn jwk_kid_and_alg_are_taken_and_with_kid_overrides() {
    let key = SigningKey::parse(&fixture("rsa2048-private.jwk.json")).unwrap();
    assert_eq!(key.kid(), Some("rsa-jwk-1"));
    let ec = SigningKey::parse(&fixture("ec-p256-private.jwk.json")).unwrap();
    assert_eq!(ec.kid(), Some("ec-jwk-1"));
    let pem = SigningKey::parse(&fixture("rsa2048-pkcs8.pem")).unwrap();
    assert_eq!(pem.kid(), None);

    let key = key.with_kid("rotated-2".to_string());
    let assertion = key
        .client_assertion("c", &endpoint(), Duration::from_secs(60))
        .unwrap();
    let header = jsonwebtoken::decode_header(&assertion).unwrap();
    assert_eq!(header.kid.as_deref(), Some("rotated-2"));
    // No kid known: none in the header.
    let assertion = pem
        .client_assertion("c", &endpoint(), Duration::from_secs(60))
        .unwrap();
    assert_eq!(jsonwebtoken::decode_header(&assertion).unwrap().kid, None);
}

#[test]
fn p384_keys_sign_es384() {
    for name in ["ec-p384-pkcs8.pem", "ec-p384-private.jwk.json"] {
        let key = SigningKey::parse(&fixture(name)).unwrap();
        assert_eq!(key.algorithm(), Algorithm::ES384);
        let public = decoding_key(&key.public_jwk());
        let assertion = key
            .client_assertion("c", &endpoint(), Duration::from_secs(60))
            .unwrap();
        verify(&assertion, Algorithm::ES384, &public, endpoint().as_str());
    }
}

#[test]
fn rsa_keys_sign_rs384_and_rs512_on_request() {
    let key = SigningKey::parse(&fixture("rsa2048-pkcs8.pem")).unwrap();
    let public = rsa_public_key();
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        let key = key.clone().with_algorithm(alg).unwrap();
        assert_eq!(key.public_jwk().algorithm(), Some(alg));
        let assertion = key
            .client_assertion("c", &endpoint(), Duration::from_secs(60))
            .unwrap();
        verify(&assertion, alg, &public, endpoint().as_str());
    }
    for bad in [Algorithm::ES256, Algorithm::ES384] {
        assert!(matches!(
            key.clone().with_algorithm(bad),
            Err(Error::Key(_))
        ));
    }
    // PS256 and HS256 are no `Algorithm` at all.
    for bad in ["PS256", "HS256", "none"] {
        assert!(matches!(bad.parse::<Algorithm>(), Err(Error::Key(_))));
    }
    let ec = SigningKey::generate_p256();
    assert!(matches!(
        ec.clone().with_algorithm(Algorithm::RS256),
        Err(Error::Key(_))
    ));
    assert!(ec.with_algorithm(Algorithm::ES256).is_ok());
}

#[test]
fn literal_backslash_n_pem_is_accepted() {
    for name in ["rsa2048-pkcs8.pem", "ec-p256-sec1.pem", "rsa2048-pkcs1.pem"] {
        let pasted = fixture(name).trim().replace('\n', "\\n");
        assert!(!pasted.contains('\n'));
        let key = SigningKey::parse(&pasted).unwrap();
        let direct = SigningKey::parse(&fixture(name)).unwrap();
        assert_eq!(key.thumbprint(), direct.thumbprint(), "{name}");
    }
}

#[test]
fn crlf_and_surrounding_whitespace_are_accepted() {
    for name in [
        "rsa2048-pkcs8.pem",
        "ec-p256-sec1.pem",
        "ec-p256-private.jwk.json",
    ] {
        let direct = SigningKey::parse(&fixture(name)).unwrap();
        for variant in [
            fixture(name).replace('\n', "\r\n"),
            format!("\n  {}  \n\n", fixture(name)),
        ] {
            let key = SigningKey::parse(&variant).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.thumbprint(), direct.thumbprint(), "{name}");
        }
    }
}

#[test]
fn public_jwk_has_public_members_only_and_verifies() {
    for (name, key, alg, _) in six_key_forms() {
        let key = key.with_kid("k1");
        let jwk = key.public_jwk();
        let json = serde_json::to_value(&jwk).unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(json.get(private).is_none(), "{name}: {private} in {json}");
        }
        assert_eq!(json["kid"], "k1");
        assert_eq!(json["use"], "sig");
        assert_eq!(json["alg"], format!("{alg:?}"));
        let public = decoding_key(&jwk);
        let assertion = key
            .client_assertion("c", &endpoint(), Duration::from_secs(60))
            .unwrap();
        verify(&assertion, alg, &public, endpoint().as_str());
    }
}

#[test]
fn thumbprint_is_rfc_7638_and_ignores_kid() {
    let key = SigningKey::parse(&fixture("ec-p256-pkcs8.pem")).unwrap();
    let jwk = key.public_jwk();
    assert_eq!(key.thumbprint(), okta_auth::jwk_thumbprint(&jwk));
    assert_eq!(key.thumbprint(), key.clone().with_kid("x").thumbprint());
    // The same key in every form has the same thumbprint.
    let forms: HashSet<String> = six_key_forms()
        .into_iter()
        .map(|(_, k, _, _)| k.thumbprint())
        .collect();
    assert_eq!(forms.len(), 2, "one rsa and one ec thumbprint");
    assert_eq!(key.thumbprint().len(), 43);
}

#[test]
fn generated_keys_sign() {
    let ec = SigningKey::generate_p256();
    assert_eq!(ec.algorithm(), Algorithm::ES256);
    let public = decoding_key(&ec.public_jwk());
    let a = ec
        .client_assertion("c", &endpoint(), Duration::from_secs(60))
        .unwrap();
    verify(&a, Algorithm::ES256, &public, endpoint().as_str());

    let rsa = SigningKey::generate_rsa(2048).unwrap();
    assert_eq!(rsa.algorithm(), Algorithm::RS256);
    let public = decoding_key(&rsa.public_jwk());
    let a = rsa
        .client_assertion("c", &endpoint(), Duration::from_secs(60))
        .unwrap();
    verify(&a, Algorithm::RS256, &public, endpoint().as_str());

    for bits in [0, 1024, 2047, 16384] {
        assert!(
            matches!(SigningKey::generate_rsa(bits), Err(Error::Key(_))),
            "{bits}"
        );
    }
}

#[test]
fn debug_shows_kind_alg_kid_only() {
    let text = fixture("ec-p256-private.jwk.json");
    let d: Value = serde_json::from_str(&text).unwrap();
    let d = d["d"].as_str().unwrap().to_owned();
    let key = SigningKey::parse(&text).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains("EC P-256") && debug.contains("ES256") && debug.contains("ec-jwk-1"));
    assert!(!debug.contains(&d), "{debug}");
    assert!(!debug.contains(&d[..8]), "{debug}");

    let rsa = SigningKey::parse(&fixture("rsa2048-pkcs8.pem")).unwrap();
    let debug = format!("{rsa:?}");
    assert!(debug.len() < 120, "{debug}");
}

/// Every bad input gives `Error::Key` with a clear message, never a panic,
/// and the message never quotes the input.
#[test]
fn bad_key_inputs_are_refused_clearly() {
    let ec_jwk: Value = serde_json::from_str(&fixture("ec-p256-private.jwk.json")).unwrap();
    let rsa_jwk: Value = serde_json::from_str(&fixture("rsa2048-private.jwk.json")).unwrap();
    let without = |jwk: &Value, member: &str| {
        let mut jwk = jwk.clone();
        jwk.as_object_mut().unwrap().remove(member);
        jwk.to_string()
    };
    let with = |jwk: &Value, member: &str, value: Value| {
        let mut jwk = jwk.clone();
        jwk[member] = value;
        jwk.to_string()
    };
    let other_ec: Value = serde_json::to_value(SigningKey::generate_p256().public_jwk()).unwrap();
    let pkcs8 = fixture("rsa2048-pkcs8.pem");
    let truncated = pkcs8[..pkcs8.len() / 2].to_owned() + "\n-----END PRIVATE KEY-----\n";
    let corrupted = pkcs8.replacen("MII", "AAA", 1);
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", String::new(), "not a private key"),
        ("garbage", "hello world".into(), "not a private key"),
        ("binary-ish", "\u{0}\u{1}\u{2}".into(), "not a private key"),
        ("encrypted pkcs8", fixture("rsa2048-encrypted.pem"), "encrypted"),
        (
            "legacy encrypted pkcs1",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n".into(),
            "encrypted",
        ),
        ("rsa public pem", fixture("rsa2048-public.pem"), "public key"),
        ("ec public pem", fixture("ec-p256-public.pem"), "public key"),
        ("certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(), "certificate"),
        ("other pem", "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n".into(), "unsupported PEM type"),
        ("rsa 1024", fixture("rsa1024-pkcs8.pem"), "at least 2048"),
        ("secp256k1 pkcs8", fixture("ec-secp256k1-pkcs8.pem"), "unsupported ec curve"),
        ("truncated pem", truncated, "malformed"),
        ("corrupted pem", corrupted, "malformed"),
        ("wrong label pkcs1 body", pkcs8.replace("PRIVATE KEY", "RSA PRIVATE KEY"), "malformed PKCS#1"),
        ("wrong label sec1 body", pkcs8.replace("PRIVATE KEY", "EC PRIVATE KEY"), "malformed SEC1"),
        ("json not object", "[1,2]".into(), "not a json object"),
        ("broken json", "{\"kty\":".into(), "not a json object"),
        ("jwk without kty", without(&ec_jwk, "kty"), "no kty"),
        ("jwk oct", r#"{"kty":"oct","k":"AAAA"}"#.into(), "unsupported jwk kty"),
        ("jwk public rsa", fixture("rsa2048-public.jwk.json"), "public key"),
        ("jwk public ec", other_ec.to_string(), "public key"),
        ("rsa jwk without n", without(&rsa_jwk, "n"), "no `n`"),
        ("rsa jwk without e", without(&rsa_jwk, "e"), "no `e`"),
        ("rsa jwk bad base64", with(&rsa_jwk, "d", "!!!".into()), "not base64url"),
        ("rsa jwk wrong d", with(&rsa_jwk, "d", "AQAB".into()), "do not form a valid key"),
        ("rsa jwk 1024", fixture("rsa1024-private.jwk.json"), "at least 2048"),
        ("rsa jwk alg es256", with(&rsa_jwk, "alg", "ES256".into()), "cannot sign"),
        ("rsa jwk alg ps256", with(&rsa_jwk, "alg", "PS256".into()), "unsupported jwk alg"),
        ("ec jwk without d", without(&ec_jwk, "d"), "public key"),
        ("ec jwk without crv", without(&ec_jwk, "crv"), "no `crv`"),
        ("ec jwk without x", without(&ec_jwk, "x"), "no `x`"),
        ("ec jwk secp256k1", fixture("ec-secp256k1-private.jwk.json"), "unsupported"),
        ("ec jwk x mismatch", with(&ec_jwk, "x", other_ec["x"].clone()), "do not belong"),
        ("ec jwk d too short", with(&ec_jwk, "d", "AQAB".into()), "not a valid scalar"),
        ("ec jwk d zero", with(&ec_jwk, "d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()), "not a valid scalar"),
        ("ec jwk alg es384 on p256", with(&ec_jwk, "alg", "ES384".into()), "cannot sign"),
        ("ec jwk kid empty", with(&ec_jwk, "kid", "".into()), "empty kid"),
        ("jwk set of two", format!("{{\"keys\":[{ec_jwk},{ec_jwk}]}}"), "exactly one"),
        ("jwk set of none", "{\"keys\":[]}".into(), "exactly one"),
        ("kty wrong type", with(&ec_jwk, "kty", 5.into()), "not a json object"),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in cases {
        let err = match SigningKey::parse(&input) {
            Ok(key) => {
                failures.push(format!("{name}: accepted as {key:?}"));
                continue;
            }
            Err(err) => err,
        };
        let Error::Key(message) = &err else {
            failures.push(format!("{name}: not Error::Key but {err:?}"));
            continue;
        };
        if !message.contains(expected) {
            failures.push(format!("{name}: {message:?} lacks {expected:?}"));
        }
        if input.len() > 20 {
            assert!(
                !err.to_string().contains(&input[input.len() - 20..]),
                "{name}"
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn jwk_set_with_one_key_is_accepted() {
    let jwk = fixture("ec-p256-private.jwk.json");
    let key = SigningKey::parse(&format!("{{\"keys\":[{jwk}]}}")).unwrap();
    assert_eq!(key.kid(), Some("ec-jwk-1"));
}

#[test]
fn an_oversized_rsa_jwk_without_primes_is_refused_before_the_primes_are_sought() {
    // Without `p` and `q` the rsa crate would recover the primes from `n`,
    // `e` and `d` (seconds for a large `n`) before the size check ran.
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    for bits in [1024usize, 16_384, 65_536] {
        let n = b64(&vec![0xc5; bits / 8]);
        let d = b64(&vec![0x3b; bits / 8 - 1]);
        let jwk = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB","d":"{d}"}}"#);
        let err = SigningKey::parse(&jwk).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{bits}: {err:?}");
        assert!(err.to_string().contains(&format!("{bits} bits")), "{err}");
    }
}
