//! [`RawJwk`]: the members of a JWK as they came, for the public reader
//! ([`Jwk`](super::Jwk)) and the private one
//! ([`SigningKey::from_jwk`](crate::SigningKey::from_jwk)).

use serde::Deserialize;
use serde::de::IgnoredAny;
use zeroize::Zeroize;

/// The members only a private (or symmetric) key has.
pub(super) const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The members of a JWK as they came, public or private: the one reader
/// of JWK JSON. Private members are zeroized on drop (those only checked
/// for presence are never kept).
#[derive(Deserialize, Default)]
pub(crate) struct RawJwk {
    pub(crate) kty: Option<String>,
    pub(crate) crv: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    #[serde(rename = "use")]
    pub(crate) key_use: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) d: Option<String>,
    pub(crate) p: Option<String>,
    pub(crate) q: Option<String>,
    dp: Option<IgnoredAny>,
    dq: Option<IgnoredAny>,
    qi: Option<IgnoredAny>,
    oth: Option<IgnoredAny>,
    k: Option<IgnoredAny>,
}

impl RawJwk {
    /// The first private member present, if any.
    pub(super) fn private_member(&self) -> Option<&'static str> {
        let present = [
            self.d.is_some(),
            self.p.is_some(),
            self.q.is_some(),
            self.dp.is_some(),
            self.dq.is_some(),
            self.qi.is_some(),
            self.oth.is_some(),
            self.k.is_some(),
        ];
        PRIVATE_MEMBERS
            .into_iter()
            .zip(present)
            .find_map(|(name, present)| present.then_some(name))
    }
}

impl Drop for RawJwk {
    fn drop(&mut self) {
        self.d.zeroize();
        self.p.zeroize();
        self.q.zeroize();
    }
}
