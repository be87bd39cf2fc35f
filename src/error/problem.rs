//! [`OrgUrlProblem`] and [`JwkProblem`]: why an input was refused.

/// Why a string is not an acceptable org URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrgUrlProblem {
    /// The string is empty.
    #[error("it is empty")]
    Empty,
    /// The string is not a URL.
    #[error("it is not a url")]
    Unparseable,
    /// The URL holds whitespace or a control character (after surrounding
    /// whitespace is trimmed). URL parsers silently drop tabs and line
    /// breaks, so `"https://example.okta.com\n.evil.com"` would name another
    /// host: such input is refused, not repaired. Remove the characters.
    #[error("it contains whitespace or a control character")]
    ControlOrWhitespace,
    /// The string is longer than [`OrgUrl::MAX_LEN`](crate::OrgUrl::MAX_LEN)
    /// bytes: no org URL is.
    #[error("it is too long")]
    TooLong,
    /// The scheme is `http` and the host is not loopback.
    #[error("it must use https (plain http is allowed only for loopback hosts)")]
    InsecureScheme,
    /// The scheme is neither `https` nor `http`.
    #[error("it must use https")]
    UnsupportedScheme,
    /// The URL has no host.
    #[error("it has no host")]
    MissingHost,
    /// The URL carries a user name or password.
    #[error("it must not contain user info")]
    UserInfo,
    /// The URL has a path (such as `/oauth2/default`); give the org base URL.
    #[error("it must not have a path: give the org base url, like https://example.okta.com")]
    Path,
    /// The URL has a query string.
    #[error("it must not have a query")]
    Query,
    /// The URL has a fragment.
    #[error("it must not have a fragment")]
    Fragment,
}

/// Why a public JWK (or a JWK set) is refused. Names members, never their
/// values: no key material is ever echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkProblem {
    /// Not a JSON object, a duplicate member, or a member of the wrong type
    /// (every JWK member we read is a string).
    #[error("it is not a json object of string members")]
    Malformed,
    /// A required member (`kty`, `n`, `e`, `crv`, `x`, `y`; `keys` in a
    /// set) is absent.
    #[error("it has no `{0}`")]
    MissingMember(&'static str),
    /// A member that must hold bytes is empty.
    #[error("its `{0}` is empty")]
    EmptyMember(&'static str),
    /// A member is not base64url without padding.
    #[error("its `{0}` is not base64url without padding")]
    NotBase64Url(&'static str),
    /// A private key member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, or a
    /// symmetric key's `k`) where a public key is expected. The key has
    /// leaked: replace it.
    #[error("it holds the private member `{0}`: a public key was expected")]
    PrivateMember(&'static str),
    /// `kty` is neither `RSA` nor `EC`.
    #[error("its kty is not supported: only RSA and EC keys are")]
    UnsupportedKeyType,
    /// `crv` is neither `P-256` nor `P-384`.
    #[error("its crv is not supported: only P-256 and P-384 are")]
    UnsupportedCurve,
    /// `alg` is not one of [`Algorithm`](crate::Algorithm)'s.
    #[error("its alg is not supported: use RS256, RS384, RS512, ES256 or ES384")]
    UnsupportedAlgorithm,
    /// `alg` belongs to another key type or curve (`ES256` on an RSA key).
    #[error("its alg does not fit its key type or curve")]
    AlgorithmMismatch,
    /// The `kid` holds a control character (a NUL, a line break, …): a key
    /// id travels into JWS headers, logs and Okta's API, and must be
    /// printable.
    #[error("its kid has control characters")]
    KidControlCharacter,
    /// `use` is neither `sig` nor `enc`.
    #[error("its use is neither sig nor enc")]
    UnsupportedUse,
    /// The RSA modulus is outside [`MIN_RSA_BITS`](crate::jose::MIN_RSA_BITS) to
    /// [`MAX_RSA_BITS`](crate::jose::MAX_RSA_BITS) bits.
    #[error("its rsa modulus is not 2048 to 8192 bits")]
    RsaKeySize,
    /// The members do not form a valid public key: an EC coordinate of the
    /// wrong length or a point off its curve, an RSA exponent that is not
    /// odd and greater than 1, an invalid RSA modulus.
    #[error("its members do not form a valid public key")]
    InvalidKey,
}
