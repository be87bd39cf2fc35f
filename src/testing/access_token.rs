//! [`AccessTokenClaims`]: what a custom authorization server's JWT access
//! token says, as Okta writes it, with setters to make it say something
//! else for resource-server tests.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::app::DEFAULT_TOKEN_LIFETIME;
use crate::jose::b64;

/// The `cid` (and `sub`) of a minted token unless
/// [`AccessTokenClaims::client_id`] says otherwise: `0oaMockResourceClient`.
pub const MINTED_CLIENT_ID: &str = "0oaMockResourceClient";

/// The one scope (`scp`) of a minted token unless
/// [`AccessTokenClaims::scopes`] says otherwise: `mock.read`.
pub const MINTED_SCOPE: &str = "mock.read";

/// How long ago an [`expired`](AccessTokenClaims::expired) token expired:
/// 1 h, far beyond any verifier's leeway (Okta's verifiers allow 2 min).
pub const EXPIRED_AGO: Duration = Duration::from_secs(3600);

/// The claims and header of a JWT access token for
/// [`MockOkta::mint_access_token`](super::MockOkta::mint_access_token),
/// starting from what a custom authorization server issues for the client
/// credentials grant:
///
/// | member | default |
/// |---|---|
/// | header `kid` | the server's current signing key |
/// | header `alg` | `RS256` (no `typ`, as Okta) |
/// | `ver` | `1` |
/// | `jti` | `AT.` and 43 random base64url characters |
/// | `iss` | the server's issuer, `{org}/oauth2/{id}` |
/// | `aud` | the server's audience, [`CustomServer::audience`](super::CustomServer::audience) |
/// | `iat` | now, on the fake org's clock |
/// | `exp` | `iat` + [`DEFAULT_TOKEN_LIFETIME`] |
/// | `cid` | [`MINTED_CLIENT_ID`] |
/// | `scp` | `[`[`MINTED_SCOPE`]`]` |
/// | `sub` | the client id |
/// | `uid`, `cnf`, `nbf` | absent |
///
/// Each setter changes one member; [`claim`](Self::claim),
/// [`without`](Self::without), [`header`](Self::header) and
/// [`without_header`](Self::without_header) are applied last and can
/// replace, add or remove any member. Times are offsets in seconds from
/// the moment of minting, so that they follow the fake org's (paused)
/// clock.
///
/// ```
/// use okta_auth::serde_json;
/// use okta_auth::testing::AccessTokenClaims;
///
/// // A token for a user, without the scope the API needs:
/// let claims = AccessTokenClaims::new()
///     .user_id("00u1mockuser")
///     .subject("user@example.com")
///     .scopes(["orders:list"]);
/// // An expired one, and one signed by a key the JWKS does not publish:
/// let expired = AccessTokenClaims::new().expired();
/// let forged = AccessTokenClaims::new().unpublished_key();
/// // One another issuer (or a confused one) wrote:
/// let foreign = AccessTokenClaims::new().issuer("https://evil.example.com/oauth2/default");
/// // Whatever a hostile token might hold:
/// let odd = AccessTokenClaims::new()
///     .without("exp")
///     .claim("scp", "orders:read orders:write") // a string, not an array
///     .header("typ", "dpop+jwt")
///     .header("crit", serde_json::json!(["exp"]));
/// # let _ = (claims, expired, forged, foreign, odd);
/// ```
#[derive(Debug, Clone)]
pub struct AccessTokenClaims {
    client_id: String,
    subject: Option<String>,
    user_id: Option<String>,
    scopes: Vec<String>,
    jkt: Option<String>,
    issuer: Option<String>,
    audience: Option<Value>,
    lifetime: Duration,
    issued_at_offset: i64,
    expires_at_offset: Option<i64>,
    not_before_offset: Option<i64>,
    claims: Map<String, Value>,
    removed: Vec<String>,
    header: Map<String, Value>,
    removed_header: Vec<String>,
    pub(crate) unpublished_key: bool,
}

impl Default for AccessTokenClaims {
    fn default() -> Self {
        Self::new()
    }
}

impl AccessTokenClaims {
    /// The claims of the table above.
    pub fn new() -> Self {
        Self {
            client_id: MINTED_CLIENT_ID.to_owned(),
            subject: None,
            user_id: None,
            scopes: vec![MINTED_SCOPE.to_owned()],
            jkt: None,
            issuer: None,
            audience: None,
            lifetime: DEFAULT_TOKEN_LIFETIME,
            issued_at_offset: 0,
            expires_at_offset: None,
            not_before_offset: None,
            claims: Map::new(),
            removed: Vec::new(),
            header: Map::new(),
            removed_header: Vec::new(),
            unpublished_key: false,
        }
    }

