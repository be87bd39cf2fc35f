//! Unit tests of the JWK model: members, sizes, curves, exponents, kids.

use super::*;
use crate::jose::raw_jwk::PRIVATE_MEMBERS;

#[test]
fn every_private_member_is_named_never_its_value() {
    for member in PRIVATE_MEMBERS {
        let json = format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{x}","{member}":"c2VjcmV0LXZhbHVl"}}"#,
            x = b64::encode([1u8; 32])
        );
        let err = json.parse::<Jwk>().unwrap_err();
        assert!(
            matches!(err, Error::InvalidJwk(JwkProblem::PrivateMember(m)) if m == member),
            "{member}: {err:?}"
        );
        let serde_err = serde_json::from_str::<Jwk>(&json).unwrap_err().to_string();
        assert!(serde_err.contains(&format!("`{member}`")), "{serde_err}");
        for text in [err.to_string(), format!("{err:?}"), serde_err] {
            assert!(!text.contains("c2VjcmV0"), "{text}");
        }
    }
}

/// A point of `crv`, uncompressed SEC1 (`04 ‖ x ‖ y`): the public key
/// of a fixed scalar.
fn point(crv: Curve) -> Vec<u8> {
    match crv {
        Curve::P256 => {
            let key: p256::ecdsa::SigningKey =
                p256::SecretKey::from_slice(&[7; 32]).unwrap().into();
            key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
        }
        Curve::P384 => {
            let key: p384::ecdsa::SigningKey =
                p384::SecretKey::from_slice(&[7; 48]).unwrap().into();
            key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
        }
    }
}

/// Its `x` and `y`.
fn coordinates(crv: Curve) -> (Vec<u8>, Vec<u8>) {
    let point = point(crv);
    let (x, y) = point[1..].split_at(crv.coordinate_len());
    (x.to_vec(), y.to_vec())
}

#[test]
fn ec_coordinates_must_have_their_curves_length() {
    let ec = |x: &[u8], y: &[u8], crv: &str| {
        let json = format!(
            r#"{{"kty":"EC","crv":"{crv}","x":"{}","y":"{}"}}"#,
            b64::encode(x),
            b64::encode(y)
        );
        let serde = serde_json::from_str::<Jwk>(&json);
        let parsed = json.parse::<Jwk>();
        assert_eq!(parsed.is_ok(), serde.is_ok(), "{json}");
        parsed
    };
    let (x256, y256) = coordinates(Curve::P256);
    let (x384, y384) = coordinates(Curve::P384);
    assert!(ec(&x256, &y256, "P-256").is_ok());
    assert!(ec(&x384, &y384, "P-384").is_ok());
    let mut y_off = y256.clone();
    y_off[31] ^= 1;
    for (x, y, crv) in [
        (&x256[1..], &y256[..], "P-256"),
        (&[&[0u8][..], &x256].concat()[..], &y256[..], "P-256"),
        (&x256[..], &y256[..], "P-384"),
        // The right lengths, but no point of the curve.
        (&[1; 32][..], &[2; 32][..], "P-256"),
        (&[1; 48], &[2; 48], "P-384"),
        (&x256, &y_off, "P-256"),
        (&x384, &y384[..], "P-256"),
        // The identity has no affine coordinates; (0, 0) is not it.
        (&[0; 32], &[0; 32], "P-256"),
    ] {
        assert!(
            matches!(
                ec(x, y, crv),
                Err(Error::InvalidJwk(JwkProblem::InvalidKey))
            ),
            "{crv} {} {}",
            x.len(),
            y.len()
        );
    }
}

#[test]
fn an_rsa_exponent_must_be_odd_and_above_one() {
    let rsa = |e: &[u8]| {
        format!(
            r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#,
            b64::encode([0xc5; 256]),
            b64::encode(e)
        )
        .parse::<Jwk>()
    };
    for e in [&[1, 0, 1][..], &[3], &[0, 3], &[1, 0, 0, 0, 1]] {
        assert!(rsa(e).is_ok(), "{e:?}");
    }
    for e in [&[1][..], &[0, 1], &[0], &[2], &[1, 0, 0], &[0, 0]] {
        assert!(
            matches!(rsa(e), Err(Error::InvalidJwk(JwkProblem::InvalidKey))),
            "{e:?}"
        );
    }
}

#[test]
fn a_kid_with_control_characters_is_refused() {
    let (x, y) = coordinates(Curve::P256);
    let jwk = |kid: &str| {
        let json = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": kid,
            "x": b64::encode(&x), "y": b64::encode(&y),
        })
        .to_string();
        (json.parse::<Jwk>(), serde_json::from_str::<Jwk>(&json))
    };
    for kid in ["k-1", "key 1", "clé", ""] {
        let (parsed, serde) = jwk(kid);
        assert_eq!(parsed.unwrap().kid(), Some(kid));
        assert!(serde.is_ok(), "{kid:?}");
    }
    for kid in ["a\u{0}b", "a\r\nb", "\t", "a\u{7f}", "a\u{85}"] {
        let (parsed, serde) = jwk(kid);
        assert!(
            matches!(
                parsed,
                Err(Error::InvalidJwk(JwkProblem::KidControlCharacter))
            ),
            "{kid:?}"
        );
        assert!(serde.is_err(), "{kid:?}");
    }
    // Whatever `with_kid` was given, `Debug` escapes it.
    let debug = format!("{:?}", jwk("k").0.unwrap().with_kid("a\r\nb"));
    assert!(debug.contains(r#"kid: Some("a\r\nb")"#), "{debug}");
}

#[test]
fn built_keys_serialize_to_what_parses_back() {
    let rsa = Jwk::rsa(&[0xc5; 256], &[1, 0, 1]).for_signing(Algorithm::RS384);
    let ec = Jwk::ec(Curve::P384, &point(Curve::P384)).with_kid("e");
    for jwk in [rsa, ec] {
        let json = serde_json::to_string(&jwk).unwrap();
        assert_eq!(json.parse::<Jwk>().unwrap(), jwk, "{json}");
    }
}
