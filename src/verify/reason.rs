//! [`RejectReason`]: why a token or a request was refused, with the status,
//! the OAuth error code and the description of each reason.

use http::StatusCode;

/// Why a token or a request was refused: one variant per check, each with
/// its HTTP status, OAuth error code and a fixed description (see
/// [`Rejection`](super::Rejection)). Never holds the token or the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// No `Authorization` header, or one with a scheme other than `Bearer`
    /// and `DPoP`. `401` with a bare challenge (RFC 6750 §3.1: no error
    /// code when no credentials were sent).
    MissingCredentials,
    /// More than one `Authorization` header, or one that is not
    /// `scheme SP token68`. `400 invalid_request`.
    InvalidRequest,
    /// The token is longer than [`MAX_TOKEN_LEN`](super::MAX_TOKEN_LEN).
    TokenTooLarge,
    /// The token is not a compact JWS: three strict base64url segments,
    /// the first two JSON objects.
    MalformedToken,
    /// `typ` is neither absent, `JWT` nor `at+jwt` (a DPoP proof's
    /// `dpop+jwt` among others).
    TokenType,
    /// `alg` is not among the accepted algorithms (`none` and `HS*` never
    /// are).
    Algorithm,
    /// The header has `crit` (no extension is understood).
    CriticalHeader,
    /// The header carries its own key or a pointer to one (`jwk`, `jku`,
    /// `x5u`, `x5c`): keys come from the issuer's key set only.
    EmbeddedKey,
    /// The header has no `kid`.
    MissingKeyId,
    /// No key of the issuer's key set has this `kid`, even after the key
    /// set was fetched again (at most once per
    /// [`MIN_JWKS_REFETCH_INTERVAL`](super::MIN_JWKS_REFETCH_INTERVAL)).
    UnknownKeyId,
    /// `alg` does not fit the key (an RSA algorithm with an EC key, or not
    /// the key's own `alg`).
    KeyMismatch,
    /// The signature does not verify.
    Signature,
    /// A required claim (`iss`, `aud`, `exp`, `iat`) is missing, or a claim
    /// has the wrong type (`exp` as a string, `scp` not an array).
    MalformedClaims,
    /// `iss` is not exactly the issuer.
    Issuer,
    /// `aud` does not name an expected audience.
    Audience,
    /// `exp` has passed, beyond the leeway.
    Expired,
    /// `nbf` is ahead, beyond the leeway.
    NotYetValid,
    /// `iat` is ahead, beyond the leeway.
    IssuedInFuture,
    /// `cid` is not among the allowed client ids.
    ClientNotAllowed,
    /// `scp` lacks a required scope. `403 insufficient_scope`, with the
    /// required scopes in the challenge's `scope`.
    InsufficientScope,
    /// A DPoP-bound token (`cnf.jkt`) was sent as a Bearer token, or given
    /// to [`verify`](super::AccessTokenVerifier::verify), where no proof
    /// can be checked.
    BoundTokenAsBearer,
    /// A token that is not DPoP-bound was sent with the `DPoP` scheme.
    TokenNotBound,
    /// A Bearer token was sent, and this verifier accepts DPoP-bound tokens
    /// only.
    DpopRequired,
    /// The token is bound (`cnf`) by a method other than DPoP (`x5t#S256`).
    UnsupportedBinding,
    /// The `DPoP` scheme without a `DPoP` proof header.
    MissingProof,
    /// More than one `DPoP` proof header.
    MultipleProofs,
    /// The proof is not a compact JWS of at most
    /// [`MAX_PROOF_LEN`](super::MAX_PROOF_LEN) bytes, or has `crit`.
    MalformedProof,
    /// The proof's `typ` is not `dpop+jwt`.
    ProofType,
    /// The proof's `alg` is not among the accepted DPoP algorithms.
    ProofAlgorithm,
    /// The proof's `jwk` is missing, not a supported public key, or does
    /// not fit its `alg`.
    ProofKey,
    /// The proof's `jwk` holds private key members.
    ProofPrivateKey,
    /// The proof's signature does not verify with its `jwk`.
    ProofSignature,
    /// A required proof claim (`htm`, `htu`, `iat`, `jti`, `ath`) is
    /// missing or mistyped.
    ProofClaims,
    /// `htm` is not the request method.
    ProofMethod,
    /// `htu` is not the request URL (both normalized, query and fragment
    /// ignored).
    ProofUrl,
    /// The proof's `iat` is older than the proof max age or ahead beyond
    /// the leeway.
    ProofIssuedAt,
    /// `ath` is not the base64url SHA-256 of the access token.
    ProofTokenHash,
    /// The proof's key is not the key the token is bound to (`cnf.jkt`).
    /// `invalid_token`, as RFC 9449 §7.1 says.
    ProofKeyBinding,
    /// The proof's `jti` was seen before: a replay.
    ProofReplayed,
    /// The proof lacks the server's current nonce (or carries a stale
    /// one): `401 use_dpop_nonce` with the nonce in `DPoP-Nonce`.
    UseDpopNonce,
    /// The issuer's keys cannot be had: none was ever fetched and the key
    /// set (or the metadata) cannot be fetched now. `503`: the server, not
    /// the token, is at fault. [`Rejection::error`](super::Rejection::error)
    /// says why.
    KeysUnavailable,
    /// The replay or nonce store could not answer (full, or unreachable):
    /// the proof cannot be checked, so it is refused (fail closed). `503`;
    /// [`Rejection::error`](super::Rejection::error) says why.
    DpopStoreUnavailable,
}

