//! [`Algorithm`]: the JWS algorithms we sign and verify with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A JWS signature algorithm (RFC 7518 §3.1) this crate signs and verifies
/// with; it serializes as its JOSE name (`"RS256"`, …).
///
/// Okta signs its tokens with `RS256`, and takes client assertions and DPoP
/// proofs signed with any of these. Symmetric (`HS*`) and `none` are not
/// and never will be algorithms here; more asymmetric ones may be added.
///
/// ```
/// use okta_auth::Algorithm;
///
/// let alg: Algorithm = "ES256".parse()?;
/// assert_eq!(alg, Algorithm::ES256);
/// assert_eq!(alg.as_str(), "ES256");
/// assert!("HS256".parse::<Algorithm>().is_err());
/// # Ok::<(), okta_auth::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: Okta's token signatures, and the
    /// default for an RSA [`SigningKey`](crate::SigningKey).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// ECDSA on P-256 with SHA-256: DPoP proofs ([`DpopKey`](crate::DpopKey)).
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
}

impl Algorithm {
    /// Every algorithm, in the order above.
    pub(crate) const ALL: [Algorithm; 5] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::ES256,
        Algorithm::ES384,
    ];

    /// The JOSE name (`alg` header value): `"RS256"`, `"ES256"`, ….
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Reads a JOSE name, exactly (case-sensitive). Any other name,
    /// `none` and `HS*` included, is an [`Error::Key`].
    fn from_str(name: &str) -> Result<Self, Error> {
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or_else(|| {
                Error::Key("unsupported algorithm: use RS256, RS384, RS512, ES256 or ES384".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
            assert_eq!(alg.to_string(), alg.as_str());
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{}\"", alg.as_str()));
            assert_eq!(serde_json::from_str::<Algorithm>(&json).unwrap(), alg);
        }
        for bad in ["none", "HS256", "PS256", "ES512", "rs256", " RS256", ""] {
            assert!(
                matches!(bad.parse::<Algorithm>(), Err(Error::Key(_))),
                "{bad}"
            );
        }
    }
}
