//! `Jwk`, `JwkSet` and `Algorithm`: our JOSE vocabulary, JSON in and out.

use okta_auth::{
    Algorithm, DpopKey, Error, Jwk, JwkProblem, JwkSet, KeyUse, SigningKey, jwk_thumbprint,
};
use serde_json::{Value, json};

use crate::signing_key::fixture;

/// RFC 7638 §3.1's example key and its SHA-256 thumbprint.
const RFC_7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
const RFC_7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

fn json_of(fixture_name: &str) -> Value {
    serde_json::from_str(&fixture(fixture_name)).unwrap()
}

/// The fixture's JSON without its private members: the public JWK another
/// tool (Python's `cryptography`, see the fixtures' README) wrote.
fn public_half(fixture_name: &str) -> Value {
    let mut jwk = json_of(fixture_name);
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        jwk.as_object_mut().unwrap().remove(private);
    }
    jwk
}

#[test]
fn rsa_jwk_round_trips_as_exact_json() {
    let key = SigningKey::parse(&fixture("rsa2048-private.jwk.json")).unwrap();
    let jwk = key.public_jwk();
    let public = json_of("rsa2048-public.jwk.json");
    let exact = format!(
        r#"{{"kty":"RSA","n":"{}","e":"AQAB","kid":"rsa-jwk-1","use":"sig","alg":"RS256"}}"#,
        public["n"].as_str().unwrap()
    );
    assert_eq!(serde_json::to_string(&jwk).unwrap(), exact);
    assert_eq!(serde_json::to_value(&jwk).unwrap(), public);

    let parsed: Jwk = exact.parse().unwrap();
    assert_eq!(parsed, jwk);
    assert_eq!(serde_json::from_value::<Jwk>(public).unwrap(), jwk);
    assert_eq!(parsed.kty(), "RSA");
    assert_eq!(parsed.crv(), None);
    assert_eq!(parsed.kid(), Some("rsa-jwk-1"));
    assert_eq!(parsed.algorithm(), Some(Algorithm::RS256));
    assert_eq!(parsed.key_use(), Some(KeyUse::Signature));
    assert_eq!(parsed.thumbprint(), key.thumbprint());
}

#[test]
fn ec_jwks_round_trip_as_exact_json() {
    for (name, crv, alg) in [
        ("ec-p256-private.jwk.json", "P-256", Algorithm::ES256),
        ("ec-p384-private.jwk.json", "P-384", Algorithm::ES384),
    ] {
        let key = SigningKey::parse(&fixture(name)).unwrap();
        let jwk = key.public_jwk();
        let public = public_half(name);
        let exact = format!(
            r#"{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}","kid":"{}","use":"sig","alg":"{alg}"}}"#,
            public["x"].as_str().unwrap(),
            public["y"].as_str().unwrap(),
            public["kid"].as_str().unwrap(),
        );
        assert_eq!(serde_json::to_string(&jwk).unwrap(), exact, "{name}");
        assert_eq!(serde_json::to_value(&jwk).unwrap(), public, "{name}");
        let parsed: Jwk = exact.parse().unwrap();
        assert_eq!(parsed, jwk, "{name}");
        assert_eq!(parsed.crv(), Some(crv));
        assert_eq!(parsed.algorithm(), Some(alg));
        assert_eq!(parsed.thumbprint(), key.thumbprint(), "{name}");
    }
}

#[test]
fn absent_members_are_omitted_not_null() {
    let key = DpopKey::generate();
    let json = serde_json::to_value(key.public_jwk()).unwrap();
    let members: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(members.len(), 4, "{json}");
    for member in ["kty", "crv", "x", "y"] {
        assert!(members.contains(&member), "{json}");
    }
    // A signing key without a kid has none in its JWK.
    let jwk = serde_json::to_value(SigningKey::generate_p256().public_jwk()).unwrap();
    assert!(jwk.get("kid").is_none(), "{jwk}");
    assert!(!jwk.to_string().contains("null"), "{jwk}");
}

#[test]
fn unknown_members_are_ignored_as_in_okta_key_lists() {
    let key = SigningKey::parse(&fixture("rsa2048-private.jwk.json")).unwrap();
    let mut listed = serde_json::to_value(key.public_jwk()).unwrap();
    // One entry of `GET /api/v1/apps/{appId}/credentials/jwks`.
    for (member, value) in [
        ("id", json!("pks2f4zrZbs8nUa7p0g4")),
        ("status", json!("ACTIVE")),
        ("created", json!("2024-02-21T20:08:24.000Z")),
        ("lastUpdated", json!("2024-02-21T20:08:24.000Z")),
        ("key_ops", json!(["verify"])),
        ("x5c", json!(["MIIC"])),
        (
            "_links",
            json!({"deactivate": {"href": "https://x/lifecycle/deactivate"}}),
        ),
    ] {
        listed[member] = value;
    }
    let list: Vec<Jwk> = serde_json::from_value(json!([listed])).unwrap();
    assert_eq!(list, vec![key.public_jwk()]);
}

