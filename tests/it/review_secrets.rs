//! Review: secrets kept out of every printable form, and parsers of
//! outside input that accept what they should refuse.

use okta_auth::{Jwk, JwkSet, SigningKey};

use crate::signing_key::fixture;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A P-256 JWK whose `x`/`y` have the right length but name no point of
/// the curve.
fn off_curve_p256() -> String {
    format!(
        r#"{{"kty":"EC","crv":"P-256","kid":"a","x":"{}","y":"{}"}}"#,
        b64(&[1; 32]),
        b64(&[2; 32])
    )
}

/// `ReceivedRequest`'s `Debug` (what a failing test prints) must not show
/// the client assertion: a signed credential, good at the token endpoint
/// until it expires. Only `client_secret` is redacted from `form`.
#[cfg(feature = "test-util")]
#[tokio::test]
async fn received_request_debug_hides_the_client_assertion() {
    use okta_auth::testing::{MockOkta, ServiceApp};
    use okta_auth::{ServiceAppSource, TokenSource};
    let key = SigningKey::generate_p256().with_kid("k1");
    let okta = MockOkta::start().await;
    okta.register_service_app(
        ServiceApp::new("0oaX")
            .jwk(key.public_jwk())
            .scopes(["okta.users.read"]),
    )
    .unwrap();
    let source = ServiceAppSource::builder(okta.org_url(), "0oaX")
        .private_key(key)
        .scopes(["okta.users.read"])
        .build()
        .unwrap();
    source.token().await.unwrap();
    let received = okta.received();
    let token_request = received
        .iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    let assertion = token_request
        .form
        .iter()
        .find(|(k, _)| k == "client_assertion")
        .map(|(_, v)| v.clone())
        .unwrap();
    let signature = assertion.rsplit('.').next().unwrap().to_owned();
    for dump in [format!("{token_request:?}"), format!("{received:?}")] {
        assert!(
            !dump.contains(&signature),
            "the client assertion is printed: {dump}"
        );
    }
}

/// RFC 7518 §6.2.1: `x`/`y` are a point of the curve. A `Jwk` that can
/// never verify anything parses today (only `verifying_key` finds out).
#[test]
fn public_jwk_refuses_an_ec_point_off_its_curve() {
    let r = off_curve_p256().parse::<Jwk>();
    assert!(r.is_err(), "off-curve point accepted: {r:?}");
    let r = serde_json::from_str::<Jwk>(&off_curve_p256());
    assert!(r.is_err(), "off-curve point accepted by serde: {r:?}");
}

/// A JWK set skips keys it cannot use (RFC 7517 §5); an off-curve key is
/// kept and `find` returns it.
#[test]
fn jwk_set_skips_an_ec_key_off_its_curve() {
    let set: JwkSet = format!(r#"{{"keys":[{}]}}"#, off_curve_p256())
        .parse()
        .unwrap();
    assert!(set.find("a").is_none(), "off-curve key kept: {set:?}");
}

/// An RSA public exponent must be odd and greater than 1; `e` = 1 makes
/// "signatures" trivially forgeable and an even `e` is no RSA key.
#[test]
fn public_jwk_refuses_an_rsa_exponent_of_one_or_even() {
    let n = b64(&[0xc5; 256]);
    let mut accepted = Vec::new();
    for (name, e) in [
        ("1", b64(&[1])),
        ("2", b64(&[2])),
        ("65536", b64(&[1, 0, 0])),
    ] {
        let json = format!(r#"{{"kty":"RSA","n":"{n}","e":"{e}"}}"#);
        if json.parse::<Jwk>().is_ok() {
            accepted.push(name);
        }
    }
    assert!(accepted.is_empty(), "e accepted: {accepted:?}");
}

/// A `kid` with control characters (NUL, CR, LF) is accepted by the public
/// and the private JWK readers, and then travels into assertion headers,
/// `Debug`, `tracing` fields and the admin API.
#[test]
fn jwk_kid_with_control_characters_is_refused() {
    let mut public = serde_json::to_value(SigningKey::generate_p256().public_jwk()).unwrap();
    public["kid"] = "a\u{0}\r\nb".into();
    let public = public.to_string().parse::<Jwk>();

    let mut private: serde_json::Value =
        serde_json::from_str(&fixture("ec-p256-private.jwk.json")).unwrap();
    private["kid"] = "a\r\nb".into();
    let private = SigningKey::from_jwk(&private.to_string());

    assert!(
        public.is_err() && private.is_err(),
        "kid accepted: public {public:?}, private {private:?}"
    );
}
