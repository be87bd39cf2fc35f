//! [`VerifyingKey`]: a public [`Jwk`] parsed once into the key that checks
//! JWS signatures, so that nothing is re-parsed per signature.

use p256::ecdsa::signature::Verifier;
use rsa::Pkcs1v15Sign;
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};

use super::jwk::{Curve, KeyMembers};
use super::{Algorithm, Jwk, MAX_RSA_BITS, MIN_RSA_BITS, b64};
use crate::error::{Error, JwkProblem};

/// A parsed public key: RSA (`RS*`), P-256 (`ES256`) or P-384 (`ES384`).
#[derive(Debug, Clone)]
pub(crate) enum VerifyingKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl Jwk {
    /// This key, parsed: an RSA modulus of [`MIN_RSA_BITS`] to
    /// [`MAX_RSA_BITS`] bits with a valid exponent, or an EC point on its
    /// curve. Anything else is an [`Error::InvalidJwk`].
    pub(crate) fn verifying_key(&self) -> Result<VerifyingKey, Error> {
        VerifyingKey::from_members(self.members()).map_err(Error::InvalidJwk)
    }
}

impl VerifyingKey {
    fn from_members(members: &KeyMembers) -> Result<Self, JwkProblem> {
        // The members were checked as base64url when the Jwk was made.
        let bytes = |value: &str| b64::decode(value).ok_or(JwkProblem::InvalidKey);
        match members {
            KeyMembers::Rsa { n, e } => {
                let n = rsa::BoxedUint::from_be_slice_vartime(&bytes(n)?);
                let e = rsa::BoxedUint::from_be_slice_vartime(&bytes(e)?);
                rsa::PublicKey::new_with_size_limits(n, e, MIN_RSA_BITS..=MAX_RSA_BITS)
                    .map(VerifyingKey::Rsa)
                    .map_err(|e| match e {
                        rsa::Error::ModulusTooSmall | rsa::Error::ModulusTooLarge => {
                            JwkProblem::RsaKeySize
                        }
                        _ => JwkProblem::InvalidKey,
                    })
            }
            KeyMembers::Ec { crv, x, y } => {
                let mut point = vec![4u8];
                point.extend(bytes(x)?);
                point.extend(bytes(y)?);
                let invalid = |_| JwkProblem::InvalidKey;
                match crv {
                    Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map(VerifyingKey::P256)
                        .map_err(invalid),
                    Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map(VerifyingKey::P384)
                        .map_err(invalid),
                }
            }
        }
    }

    /// Whether `signature` is `alg`'s signature of `message` by this key
    /// (for a JWS: the signing input `header.payload`, and the decoded
    /// third part). An `alg` of another key type or curve is `false`:
    /// no algorithm confusion.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match (self, alg) {
            (VerifyingKey::Rsa(key), Algorithm::RS256) => key
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(message),
                    signature,
                )
                .is_ok(),
            (VerifyingKey::Rsa(key), Algorithm::RS384) => key
                .verify(
                    Pkcs1v15Sign::new::<Sha384>(),
                    &Sha384::digest(message),
                    signature,
                )
                .is_ok(),
            (VerifyingKey::Rsa(key), Algorithm::RS512) => key
                .verify(
                    Pkcs1v15Sign::new::<Sha512>(),
                    &Sha512::digest(message),
                    signature,
                )
                .is_ok(),
            (VerifyingKey::P256(key), Algorithm::ES256) => {
                p256::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|sig| key.verify(message, &sig).is_ok())
            }
            (VerifyingKey::P384(key), Algorithm::ES384) => {
                p384::ecdsa::Signature::from_slice(signature)
                    .is_ok_and(|sig| key.verify(message, &sig).is_ok())
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verifies a compact JWS (`alg` from its header) with `jwk`.
    fn verify_compact(jws: &str, jwk: &str) -> bool {
        let jwk: Jwk = jwk.parse().unwrap();
        let key = jwk.verifying_key().unwrap();
        let (input, signature) = jws.rsplit_once('.').unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&b64::decode(input.split('.').next().unwrap()).unwrap())
                .unwrap();
        let alg: Algorithm = header["alg"].as_str().unwrap().parse().unwrap();
        key.verify(alg, input.as_bytes(), &b64::decode(signature).unwrap())
    }

    // RFC 7515 appendix A.2: an RS256 JWS and its key.
    const A2_JWK: &str = r#"{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}"#;
    const A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    // RFC 7515 appendix A.3: an ES256 JWS and its key.
    const A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
    const A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    #[test]
    fn the_rfc_7515_examples_verify_and_their_tampered_copies_do_not() {
        assert!(verify_compact(A2_JWS, A2_JWK));
        assert!(verify_compact(A3_JWS, A3_JWK));
        for (jws, jwk) in [(A2_JWS, A2_JWK), (A3_JWS, A3_JWK)] {
            // A flipped bit in the payload, then in the signature.
            let tampered = jws.replacen(".eyJpc3Mi", ".eyJpc3Ni", 1);
            assert!(!verify_compact(&tampered, jwk));
            let last = jws.chars().last().unwrap();
            let flipped = format!(
                "{}{}",
                &jws[..jws.len() - 1],
                if last == 'A' { 'Q' } else { 'A' }
            );
            assert!(!verify_compact(&flipped, jwk));
        }
    }

    #[test]
    fn an_algorithm_of_another_key_type_never_verifies() {
        let rsa: Jwk = A2_JWK.parse().unwrap();
        let ec: Jwk = A3_JWK.parse().unwrap();
        let (input, sig) = A3_JWS.rsplit_once('.').unwrap();
        let sig = b64::decode(sig).unwrap();
        let ec = ec.verifying_key().unwrap();
        assert!(ec.verify(Algorithm::ES256, input.as_bytes(), &sig));
        for alg in [Algorithm::ES384, Algorithm::RS256] {
            assert!(!ec.verify(alg, input.as_bytes(), &sig), "{alg}");
        }
        let (input, sig) = A2_JWS.rsplit_once('.').unwrap();
        let sig = b64::decode(sig).unwrap();
        let rsa = rsa.verifying_key().unwrap();
        assert!(rsa.verify(Algorithm::RS256, input.as_bytes(), &sig));
        for alg in [Algorithm::RS384, Algorithm::ES256] {
            assert!(!rsa.verify(alg, input.as_bytes(), &sig), "{alg}");
        }
    }

    #[test]
    fn keys_that_cannot_verify_are_refused() {
        let problem = |json: &str| match json.parse::<Jwk>().unwrap().verifying_key() {
            Err(Error::InvalidJwk(p)) => p,
            other => panic!("{json}: {other:?}"),
        };
        let n =
            |bytes: &[u8]| format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, b64::encode(bytes));
        let mut short = vec![0xffu8; 128];
        short[127] |= 1;
        assert_eq!(problem(&n(&short)), JwkProblem::RsaKeySize);
        let mut even = vec![0xffu8; 256];
        even[255] = 0xfe;
        assert_eq!(problem(&n(&even)), JwkProblem::InvalidKey);
        // (1, 1) is not on P-256: refused already when parsed.
        let mut one = [0u8; 32];
        one[31] = 1;
        let off_curve = format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{0}","y":"{0}"}}"#,
            b64::encode(one)
        );
        assert!(matches!(
            off_curve.parse::<Jwk>(),
            Err(Error::InvalidJwk(JwkProblem::InvalidKey))
        ));
        assert!(
            JwkProblem::RsaKeySize
                .to_string()
                .contains(&format!("{MIN_RSA_BITS} to {MAX_RSA_BITS}"))
        );
    }
}
