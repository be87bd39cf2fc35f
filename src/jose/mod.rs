//! JOSE, once for the whole crate: what signs client assertions and DPoP
//! proofs today and verifies Okta's tokens tomorrow.
//!
//! - `b64`: base64url without padding, the one encoder and (strict)
//!   decoder of the crate.
//! - [`Jwk`] (`jwk/`): public RSA and EC keys as Okta and every JWKS
//!   write them; parsing refuses private members; RFC 7638 thumbprints.
//! - [`JwkSet`] (`jwk_set.rs`): `{"keys":[…]}`.
//! - `RawJwk` (`raw_jwk.rs`): the one reader of JWK JSON, for public keys
//!   and for [`SigningKey::from_jwk`](crate::SigningKey::from_jwk).
//! - [`Algorithm`] (`alg.rs`): the JWS algorithms we sign and verify with.
//! - `jws`: compact JWS serialization over an already-parsed key.
//! - `VerifyingKey` (`verifying_key.rs`): a public `Jwk` parsed once into
//!   an `rsa` / `p256` / `p384` key that checks JWS signatures.
//! - [`MIN_RSA_BITS`] and [`MAX_RSA_BITS`]: the RSA key sizes we sign and
//!   verify with.
//!
//! The types a user meets ([`Jwk`], [`JwkSet`], [`Algorithm`], [`KeyUse`],
//! [`jwk_thumbprint`]) are also at the crate root.

mod alg;
pub(crate) mod b64;
mod jwk;
mod jwk_set;
pub(crate) mod jws;
mod raw_jwk;
mod verifying_key;

pub use alg::Algorithm;
pub(crate) use jwk::{Curve, KeyMembers, check_kid};
pub use jwk::{Jwk, KeyUse, jwk_thumbprint};
pub use jwk_set::JwkSet;
pub(crate) use raw_jwk::RawJwk;
pub(crate) use verifying_key::VerifyingKey;

/// The smallest RSA key we sign or verify with, in bits (Okta's floor too,
/// and RFC 7518's for `RS*`).
pub const MIN_RSA_BITS: usize = 2048;
/// The largest RSA key we sign or verify with, in bits.
pub const MAX_RSA_BITS: usize = 8192;
