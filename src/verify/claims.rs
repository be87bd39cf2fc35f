//! [`Claims`]: what a verified access token says, and the checks of its
//! claims.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::rejection::{RejectReason, Rejection, Scheme};
use crate::error::Error;

/// The claims of a verified access token: Okta's (`cid`, `uid`, `scp`),
/// the registered ones, and `cnf.jkt` for a DPoP-bound token; all of them
/// in the caller's own type with [`claims`](Self::claims).
///
/// `Debug` shows the typed claims (never the token, which this does not
/// hold).
#[derive(Clone)]
pub struct Claims {
    pub(crate) iss: String,
    pub(crate) sub: Option<String>,
    pub(crate) aud: Vec<String>,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) nbf: Option<u64>,
    pub(crate) jti: Option<String>,
    pub(crate) cid: Option<String>,
    pub(crate) uid: Option<String>,
    pub(crate) scp: Vec<String>,
    pub(crate) jkt: Option<String>,
    /// The decoded payload, for [`claims`](Self::claims).
    payload: Arc<[u8]>,
    /// The `algs` of a `DPoP` challenge, for [`require_scopes`](Self::require_scopes).
    dpop_algs: Arc<str>,
    /// A newer `DPoP-Nonce` to send with the response.
    pub(crate) next_dpop_nonce: Option<String>,
}

impl Claims {
    /// The issuer (`iss`): exactly the verifier's.
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// The subject (`sub`): the user's login, or the client id for client
    /// credentials.
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    /// The audiences (`aud`, a string or an array in the token); one of
    /// them is expected by the verifier.
    pub fn aud(&self) -> &[String] {
        &self.aud
    }

    /// Expiry (`exp`), in seconds since the Unix epoch.
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// Issued at (`iat`), in seconds since the Unix epoch.
    pub fn iat(&self) -> u64 {
        self.iat
    }

    /// Not before (`nbf`), in seconds since the Unix epoch, if present.
    pub fn nbf(&self) -> Option<u64> {
        self.nbf
    }

    /// The token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// Okta's client id (`cid`): the application the token was issued to.
    pub fn cid(&self) -> Option<&str> {
        self.cid.as_deref()
    }

    /// Okta's user id (`uid`); absent for client credentials.
    pub fn uid(&self) -> Option<&str> {
        self.uid.as_deref()
    }

    /// The granted scopes (`scp`).
    pub fn scp(&self) -> &[String] {
        &self.scp
    }

    /// The thumbprint of the key the token is bound to (`cnf.jkt`): `Some`
    /// for a DPoP-bound token, whose proof has been checked.
    pub fn jkt(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// Whether `scp` holds `scope`, compared whole (`orders:read` is not
    /// granted by `orders:readonly`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp.iter().any(|s| s == scope)
    }

