//! [`DpopKey`]: a P-256 key that binds access tokens to this client and
//! signs DPoP proofs (RFC 9449), with a memory of each server's nonce.
//!
//! - The key, its public JWK and thumbprint (`key`).
//! - Proofs for one request and the `DPoP` header value (`proof`), their
//!   `htu` in Okta's or the plain RFC 3986 form (`htu`).
//! - The `DPoP-Nonce` header, what a usable nonce is, and the key's memory
//!   of nonces per resource origin and token endpoint (`nonce`).

mod htu;
mod key;
mod nonce;
mod proof;

pub use key::DpopKey;
pub use nonce::DPOP_NONCE;

pub(crate) use htu::HtuForm;
#[cfg(feature = "test-util")]
pub(crate) use htu::htu_path;
pub(crate) use nonce::{NonceScope, is_valid_nonce, nonce_from};
pub(crate) use proof::proof_header;