/// What kind of answer a reason gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `401`, a challenge without an error code.
    NoCredentials,
    /// `400 invalid_request`.
    InvalidRequest,
    /// `401 invalid_token`.
    InvalidToken,
    /// `401 invalid_token` about the DPoP binding: a `DPoP` challenge.
    Binding,
    /// `403 insufficient_scope`.
    InsufficientScope,
    /// `401 invalid_dpop_proof`: a `DPoP` challenge.
    InvalidProof,
    /// `401 use_dpop_nonce` + `DPoP-Nonce`.
    UseNonce,
    /// `503`, no challenge.
    Unavailable,
}

impl RejectReason {
    pub(crate) fn kind(self) -> Kind {
        use RejectReason::*;
        match self {
            MissingCredentials => Kind::NoCredentials,
            InvalidRequest => Kind::InvalidRequest,
            TokenTooLarge | MalformedToken | TokenType | Algorithm | CriticalHeader
            | EmbeddedKey | MissingKeyId | UnknownKeyId | KeyMismatch | Signature
            | MalformedClaims | Issuer | Audience | Expired | NotYetValid | IssuedInFuture
            | ClientNotAllowed | UnsupportedBinding => Kind::InvalidToken,
            BoundTokenAsBearer | TokenNotBound | DpopRequired | ProofKeyBinding => Kind::Binding,
            InsufficientScope => Kind::InsufficientScope,
            MissingProof | MultipleProofs | MalformedProof | ProofType | ProofAlgorithm
            | ProofKey | ProofPrivateKey | ProofSignature | ProofClaims | ProofMethod
            | ProofUrl | ProofIssuedAt | ProofTokenHash | ProofReplayed => Kind::InvalidProof,
            UseDpopNonce => Kind::UseNonce,
            KeysUnavailable | DpopStoreUnavailable => Kind::Unavailable,
        }
    }

    /// The HTTP status to answer with: `401`, `400` (`invalid_request`),
    /// `403` (`insufficient_scope`) or `503` (keys or store unavailable).
    pub fn status(self) -> StatusCode {
        match self.kind() {
            Kind::InvalidRequest => StatusCode::BAD_REQUEST,
            Kind::InsufficientScope => StatusCode::FORBIDDEN,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The OAuth error code of the challenge (`invalid_token`,
    /// `invalid_dpop_proof`, `use_dpop_nonce`, `insufficient_scope`,
    /// `invalid_request`); `None` for missing credentials and `503`s.
    pub fn error_code(self) -> Option<&'static str> {
        match self.kind() {
            Kind::NoCredentials | Kind::Unavailable => None,
            Kind::InvalidRequest => Some("invalid_request"),
            Kind::InvalidToken | Kind::Binding => Some("invalid_token"),
            Kind::InsufficientScope => Some("insufficient_scope"),
            Kind::InvalidProof => Some("invalid_dpop_proof"),
            Kind::UseNonce => Some("use_dpop_nonce"),
        }
    }

    /// A fixed, lower-case description: the challenge's
    /// `error_description`. It never holds anything of the request.
    pub fn description(self) -> &'static str {
        use RejectReason::*;
        match self {
            MissingCredentials => "no access token was sent",
            InvalidRequest => "the authorization header is malformed or repeated",
            TokenTooLarge => "the access token is too large",
            MalformedToken => "the access token is not a compact jws",
            TokenType => "the access token's typ is not jwt or at+jwt",
            Algorithm => "the access token's alg is not accepted",
            CriticalHeader => "the access token has critical header parameters",
            EmbeddedKey => "the access token names its own key (jwk, jku, x5u or x5c)",
            MissingKeyId => "the access token has no kid",
            UnknownKeyId => "the access token's kid is not in the issuer's key set",
            KeyMismatch => "the access token's alg does not fit its key",
            Signature => "the access token's signature is invalid",
            MalformedClaims => "the access token's claims are missing or mistyped",
            Issuer => "the access token's iss is not the expected issuer",
            Audience => "the access token's aud is not this api",
            Expired => "the access token has expired",
            NotYetValid => "the access token is not valid yet",
            IssuedInFuture => "the access token was issued in the future",
            ClientNotAllowed => "the access token's client is not allowed",
            InsufficientScope => "the access token lacks a required scope",
            BoundTokenAsBearer => "the access token is dpop-bound: send it with the dpop scheme",
            TokenNotBound => "the access token is not dpop-bound",
            DpopRequired => "a dpop-bound access token is required",
            UnsupportedBinding => "the access token is bound by a method other than dpop",
            MissingProof => "the dpop proof is missing",
            MultipleProofs => "more than one dpop proof was sent",
            MalformedProof => "the dpop proof is not a compact jws",
            ProofType => "the dpop proof's typ is not dpop+jwt",
            ProofAlgorithm => "the dpop proof's alg is not accepted",
            ProofKey => "the dpop proof's jwk is missing or unusable",
            ProofPrivateKey => "the dpop proof's jwk holds a private key",
            ProofSignature => "the dpop proof's signature is invalid",
            ProofClaims => "the dpop proof's claims are missing or mistyped",
            ProofMethod => "the dpop proof's htm is not the request method",
            ProofUrl => "the dpop proof's htu is not the request url",
            ProofIssuedAt => "the dpop proof's iat is outside the accepted window",
            ProofTokenHash => "the dpop proof's ath does not match the access token",
            ProofKeyBinding => "the dpop proof's key is not the access token's key",
            ProofReplayed => "the dpop proof was already used",
            UseDpopNonce => "the dpop proof must carry the server's nonce",
            KeysUnavailable => "the issuer's signing keys cannot be fetched",
            DpopStoreUnavailable => "the dpop replay or nonce store cannot answer",
        }
    }
}
