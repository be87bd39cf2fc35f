//! The verifier's limits and defaults: sizes read, clock leeway,
//! algorithms, proof ages and the key set cache's timing, each a named
//! constant the builder's docs refer to.

use std::time::Duration;

use crate::jose::Algorithm;

/// The longest access token read, in bytes; longer ones are refused
/// before decoding
/// ([`RejectReason::TokenTooLarge`](super::RejectReason::TokenTooLarge)).
/// Okta's are 1 to 2 KiB.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// The longest DPoP proof read, in bytes (one with an RSA-4096 key is
/// under 2 KiB).
pub const MAX_PROOF_LEN: usize = 8 * 1024;
/// The clock skew tolerated on `exp`, `nbf` and `iat`, and on a proof's
/// `iat` ahead: 120 s, like Okta's Go, Python and Java verifiers.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(120);
/// The largest leeway the builder accepts.
pub const MAX_LEEWAY: Duration = Duration::from_secs(5 * 60);
/// The access token algorithms accepted by default: `RS256`, what Okta
/// signs with.
pub const DEFAULT_ALGORITHMS: &[Algorithm] = &[Algorithm::RS256];
/// The DPoP proof algorithms accepted by default: `ES256`, what
/// [`DpopKey`](crate::DpopKey) and most clients sign with.
pub const DEFAULT_DPOP_ALGORITHMS: &[Algorithm] = &[Algorithm::ES256];
/// How old a DPoP proof's `iat` may be by default.
pub const DEFAULT_DPOP_PROOF_MAX_AGE: Duration = Duration::from_secs(60);
/// The largest proof max age the builder accepts (Okta's own limit).
pub const MAX_DPOP_PROOF_MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// How long a key set is used before it is refreshed (in the background)
/// when its response says nothing (`Cache-Control: max-age`).
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(60 * 60);
/// The shortest `max-age` honoured (`no-store` and `no-cache` count as
/// zero, so this).
pub const MIN_JWKS_MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// The longest `max-age` honoured: keys are looked at at least daily.
pub const MAX_JWKS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// An unknown `kid` fetches the key set again only this long after the
/// last fetch started: a flood of tokens with made-up `kid`s costs the
/// issuer at most one request per interval.
pub const MIN_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// The wait after a first failed key set fetch (jittered down to half).
pub const JWKS_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between failed key set fetches.
pub const JWKS_MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The largest key set body read, in bytes (Okta's is a few KiB).
pub const MAX_JWKS_BYTES: usize = 128 * 1024;
/// The largest metadata body read, in bytes.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// The most keys a key set may hold; a larger one is refused (the keys in
/// service stay).
pub const MAX_JWKS_KEYS: usize = 64;
/// The timeout of each metadata and key set request.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);