    /// `Ok` if `scp` holds every one of `scopes`, else the `403
    /// insufficient_scope` [`Rejection`] to answer with (naming `scopes`
    /// in its challenge): for scopes that only some routes require.
    /// Scopes that are not RFC 6749 scope tokens are left out of the
    /// challenge.
    pub fn require_scopes(&self, scopes: &[&str]) -> Result<(), Rejection> {
        if scopes.iter().all(|s| self.has_scope(s)) {
            return Ok(());
        }
        let shown: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| is_scope_token(s))
            .collect();
        let scheme = if self.jkt.is_some() {
            Scheme::Dpop
        } else {
            Scheme::Bearer
        };
        Err(Rejection::new(
            RejectReason::InsufficientScope,
            scheme,
            Arc::clone(&self.dpop_algs),
        )
        .with_scope((!shown.is_empty()).then(|| shown.join(" ").into())))
    }

    /// All claims in your own type (say, to read a custom claim Okta adds
    /// for your API).
    ///
    /// Fails with [`Error::Config`] when they do not fit `T` (a missing or
    /// mistyped member); the message names no claim value.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.payload).map_err(|e| {
            Error::Config(format!(
                "the token's claims do not fit {} (line {}, column {})",
                std::any::type_name::<T>(),
                e.line(),
                e.column()
            ))
        })
    }

    /// A newer server nonce to send back in a `DPoP-Nonce` response header
    /// (RFC 9449 §8.2): set when the proof carried the previous nonce, still
    /// accepted during its grace period, so that the client moves on before
    /// it expires. `None` without server nonces.
    pub fn next_dpop_nonce(&self) -> Option<&str> {
        self.next_dpop_nonce.as_deref()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("jti", &self.jti)
            .field("cid", &self.cid)
            .field("uid", &self.uid)
            .field("scp", &self.scp)
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

/// Whether `scope` is an RFC 6749 §3.3 scope token: non-empty, printable
/// ASCII without space, `"` or `\` (so it fits a quoted challenge value).
pub(crate) fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// The claims as they come; checked by [`check`].
#[derive(Deserialize)]
pub(crate) struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<OneOrMany>,
    exp: Option<NumericDate>,
    iat: Option<NumericDate>,
    nbf: Option<NumericDate>,
    jti: Option<String>,
    cid: Option<String>,
    uid: Option<String>,
    scp: Option<Vec<String>>,
    cnf: Option<Confirmation>,
}

#[derive(Deserialize)]
struct Confirmation {
    jkt: Option<String>,
}

/// What the claims must say.
pub(crate) struct Expect<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) audiences: &'a [String],
    pub(crate) client_ids: &'a [String],
    pub(crate) leeway: u64,
    pub(crate) now: u64,
    pub(crate) dpop_algs: &'a Arc<str>,
}

/// Checks the claims (all but the scopes), in this order: the required
/// ones present, `iss` exactly, `aud`, `exp`, `nbf`, `iat`, `cid`, `cnf`.
pub(crate) fn check(
    raw: RawClaims,
    payload: Vec<u8>,
    expect: &Expect<'_>,
) -> Result<Claims, RejectReason> {
    let (Some(iss), Some(aud), Some(NumericDate(exp)), Some(NumericDate(iat))) =
        (raw.iss, raw.aud, raw.exp, raw.iat)
    else {
        return Err(RejectReason::MalformedClaims);
    };
    if iss != expect.issuer {
        return Err(RejectReason::Issuer);
    }
    if !aud.0.iter().any(|a| expect.audiences.contains(a)) {
        return Err(RejectReason::Audience);
    }
    let (now, leeway) = (expect.now, expect.leeway);
    // RFC 7519: valid while now < exp; the leeway widens every bound.
    if now >= exp.saturating_add(leeway) {
        return Err(RejectReason::Expired);
    }
    let nbf = raw.nbf.map(|n| n.0);
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(RejectReason::NotYetValid);
    }
    if iat > now.saturating_add(leeway) {
        return Err(RejectReason::IssuedInFuture);
    }
    if !expect.client_ids.is_empty()
        && !raw
            .cid
            .as_ref()
            .is_some_and(|cid| expect.client_ids.contains(cid))
    {
        return Err(RejectReason::ClientNotAllowed);
    }
    let jkt = match raw.cnf {
        None => None,
        Some(Confirmation { jkt: Some(jkt) }) if !jkt.is_empty() => Some(jkt),
        Some(_) => return Err(RejectReason::UnsupportedBinding),
    };
    Ok(Claims {
        iss,
        sub: raw.sub,
        aud: aud.0,
        exp,
        iat,
        nbf,
        jti: raw.jti,
        cid: raw.cid,
        uid: raw.uid,
        scp: raw.scp.unwrap_or_default(),
        jkt,
        payload: payload.into(),
        dpop_algs: Arc::clone(expect.dpop_algs),
        next_dpop_nonce: None,
    })
}