    /// The client the token was issued to (`cid`, and `sub` unless
    /// [`subject`](Self::subject) is set). Defaults to
    /// [`MINTED_CLIENT_ID`].
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The subject (`sub`): the user's login for a user's token. Defaults
    /// to the client id, as for the client credentials grant.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The user's Okta id (`uid`), present in tokens issued to a user.
    /// Defaults to none (client credentials).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The granted scopes (`scp`, a JSON array; empty gives `[]`). Defaults
    /// to [`MINTED_SCOPE`] alone.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Binds the token to a DPoP key: `cnf: {"jkt": thumbprint}` (RFC 9449
    /// §6.1), e.g. [`DpopKey::thumbprint`](crate::DpopKey::thumbprint).
    /// Defaults to none (a Bearer token).
    pub fn jkt(mut self, thumbprint: impl Into<String>) -> Self {
        self.jkt = Some(thumbprint.into());
        self
    }

    /// The issuer (`iss`), e.g. another server's, or the right one with a
    /// trailing slash or `http`. Defaults to the server's issuer,
    /// `{org}/oauth2/{id}`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The audience (`aud`): a string as Okta writes it, or an array
    /// (`serde_json::json!(["a", "b"])`). Defaults to the server's
    /// [audience](super::CustomServer::audience).
    pub fn audience(mut self, audience: impl Into<Value>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The token lifetime: `exp` = `iat` + `lifetime`. Defaults to
    /// [`DEFAULT_TOKEN_LIFETIME`].
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// `iat` = now + `seconds` (negative: in the past; positive: a token
    /// issued in the future). `exp` follows unless set by
    /// [`expires_at_offset`](Self::expires_at_offset). Defaults to `0`.
    pub fn issued_at_offset(mut self, seconds: i64) -> Self {
        self.issued_at_offset = seconds;
        self
    }

    /// `exp` = now + `seconds`, whatever `iat` and the lifetime are: `-30`
    /// is a token expired 30 s ago (within a verifier's leeway). Defaults
    /// to `iat` + the [lifetime](Self::lifetime).
    pub fn expires_at_offset(mut self, seconds: i64) -> Self {
        self.expires_at_offset = Some(seconds);
        self
    }

    /// An `nbf` (not before) claim at now + `seconds`; Okta never sends
    /// one. Defaults to none.
    pub fn not_before_offset(mut self, seconds: i64) -> Self {
        self.not_before_offset = Some(seconds);
        self
    }

    /// A token that expired [`EXPIRED_AGO`] ago and lived its whole
    /// [lifetime](Self::lifetime) (set that first) before: `exp` = now −
    /// 1 h, `iat` = `exp` − lifetime.
    pub fn expired(mut self) -> Self {
        let ago = secs(EXPIRED_AGO);
        self.expires_at_offset = Some(-ago);
        self.issued_at_offset = -ago.saturating_add(secs(self.lifetime));
        self
    }

    /// Sets claim `name` to `value`, replacing its default or adding a
    /// claim Okta would not send (`client_id`, a custom claim, `exp` as a
    /// string…). Applied after every typed setter. Defaults to none.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        self.removed.retain(|n| *n != name);
        self.claims.insert(name, value.into());
        self
    }

    /// Removes claim `name` (`exp`, `iss`, `scp`…) from the token. Applied
    /// last. Defaults to none.
    pub fn without(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.claims.remove(&name);
        self.removed.push(name);
        self
    }

