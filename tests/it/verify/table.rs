//! One table of tokens and proofs, each with its verdict; every refusal's
//! answer read back with `AuthChallenge` and searched for the token.

use okta_auth::http::{HeaderMap, HeaderValue, Method};
use okta_auth::verify::{AccessTokenVerifier, RejectReason};
use okta_auth::{AuthChallenge, DpopKey};
use serde_json::{Value, json};

use super::support::*;

/// Which verifier judges a row.
#[derive(Clone, Copy, Debug)]
enum V {
    /// RS256 only (the default), allowed client ids and a required scope.
    Strict,
    /// Also accepts ES256 tokens.
    WithEs256,
}

struct Row {
    name: &'static str,
    v: V,
    method: Method,
    headers: HeaderMap,
    /// What must not appear in the answer.
    secrets: Vec<String>,
    expect: Result<(), RejectReason>,
}

fn row(name: &'static str, headers: HeaderMap, expect: Result<(), RejectReason>) -> Row {
    let secrets = headers
        .iter()
        .filter_map(|(_, v)| v.to_str().ok())
        .flat_map(|v| v.split(' ').map(str::to_owned))
        .filter(|part| part.len() > 20)
        .collect();
    Row {
        name,
        v: V::Strict,
        method: GET,
        headers,
        secrets,
        expect,
    }
}

fn bearer(name: &'static str, token: &str, expect: Result<(), RejectReason>) -> Row {
    row(name, headers("Bearer", token, &[]), expect)
}

fn dpop(name: &'static str, token: &str, proof: &str, expect: Result<(), RejectReason>) -> Row {
    row(name, headers("DPoP", token, &[proof]), expect)
}

fn refused(reason: RejectReason) -> Result<(), RejectReason> {
    Err(reason)
}

const OK: Result<(), RejectReason> = Ok(());

/// A token's segments re-encoded by `f` (padding, alphabet, …).
fn tamper(token: &str, f: impl Fn(usize, &str) -> String) -> String {
    token
        .split('.')
        .enumerate()
        .map(|(i, s)| f(i, s))
        .collect::<Vec<_>>()
        .join(".")
}