#[test]
fn private_members_are_refused_where_a_public_key_is_expected() {
    let public = public_half("ec-p256-private.jwk.json");
    let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA";
    let mut inputs: Vec<(String, &str)> = Vec::new();
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        let mut jwk = public.clone();
        jwk[member] = json!(secret);
        inputs.push((jwk.to_string(), member));
    }
    inputs.push((format!(r#"{{"kty":"oct","k":"{secret}"}}"#), "k"));
    inputs.push((fixture("rsa2048-private.jwk.json"), "d"));
    inputs.push((fixture("ec-p256-private.jwk.json"), "d"));
    for (json, member) in &inputs {
        let err = json.parse::<Jwk>().unwrap_err();
        assert!(
            matches!(err, Error::InvalidJwk(JwkProblem::PrivateMember(m)) if m == *member),
            "{member}: {err:?}"
        );
        let serde_err = serde_json::from_str::<Jwk>(json).unwrap_err().to_string();
        // The message names the member, never its value.
        let value: Value = serde_json::from_str(json).unwrap();
        let value = value[*member].as_str().unwrap().to_owned();
        for text in [err.to_string(), serde_err.clone()] {
            assert!(text.contains(&format!("`{member}`")), "{text}");
        }
        for text in [err.to_string(), format!("{err:?}"), serde_err] {
            assert!(!text.contains(&value[..12]), "{text}");
        }
        // A key set holding it is refused as a whole.
        let set = format!(r#"{{"keys":[{},{json}]}}"#, public);
        assert!(matches!(
            set.parse::<JwkSet>(),
            Err(Error::InvalidJwk(JwkProblem::PrivateMember(_)))
        ));
        assert!(serde_json::from_str::<JwkSet>(&set).is_err());
    }
}

#[test]
fn malformed_and_unsupported_jwks_are_refused_with_their_reason() {
    let rsa = json!({"kty": "RSA", "n": RFC_7638_N, "e": "AQAB"});
    let ec = public_half("ec-p256-private.jwk.json");
    let with = |jwk: &Value, member: &str, value: Value| {
        let mut jwk = jwk.clone();
        jwk[member] = value;
        jwk.to_string()
    };
    let without = |jwk: &Value, member: &str| {
        let mut jwk = jwk.clone();
        jwk.as_object_mut().unwrap().remove(member);
        jwk.to_string()
    };
    use JwkProblem::*;
    let cases = [
        ("not an object", "[1]".to_owned(), Malformed),
        ("broken json", "{\"kty\":".to_owned(), Malformed),
        ("kid a number", with(&rsa, "kid", json!(5)), Malformed),
        (
            "duplicate member",
            r#"{"kty":"RSA","kty":"EC"}"#.to_owned(),
            Malformed,
        ),
        ("no kty", without(&rsa, "kty"), MissingMember("kty")),
        ("okp", with(&ec, "kty", json!("OKP")), UnsupportedKeyType),
        ("no n", without(&rsa, "n"), MissingMember("n")),
        ("no e", without(&rsa, "e"), MissingMember("e")),
        ("empty n", with(&rsa, "n", json!("")), EmptyMember("n")),
        (
            "padded e",
            with(&rsa, "e", json!("AQAB=")),
            NotBase64Url("e"),
        ),
        (
            "standard alphabet n",
            with(&rsa, "n", json!(RFC_7638_N.replace('-', "+"))),
            NotBase64Url("n"),
        ),
        ("no crv", without(&ec, "crv"), MissingMember("crv")),
        ("p-521", with(&ec, "crv", json!("P-521")), UnsupportedCurve),
        (
            "secp256k1",
            with(&ec, "crv", json!("secp256k1")),
            UnsupportedCurve,
        ),
        ("no y", without(&ec, "y"), MissingMember("y")),
        ("short x", with(&ec, "x", json!("AQAB")), InvalidKey),
        (
            "p-256 on p-384",
            with(&ec, "crv", json!("P-384")),
            InvalidKey,
        ),
        (
            "alg ps256",
            with(&rsa, "alg", json!("PS256")),
            UnsupportedAlgorithm,
        ),
        (
            "alg none",
            with(&rsa, "alg", json!("none")),
            UnsupportedAlgorithm,
        ),
        (
            "alg hs256",
            with(&rsa, "alg", json!("HS256")),
            UnsupportedAlgorithm,
        ),
        (
            "es256 on rsa",
            with(&rsa, "alg", json!("ES256")),
            AlgorithmMismatch,
        ),
        (
            "rs256 on ec",
            with(&ec, "alg", json!("RS256")),
            AlgorithmMismatch,
        ),
        (
            "es384 on p-256",
            with(&ec, "alg", json!("ES384")),
            AlgorithmMismatch,
        ),
        ("use foo", with(&ec, "use", json!("foo")), UnsupportedUse),
    ];
    let mut failures = Vec::new();
    for (name, json, expected) in cases {
        match json.parse::<Jwk>() {
            Err(Error::InvalidJwk(problem)) if problem == expected => {}
            other => failures.push(format!("{name}: {other:?}, expected {expected:?}")),
        }
        if serde_json::from_str::<Jwk>(&json).is_ok() {
            failures.push(format!("{name}: accepted by serde"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn thumbprint_is_rfc_7638_section_3_1s_example() {
    let jwk: Jwk =
        json!({"kty": "RSA", "n": RFC_7638_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"})
            .to_string()
            .parse()
            .unwrap();
    assert_eq!(jwk.thumbprint(), RFC_7638_THUMBPRINT);
    assert_eq!(jwk_thumbprint(&jwk), RFC_7638_THUMBPRINT);
    // Only the required members count.
    let bare: Jwk =
        serde_json::from_value(json!({"e": "AQAB", "n": RFC_7638_N, "kty": "RSA"})).unwrap();
    assert_eq!(bare.thumbprint(), RFC_7638_THUMBPRINT);
    assert_eq!(bare.with_kid("other").thumbprint(), RFC_7638_THUMBPRINT);
}

#[test]
fn a_jwk_set_is_parsed_skipping_keys_it_does_not_understand() {
    let rsa = json!({"kty": "RSA", "alg": "RS256", "kid": "2011-04-29", "use": "sig", "n": RFC_7638_N, "e": "AQAB"});
    let ec = public_half("ec-p256-private.jwk.json");
    let jwks = json!({"keys": [
        rsa,
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "RSA", "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP", "n": RFC_7638_N, "e": "AQAB"},
        {"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AQAB", "y": "AQAB"},
        "not a key",
        ec,
    ]});
    let set: JwkSet = jwks.to_string().parse().unwrap();
    assert_eq!(
        set.keys()
            .iter()
            .map(|k| k.kid().unwrap())
            .collect::<Vec<_>>(),
        ["2011-04-29", "ec-jwk-1"]
    );
    assert_eq!(
        set.find("2011-04-29").unwrap().thumbprint(),
        RFC_7638_THUMBPRINT
    );
    assert_eq!(set.find("ec-jwk-1").unwrap().crv(), Some("P-256"));
    assert!(set.find("ed").is_none() && set.find("enc-1").is_none());
    assert_eq!(serde_json::from_value::<JwkSet>(jwks).unwrap(), set);

    // Out again: exactly `{"keys":[…]}` of the kept keys.
    let exact = format!(
        r#"{{"keys":[{},{}]}}"#,
        serde_json::to_string(&set.keys()[0]).unwrap(),
        serde_json::to_string(&set.keys()[1]).unwrap()
    );
    assert_eq!(serde_json::to_string(&set).unwrap(), exact);
    assert_eq!(exact.parse::<JwkSet>().unwrap(), set);
    let built: JwkSet = set.keys().iter().cloned().collect();
    assert_eq!(built, set);
    assert_eq!(JwkSet::new(set.clone().into_keys()), set);

    for (bad, problem) in [
        ("{}", JwkProblem::MissingMember("keys")),
        (r#"{"keys":{}}"#, JwkProblem::Malformed),
        ("[]", JwkProblem::Malformed),
    ] {
        assert!(
            matches!(bad.parse::<JwkSet>(), Err(Error::InvalidJwk(p)) if p == problem),
            "{bad}"
        );
    }
    assert_eq!("{\"keys\":[]}".parse::<JwkSet>().unwrap().keys().len(), 0);
}

#[test]
fn algorithms_are_their_jose_names() {
    for (alg, name) in [
        (Algorithm::RS256, "RS256"),
        (Algorithm::RS384, "RS384"),
        (Algorithm::RS512, "RS512"),
        (Algorithm::ES256, "ES256"),
        (Algorithm::ES384, "ES384"),
    ] {
        assert_eq!(alg.as_str(), name);
        assert_eq!(alg.to_string(), name);
        assert_eq!(name.parse::<Algorithm>().unwrap(), alg);
        assert_eq!(serde_json::to_value(alg).unwrap(), json!(name));
        assert_eq!(
            serde_json::from_value::<Algorithm>(json!(name)).unwrap(),
            alg
        );
    }
    for bad in ["none", "HS256", "PS256", "ES512", "EdDSA", "rs256"] {
        assert!(
            matches!(bad.parse::<Algorithm>(), Err(Error::Key(_))),
            "{bad}"
        );
        assert!(
            serde_json::from_value::<Algorithm>(json!(bad)).is_err(),
            "{bad}"
        );
    }
    // A signing key's algorithm is its JWK's.
    let key = SigningKey::parse(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .with_algorithm(Algorithm::RS512)
        .unwrap();
    assert_eq!(key.algorithm(), Algorithm::RS512);
    assert_eq!(
        serde_json::to_value(key.public_jwk()).unwrap()["alg"],
        "RS512"
    );
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A P-256 JWK whose `x`/`y` have the right length but name no point of
/// the curve.
fn off_curve_p256() -> String {
    format!(
        r#"{{"kty":"EC","crv":"P-256","kid":"a","x":"{}","y":"{}"}}"#,
        b64(&[1; 32]),
        b64(&[2; 32])
    )
}

/// RFC 7518 §6.2.1: `x`/`y` are a point of the curve. A `Jwk` that can
/// never verify anything is refused when parsed.
#[test]
fn public_jwk_refuses_an_ec_point_off_its_curve() {
    let r = off_curve_p256().parse::<Jwk>();
    assert!(
        matches!(r, Err(Error::InvalidJwk(JwkProblem::InvalidKey))),
        "off-curve point accepted: {r:?}"
    );
    let r = serde_json::from_str::<Jwk>(&off_curve_p256());
    assert!(r.is_err(), "off-curve point accepted by serde: {r:?}");
}

/// A JWK set skips keys it cannot use (RFC 7517 §5): an off-curve key is
/// skipped, not fatal to the set.
#[test]
fn jwk_set_skips_an_ec_key_off_its_curve() {
    let good = SigningKey::generate_p256().with_kid("b").public_jwk();
    let good_json = serde_json::to_string(&good).unwrap();
    let set: JwkSet = format!(r#"{{"keys":[{},{good_json}]}}"#, off_curve_p256())
        .parse()
        .unwrap();
    assert!(set.find("a").is_none(), "off-curve key kept: {set:?}");
    assert_eq!(set.keys(), [good]);
}

/// An RSA public exponent must be odd and greater than 1; `e` = 1 makes
/// "signatures" trivially forgeable and an even `e` is no RSA key.
#[test]
fn public_jwk_refuses_an_rsa_exponent_of_one_or_even() {
    let n = b64(&[0xc5; 256]);
    let mut accepted = Vec::new();
    for (name, e) in [
        ("1", b64(&[1])),
        ("2", b64(&[2])),
        ("65536", b64(&[1, 0, 0])),
    ] {
        let json = format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#);
        match json.parse::<Jwk>() {
            Err(Error::InvalidJwk(JwkProblem::InvalidKey)) => {}
            _ => accepted.push(name),
        }
    }
    assert!(accepted.is_empty(), "e accepted: {accepted:?}");
    let e = b64(&[1, 0, 1]);
    assert!(
        format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#)
            .parse::<Jwk>()
            .is_ok()
    );
}

/// A `kid` with control characters (NUL, CR, LF) would travel into
/// assertion headers, `Debug`, `tracing` fields and the admin API: the
/// public and the private JWK readers refuse it.
#[test]
fn jwk_kid_with_control_characters_is_refused() {
    let mut public = serde_json::to_value(SigningKey::generate_p256().public_jwk()).unwrap();
    public["kid"] = "a\u{0}\r\nb".into();
    let public = public.to_string().parse::<Jwk>();

    let mut private: serde_json::Value =
        serde_json::from_str(&fixture("ec-p256-private.jwk.json")).unwrap();
    private["kid"] = "a\r\nb".into();
    let private_jwk = SigningKey::from_jwk(&private.to_string());
    let parsed = SigningKey::parse(&private.to_string());

    assert!(
        public.is_err() && private_jwk.is_err() && parsed.is_err(),
        "kid accepted: public {public:?}, private {private_jwk:?}, parse {parsed:?}"
    );
    assert!(
        matches!(
            public,
            Err(Error::InvalidJwk(JwkProblem::KidControlCharacter))
        ),
        "{public:?}"
    );
    let message = private_jwk.unwrap_err().to_string();
    assert!(message.contains("kid has control characters"), "{message}");
}