    /// Sets JOSE header member `name` to `value`: another `kid` (a key the
    /// JWKS does not publish), `typ`, `crit`, `jku`, `jwk`, or an `alg` the
    /// signature is not made with (the signature stays RS256). Defaults to
    /// `{"kid": current key, "alg": "RS256"}`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        self.removed_header.retain(|n| *n != name);
        self.header.insert(name, value.into());
        self
    }

    /// Removes JOSE header member `name` (e.g. `kid`). Defaults to none.
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.header.remove(&name);
        self.removed_header.push(name);
        self
    }

    /// Signs with a committed test key that no server's JWKS publishes,
    /// under its own `kid` (its thumbprint), unless
    /// [`header`](Self::header) sets a `kid`: with the `kid` of a
    /// published key, the signature does not verify. Defaults to the
    /// server's current signing key.
    pub fn unpublished_key(mut self) -> Self {
        self.unpublished_key = true;
        self
    }

    /// The header and claims, for a token minted at unix time `now` by
    /// the server with this issuer and audience, signed by key `kid`.
    pub(crate) fn resolve(
        &self,
        issuer: &str,
        audience: &str,
        kid: &str,
        now: u64,
    ) -> (Map<String, Value>, Map<String, Value>) {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let iat = now.saturating_add(self.issued_at_offset);
        let exp = match self.expires_at_offset {
            Some(offset) => now.saturating_add(offset),
            None => iat.saturating_add(secs(self.lifetime)),
        };
        // `json!` on strings, integers and string lists cannot fail.
        let mut claims = Map::new();
        let mut put = |name: &str, value: Value| {
            claims.insert(name.to_owned(), value);
        };
        put("ver", json!(1));
        put("jti", json!(new_jti()));
        put("iss", json!(self.issuer.as_deref().unwrap_or(issuer)));
        put(
            "aud",
            self.audience.clone().unwrap_or_else(|| json!(audience)),
        );
        put("iat", json!(iat));
        put("exp", json!(exp));
        if let Some(offset) = self.not_before_offset {
            put("nbf", json!(now.saturating_add(offset)));
        }
        put("cid", json!(self.client_id));
        if let Some(uid) = &self.user_id {
            put("uid", json!(uid));
        }
        put("scp", json!(self.scopes));
        put(
            "sub",
            json!(self.subject.as_ref().unwrap_or(&self.client_id)),
        );
        if let Some(jkt) = &self.jkt {
            put("cnf", json!({ "jkt": jkt }));
        }
        claims.extend(self.claims.clone());
        for name in &self.removed {
            claims.remove(name);
        }

        let mut header = Map::new();
        header.insert("kid".to_owned(), json!(kid));
        header.insert("alg".to_owned(), json!("RS256"));
        header.extend(self.header.clone());
        for name in &self.removed_header {
            header.remove(name);
        }
        (header, claims)
    }
}

fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// An Okta access token id: `AT.` and 32 random bytes, base64url.
fn new_jti() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("AT.{}", b64::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "http://127.0.0.1:1/oauth2/default";

    #[test]
    fn defaults_are_a_client_credentials_token() {
        let (header, claims) = AccessTokenClaims::new().resolve(ISS, "api://default", "k1", 1000);
        assert_eq!(Value::Object(header), json!({"kid": "k1", "alg": "RS256"}));
        let jti = claims["jti"].as_str().unwrap().to_owned();
        assert!(jti.starts_with("AT.") && jti.len() == 46, "{jti}");
        assert_eq!(
            Value::Object(claims),
            json!({
                "ver": 1, "jti": jti, "iss": ISS, "aud": "api://default",
                "iat": 1000, "exp": 4600, "cid": MINTED_CLIENT_ID,
                "scp": [MINTED_SCOPE], "sub": MINTED_CLIENT_ID,
            })
        );
    }

    #[test]
    fn times_are_offsets_from_now() {
        let at = |c: AccessTokenClaims| {
            let (_, claims) = c.resolve(ISS, "a", "k", 10_000);
            (
                claims["iat"].clone(),
                claims["exp"].clone(),
                claims.get("nbf").cloned(),
            )
        };
        let expired = AccessTokenClaims::new()
            .lifetime(Duration::from_secs(300))
            .expired();
        assert_eq!(at(expired), (json!(6100), json!(6400), None));
        let ahead = AccessTokenClaims::new()
            .issued_at_offset(60)
            .not_before_offset(30);
        assert_eq!(
            at(ahead),
            (json!(10_060), json!(13_660), Some(json!(10_030)))
        );
        let late = AccessTokenClaims::new().expires_at_offset(-30);
        assert_eq!(at(late), (json!(10_000), json!(9_970), None));
    }

    #[test]
    fn raw_members_override_and_remove_last() {
        let (header, claims) = AccessTokenClaims::new()
            .client_id("0oa-x")
            .claim("cid", "0oa-y")
            .without("exp")
            .claim("exp", "soon")
            .without("sub")
            .header("kid", "other")
            .without_header("alg")
            .resolve(ISS, "a", "k", 0);
        assert_eq!(claims["cid"], "0oa-y");
        assert_eq!(claims["exp"], "soon");
        assert!(claims.get("sub").is_none());
        assert_eq!(Value::Object(header), json!({"kid": "other"}));
    }
}