fn rows(issuer: &Issuer) -> Vec<Row> {
    use RejectReason::*;
    let key = Key::issuer();
    let ec = Key::ec("ec-1");
    let attacker = Key::rotated("k1");
    let now = now();
    let t = |changes: Value| issuer.token_with(changes);
    let claims = issuer.claims();
    let valid = t(json!({}));
    let with_header = |h: Value| key.sign(&h, &claims);

    // DPoP: a token bound to the fixture EC key, and proofs for it.
    let bound = issuer.bound_token(&ec.thumbprint());
    let p = |changes: Value| proof(&ec, &bound, changes);
    let replayed = p(json!({}));
    let mut private_jwk = ec.bare_jwk();
    let d: Value =
        serde_json::from_str(include_str!("../../fixtures/keys/ec-p256-private.jwk.json")).unwrap();
    private_jwk["d"] = d["d"].clone();
    let other = DpopKey::generate();
    let other_proof = other
        .proof(&GET, &api_url(), None, Some(bound.as_str()))
        .unwrap();
    let flipped_sig = |jws: &str| {
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let mut bytes = base64_decode(sig);
        bytes[10] ^= 1;
        format!("{input}.{}", b64(bytes))
    };

    let mut rows = vec![
        // The good ones.
        bearer("valid bearer", &valid, OK),
        bearer(
            "typ at+jwt",
            &key.sign(&json!({"alg":"RS256","kid":KID,"typ":"at+jwt"}), &claims),
            OK,
        ),
        bearer(
            "typ JWT",
            &key.sign(&json!({"alg":"RS256","kid":KID,"typ":"JWT"}), &claims),
            OK,
        ),
        bearer(
            "aud in an array",
            &t(json!({"aud":["other", AUDIENCE]})),
            OK,
        ),
        bearer("fractional dates", &t(json!({"iat": now as f64 + 0.5})), OK),
        dpop("valid dpop", &bound, &p(json!({})), OK),
        dpop(
            "htu with another query",
            &bound,
            &p(json!({"htu":"https://api.example.com/orders/42?x=1"})),
            OK,
        ),
        dpop(
            "htu with upper-case host and default port",
            &bound,
            &p(json!({"htu":"https://API.example.com:443/orders/42"})),
            OK,
        ),
        // Time.
        bearer(
            "expired",
            &t(json!({"exp": now - 300, "iat": now - 4000})),
            refused(Expired),
        ),
        bearer(
            "expired within the leeway",
            &t(json!({"exp": now - 60, "iat": now - 4000})),
            OK,
        ),
        bearer(
            "nbf ahead",
            &t(json!({"nbf": now + 600})),
            refused(NotYetValid),
        ),
        bearer(
            "nbf ahead within the leeway",
            &t(json!({"nbf": now + 60})),
            OK,
        ),
        bearer(
            "iat ahead",
            &t(json!({"iat": now + 600})),
            refused(IssuedInFuture),
        ),
        bearer("no exp", &t(json!({"exp": null})), refused(MalformedClaims)),
        bearer(
            "exp as a string",
            &t(json!({"exp": (now + 3600).to_string()})),
            refused(MalformedClaims),
        ),
        bearer("no iat", &t(json!({"iat": null})), refused(MalformedClaims)),
        // Who.
        bearer(
            "iss with a trailing slash",
            &t(json!({"iss": format!("{}/", issuer.issuer)})),
            refused(Issuer),
        ),
        bearer(
            "iss over https instead of http",
            &t(json!({"iss": issuer.issuer.replacen("http:", "https:", 1)})),
            refused(Issuer),
        ),
        bearer(
            "iss of another server",
            &t(json!({"iss": issuer.issuer.replace("/default", "/aus9other")})),
            refused(Issuer),
        ),
        bearer(
            "iss of the org server",
            &t(json!({"iss": issuer.server.uri()})),
            refused(Issuer),
        ),
        bearer("no iss", &t(json!({"iss": null})), refused(MalformedClaims)),
        bearer(
            "aud of another api",
            &t(json!({"aud": "api://other"})),
            refused(Audience),
        ),
        bearer("no aud", &t(json!({"aud": null})), refused(MalformedClaims)),
        bearer(
            "cid not allowed",
            &t(json!({"cid": "0oaSomeoneElse"})),
            refused(ClientNotAllowed),
        ),
        bearer(
            "no cid",
            &t(json!({"cid": null})),
            refused(ClientNotAllowed),
        ),
        bearer(
            "scope missing",
            &t(json!({"scp": ["orders:write"]})),
            refused(InsufficientScope),
        ),
        bearer(
            "scope by substring",
            &t(json!({"scp": ["orders:readonly"]})),
            refused(InsufficientScope),
        ),
        bearer(
            "scp as a string",
            &t(json!({"scp": SCOPE})),
            refused(MalformedClaims),
        ),
        // The header.
        bearer(
            "alg none",
            &compact(&json!({"alg":"none","kid":KID}), &claims, |_| String::new()),
            refused(MalformedToken),
        ),
        bearer(
            "alg none with a signature",
            &compact(&json!({"alg":"none","kid":KID}), &claims, |_| "c2ln".into()),
            refused(Algorithm),
        ),
        bearer(
            "HS256 with the rsa public key as secret",
            &hs256(
                rsa_public_pem().as_bytes(),
                &json!({"alg":"HS256","kid":KID}),
                &claims,
            ),
            refused(Algorithm),
        ),
        bearer(
            "ES256 not accepted",
            &ec.sign(&json!({"alg":"ES256","kid":KID}), &claims),
            refused(Algorithm),
        ),
        bearer(
            "RS384 not accepted",
            &key.sign_as(
                jsonwebtoken::Algorithm::RS384,
                &json!({"alg":"RS384","kid":KID}),
                &claims,
            ),
            refused(Algorithm),
        ),
        bearer(
            "alg Rs256",
            &with_header(json!({"alg":"Rs256","kid":KID})),
            refused(Algorithm),
        ),
        bearer(
            "typ dpop+jwt",
            &with_header(json!({"alg":"RS256","kid":KID,"typ":"dpop+jwt"})),
            refused(TokenType),
        ),
        bearer(
            "unknown kid",
            &key.sign(&header("k-unknown"), &claims),
            refused(UnknownKeyId),
        ),
        bearer(
            "no kid",
            &with_header(json!({"alg":"RS256"})),
            refused(MissingKeyId),
        ),
        bearer(
            "embedded jwk of the attacker",
            &attacker.sign(
                &json!({"alg":"RS256","kid":KID,"jwk": attacker.jwk}),
                &claims,
            ),
            refused(EmbeddedKey),
        ),
        bearer(
            "jku to the attacker",
            &attacker.sign(
                &json!({"alg":"RS256","kid":KID,"jku":"https://evil.example.com/keys"}),
                &claims,
            ),
            refused(EmbeddedKey),
        ),
        bearer(
            "x5u",
            &with_header(json!({"alg":"RS256","kid":KID,"x5u":"https://evil.example.com/c.pem"})),
            refused(EmbeddedKey),
        ),
        bearer(
            "x5c",
            &with_header(json!({"alg":"RS256","kid":KID,"x5c":["MIIB"]})),
            refused(EmbeddedKey),
        ),
        bearer(
            "unknown crit",
            &with_header(json!({"alg":"RS256","kid":KID,"crit":["exp"],"exp":1})),
            refused(CriticalHeader),
        ),
        bearer(
            "attacker key under our kid",
            &attacker.sign(&header(KID), &claims),
            refused(Signature),
        ),
        bearer(
            "flipped signature bit",
            &flipped_sig(&valid),
            refused(Signature),
        ),
        bearer(
            "modified payload",
            &tamper(&valid, |i, s| {
                if i == 1 {
                    b64(
                        serde_json::to_vec(&merge(claims.clone(), json!({"scp":[SCOPE,"admin"]})))
                            .unwrap(),
                    )
                } else {
                    s.into()
                }
            }),
            refused(Signature),
        ),
        // The form.
        bearer(
            "oversized",
            &format!("{valid}{}", "A".repeat(17 * 1024)),
            refused(TokenTooLarge),
        ),
        bearer(
            "two segments",
            valid.rsplit_once('.').unwrap().0,
            refused(MalformedToken),
        ),
        bearer(
            "four segments",
            &format!("{valid}.AAAA"),
            refused(MalformedToken),
        ),
        bearer(
            "padded base64",
            &tamper(
                &valid,
                |i, s| if i == 2 { format!("{s}==") } else { s.into() },
            ),
            refused(MalformedToken),
        ),
        bearer(
            "padding inside: not a token68",
            &tamper(
                &valid,
                |i, s| if i == 1 { format!("{s}==") } else { s.into() },
            ),
            refused(InvalidRequest),
        ),
        bearer(
            "standard base64 alphabet",
            &tamper(&valid, |i, s| {
                if i == 2 {
                    s.replace('-', "+").replace('_', "/") + "+/"
                } else {
                    s.into()
                }
            }),
            refused(MalformedToken),
        ),
        bearer(
            "header an array",
            &compact(&json!(["RS256", KID]), &claims, |_| "c2ln".into()),
            refused(MalformedToken),
        ),
        bearer(
            "duplicate alg",
            &format!(
                "{}.{}",
                b64(br#"{"alg":"RS256","kid":"k1","alg":"none"}"#),
                valid.split_once('.').unwrap().1
            ),
            refused(MalformedToken),
        ),
        bearer(
            "claims an array",
            &key.sign(&header(KID), &json!([1, 2])),
            refused(MalformedClaims),
        ),
        bearer("not a jwt", "opaque-okta-token", refused(MalformedToken)),
        // DPoP.
        dpop(
            "wrong htm",
            &bound,
            &p(json!({"htm":"POST"})),
            refused(ProofMethod),
        ),
        dpop(
            "wrong htu path",
            &bound,
            &p(json!({"htu":"https://api.example.com/orders/43"})),
            refused(ProofUrl),
        ),
        dpop(
            "wrong htu origin",
            &bound,
            &p(json!({"htu":"https://evil.example.com/orders/42"})),
            refused(ProofUrl),
        ),
        dpop(
            "wrong ath",
            &bound,
            &p(json!({"ath": b64([7u8; 32])})),
            refused(ProofTokenHash),
        ),
        dpop(
            "no ath",
            &bound,
            &p(json!({"ath": null})),
            refused(ProofClaims),
        ),
        dpop(
            "no jti",
            &bound,
            &p(json!({"jti": null})),
            refused(ProofClaims),
        ),
        dpop(
            "old iat",
            &bound,
            &p(json!({"iat": now - 300})),
            refused(ProofIssuedAt),
        ),
        dpop(
            "iat ahead",
            &bound,
            &p(json!({"iat": now + 600})),
            refused(ProofIssuedAt),
        ),
        dpop("first use", &bound, &replayed, OK),
        dpop("replayed jti", &bound, &replayed, refused(ProofReplayed)),
        dpop(
            "proof key is not cnf.jkt",
            &bound,
            &other_proof,
            refused(ProofKeyBinding),
        ),
        dpop(
            "private key in the proof header",
            &bound,
            &ec.sign(
                &json!({"typ":"dpop+jwt","alg":"ES256","jwk": private_jwk}),
                &proof_claims(&bound),
            ),
            refused(ProofPrivateKey),
        ),
        dpop(
            "HMAC proof",
            &bound,
            &hs256(
                b"secret",
                &json!({"typ":"dpop+jwt","alg":"HS256","jwk": ec.bare_jwk()}),
                &proof_claims(&bound),
            ),
            refused(ProofAlgorithm),
        ),
        dpop(
            "RS256 proof (not allowed)",
            &bound,
            &key.sign(
                &json!({"typ":"dpop+jwt","alg":"RS256","jwk": key.bare_jwk()}),
                &proof_claims(&bound),
            ),
            refused(ProofAlgorithm),
        ),
        dpop(
            "proof typ jwt",
            &bound,
            &ec.sign(
                &json!({"typ":"jwt","alg":"ES256","jwk": ec.bare_jwk()}),
                &proof_claims(&bound),
            ),
            refused(ProofType),
        ),
        dpop(
            "proof without jwk",
            &bound,
            &ec.sign(
                &json!({"typ":"dpop+jwt","alg":"ES256"}),
                &proof_claims(&bound),
            ),
            refused(ProofKey),
        ),
        dpop(
            "flipped proof signature",
            &bound,
            &flipped_sig(&p(json!({}))),
            refused(ProofSignature),
        ),
        dpop(
            "proof is an access token",
            &bound,
            &bound,
            refused(ProofType),
        ),
        row(
            "no proof",
            headers("DPoP", &bound, &[]),
            refused(MissingProof),
        ),
        row(
            "two proofs",
            headers("DPoP", &bound, &[&p(json!({})), &p(json!({}))]),
            refused(MultipleProofs),
        ),
        bearer(
            "bound token sent as bearer",
            &bound,
            refused(BoundTokenAsBearer),
        ),
        dpop(
            "unbound token with the dpop scheme",
            &valid,
            &proof(&ec, &valid, json!({})),
            refused(TokenNotBound),
        ),
        // The request.
        row(
            "no authorization",
            HeaderMap::new(),
            refused(MissingCredentials),
        ),
        row(
            "basic authorization",
            headers("Basic", "dXNlcjpwYXNz", &[]),
            refused(MissingCredentials),
        ),
        row(
            "bearer without a token",
            headers("Bearer", "", &[]),
            refused(InvalidRequest),
        ),
    ];
    let mut twice = headers("Bearer", &valid, &[]);
    twice.append(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {valid}")).unwrap(),
    );
    rows.push(row(
        "two authorization headers",
        twice,
        refused(InvalidRequest),
    ));
    // ES256 tokens, and an ECDSA signature labelled RS256.
    let mut es = bearer(
        "ES256 token where accepted",
        &ec.sign(&json!({"alg":"ES256","kid":"ec-1"}), &claims),
        OK,
    );
    es.v = V::WithEs256;
    rows.push(es);
    let mut confused = bearer(
        "ECDSA signature labelled RS256",
        &compact(&json!({"alg":"RS256","kid":"ec-1"}), &claims, |input| {
            jsonwebtoken::crypto::sign(input, &ec_encoding(), jsonwebtoken::Algorithm::ES256)
                .unwrap()
        }),
        refused(KeyMismatch),
    );
    confused.v = V::WithEs256;
    rows.push(confused);
    let mut mislabelled = bearer(
        "ES256 header on the rsa key",
        &ec.sign(&json!({"alg":"ES256","kid":KID}), &claims),
        refused(KeyMismatch),
    );
    mislabelled.v = V::WithEs256;
    rows.push(mislabelled);
    let mut wrong_method = dpop(
        "POST request, GET proof",
        &bound,
        &p(json!({})),
        refused(ProofMethod),
    );
    wrong_method.method = Method::POST;
    rows.push(wrong_method);
    rows
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn ec_encoding() -> jsonwebtoken::EncodingKey {
    let pem = std::fs::read(format!(
        "{}/tests/fixtures/keys/ec-p256-pkcs8.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    jsonwebtoken::EncodingKey::from_ec_pem(&pem).unwrap()
}

#[tokio::test]
async fn every_token_and_proof_gets_its_verdict() {
    let ec = Key::ec("ec-1");
    let issuer = Issuer::start(&[&Key::issuer().jwk, &ec.jwk]).await;
    let strict: AccessTokenVerifier = issuer
        .builder()
        .allowed_client_ids([CLIENT_ID])
        .required_scopes([SCOPE])
        .build()
        .unwrap();
    let with_es256 = issuer
        .builder()
        .algorithms([okta_auth::Algorithm::RS256, okta_auth::Algorithm::ES256])
        .build()
        .unwrap();
    let rows = rows(&issuer);
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let url = api_url();
    let mut failures = Vec::new();
    for row in &rows {
        let verifier = match row.v {
            V::Strict => &strict,
            V::WithEs256 => &with_es256,
        };
        let verdict = verifier
            .verify_request(&row.method, &url, &row.headers)
            .await;
        let got = verdict.as_ref().map(|_| ()).map_err(|r| r.reason());
        if got != row.expect {
            failures.push(format!(
                "{}: expected {:?}, got {got:?}",
                row.name, row.expect
            ));
            continue;
        }
        let Err(rejection) = verdict else { continue };
        let answer = rejection.headers();
        let text = format!("{rejection} {rejection:?} {answer:?}");
        for secret in &row.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{}: the answer holds the token",
                row.name
            );
        }
        let reason = rejection.reason();
        match AuthChallenge::from_response(rejection.status(), &answer) {
            None => assert_eq!(reason, RejectReason::MissingCredentials, "{}", row.name),
            Some(AuthChallenge::Rejected(okta_auth::Error::OAuth(e))) => {
                assert_eq!(Some(e.error()), reason.error_code(), "{}", row.name);
                assert_eq!(e.status(), rejection.status(), "{}", row.name);
                assert_eq!(e.description(), Some(reason.description()), "{}", row.name);
            }
            other => panic!("{}: {other:?}", row.name),
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Keys were fetched once per verifier, in spite of the unknown kid.
    assert_eq!(issuer.jwks_requests().await, 2);
    let metadata = "/oauth2/default/.well-known/oauth-authorization-server";
    assert_eq!(issuer.requests(metadata).await, 2);
}

/// RFC 3986 §2.1: a percent-encoding is `%` HEXDIG HEXDIG. `%+a` is not
/// one (Rust's `from_str_radix` takes a leading `+`), so a proof for
/// `/orders/a%+a` must not pass for `/orders/a%0A`, another resource.
#[tokio::test]
async fn htu_percent_plus_is_not_an_escape() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().build().unwrap();
    let ec = Key::ec("dpop");
    let bound = issuer.bound_token(&ec.thumbprint());
    for (htu, request) in [
        (
            "https://api.example.com/orders/a%+a",
            "https://api.example.com/orders/a%0A",
        ),
        (
            "https://api.example.com/orders/a%0a",
            "https://api.example.com/orders/a%+a",
        ),
    ] {
        let url: okta_auth::url::Url = request.parse().unwrap();
        let p = proof(&ec, &bound, json!({ "htu": htu }));
        let h = headers("DPoP", &bound, &[&p]);
        let verdict = verifier
            .verify_request(&GET, &url, &h)
            .await
            .map(|_| ())
            .map_err(|r| r.reason());
        assert_eq!(
            verdict,
            Err(RejectReason::ProofUrl),
            "{htu} accepted for {request}"
        );
    }
}