/// A JWT NumericDate (RFC 7519 §2): a non-negative JSON number of seconds,
/// fractions dropped. A string, a negative or a non-finite number is
/// refused.
pub(crate) struct NumericDate(pub(crate) u64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number of seconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                Ok(NumericDate(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                u64::try_from(v)
                    .map(NumericDate)
                    .map_err(|_| E::custom("a negative date"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                if v.is_finite() && (0.0..1.8e19).contains(&v) {
                    // In range and finite: the cast only drops the fraction.
                    Ok(NumericDate(v as u64))
                } else {
                    Err(E::custom("a date out of range"))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `aud`: a string or an array of strings.
struct OneOrMany(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Option<RawClaims> {
        super::super::jws::object(json.as_bytes())
    }

    fn run(json: &str, now: u64) -> Result<Claims, RejectReason> {
        let algs: Arc<str> = "ES256".into();
        let expect = Expect {
            issuer: "https://o.example.com/oauth2/default",
            audiences: &["api://default".into()],
            client_ids: &["app".into()],
            leeway: 120,
            now,
            dpop_algs: &algs,
        };
        check(
            raw(json).ok_or(RejectReason::MalformedClaims)?,
            json.into(),
            &expect,
        )
    }

    const BASE: &str =
        r#""iss":"https://o.example.com/oauth2/default","aud":"api://default","cid":"app""#;

    #[test]
    fn times_and_types() {
        let t = |rest: &str| run(&format!("{{{BASE},{rest}}}"), 1000);
        assert!(t(r#""exp":1100,"iat":900"#).is_ok());
        assert!(t(r#""exp":1100.5,"iat":900.25"#).is_ok());
        assert_eq!(
            t(r#""exp":879,"iat":800"#).unwrap_err(),
            RejectReason::Expired
        );
        assert!(t(r#""exp":881,"iat":800"#).is_ok(), "within the leeway");
        assert_eq!(
            t(r#""exp":"2000","iat":900"#).unwrap_err(),
            RejectReason::MalformedClaims
        );
        assert_eq!(
            t(r#""exp":-1,"iat":900"#).unwrap_err(),
            RejectReason::MalformedClaims
        );
        assert_eq!(
            t(r#""iat":900"#).unwrap_err(),
            RejectReason::MalformedClaims
        );
        assert_eq!(
            t(r#""exp":2000"#).unwrap_err(),
            RejectReason::MalformedClaims
        );
        assert_eq!(
            t(r#""exp":2000,"iat":1121"#).unwrap_err(),
            RejectReason::IssuedInFuture
        );
        assert_eq!(
            t(r#""exp":2000,"iat":900,"nbf":1121"#).unwrap_err(),
            RejectReason::NotYetValid
        );
        assert_eq!(
            t(r#""exp":2000,"iat":900,"scp":"a b""#).unwrap_err(),
            RejectReason::MalformedClaims
        );
        assert_eq!(
            t(r#""exp":2000,"iat":900,"cnf":{"x5t#S256":"abc"}"#).unwrap_err(),
            RejectReason::UnsupportedBinding
        );
    }

    #[test]
    fn audience_and_scopes() {
        let ok = run(
            r#"{"iss":"https://o.example.com/oauth2/default","aud":["x","api://default"],"cid":"app","exp":2000,"iat":900,"scp":["orders:readonly"]}"#,
            1000,
        )
        .unwrap();
        assert!(!ok.has_scope("orders:read"));
        let r = ok.require_scopes(&["orders:read"]).unwrap_err();
        assert_eq!(r.status(), http::StatusCode::FORBIDDEN);
        assert_eq!(
            r.www_authenticate().unwrap(),
            "Bearer error=\"insufficient_scope\", error_description=\"the access token lacks a required scope\", scope=\"orders:read\""
        );
        assert!(ok.require_scopes(&["orders:readonly"]).is_ok());
        #[derive(Deserialize)]
        struct Mine {
            cid: String,
        }
        assert_eq!(ok.claims::<Mine>().unwrap().cid, "app");
        assert!(ok.claims::<Vec<u8>>().is_err());
    }
}
