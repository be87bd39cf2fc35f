//! Seeded mutation fuzzing of every parser that reads outside input: keys
//! (PEM and JWK), DPoP keys, org URLs, `WWW-Authenticate`, rate-limit
//! headers, `okta.yaml` and `DPoP-Nonce`. (Token responses are fuzzed by a
//! unit test in `src/service_app/mod.rs`, which reaches the body parser
//! directly.)
//!
//! No input may panic; each target prints its slowest input (see it with
//! `--nocapture`). CI runs a few thousand inputs per target; for millions:
//!
//! ```sh
//! OKTA_AUTH_FUZZ_ITERATIONS=1000000 cargo test --release --features test-util --test it fuzz:: -- --nocapture
//! ```

mod mutator;

use std::time::Duration;

use okta_auth::Jwk;
use okta_auth::config::Sources;
use okta_auth::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use okta_auth::url::Url;
use okta_auth::{
    AuthChallenge, Challenge, DpopKey, Error, OktaConfig, OrgUrl, RateLimit, SigningKey,
    jwk_thumbprint,
};

use crate::signing_key::fixture;
use mutator::{Target, fuzz, iterations};

/// Most inputs are anything but text; the parsers that take `&str` get the
/// bytes with invalid UTF-8 replaced.
fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

fn seeds<I, S>(items: I) -> Vec<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    items.into_iter().map(|s| s.as_ref().to_vec()).collect()
}

const PEMS: &[&str] = &[
    "rsa2048-pkcs8.pem",
    "rsa2048-pkcs1.pem",
    "rsa2048-encrypted.pem",
    "rsa2048-public.pem",
    "rsa1024-pkcs8.pem",
    "ec-p256-pkcs8.pem",
    "ec-p256-sec1.pem",
    "ec-p256-public.pem",
    "ec-p384-pkcs8.pem",
    "ec-secp256k1-pkcs8.pem",
];

/// Every PEM fixture, also as it arrives through an environment variable
/// (literal `\n`) and with CRLF line ends.
fn pem_seeds(only: impl Fn(&str) -> bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for name in PEMS.iter().filter(|n| only(n)) {
        let pem = fixture(name);
        out.push(pem.replace('\n', "\\n"));
        out.push(pem.replace('\n', "\r\n"));
        out.push(pem);
    }
    seeds(out)
}

const PEM_WORDS: &[&[u8]] = &[
    b"-----BEGIN PRIVATE KEY-----\n",
    b"-----END PRIVATE KEY-----",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"-----BEGIN EC PRIVATE KEY-----\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
    b"-----BEGIN PUBLIC KEY-----\n",
    b"-----",
    b"\\n",
    b"\r\n",
    b"=",
    b"==",
    b"MII",
    b"AAAA",
    b"////",
    b"Proc-Type: 4,ENCRYPTED\n",
];

/// Checks that a key that parsed can do everything a key does.
fn use_signing_key(key: &SigningKey) {
    let _ = key.public_jwk();
    let _ = key.thumbprint();
    let _ = format!("{key:?}");
    let aud = Url::parse("https://example.okta.com/oauth2/v1/token").unwrap();
    key.client_assertion("0oaFuzz", &aud, Duration::from_secs(300))
        .expect("a parsed key signs");
}

#[test]
fn fuzz_signing_key_pem() {
    fuzz(
        Target {
            name: "SigningKey::parse (PEM)",
            seeds: pem_seeds(|_| true),
            dictionary: PEM_WORDS,
            // RSA keys that still parse are validated and then sign: ~1 ms.
            iterations: iterations(600, 1.0),
            max_len: 8 * 1024,
        },
        |input| {
            if let Ok(key) = SigningKey::parse(&text(input)) {
                use_signing_key(&key);
            }
        },
    );
}

const JWK_WORDS: &[&[u8]] = &[
    b"\"kty\":",
    b"\"RSA\"",
    b"\"EC\"",
    b"\"OKP\"",
    b"\"oct\"",
    b"\"crv\":",
    b"\"P-256\"",
    b"\"P-384\"",
    b"\"P-521\"",
    b"\"secp256k1\"",
    b"\"d\":",
    b"\"n\":",
    b"\"e\":",
    b"\"AQAB\"",
    b"\"x\":",
    b"\"y\":",
    b"\"alg\":",
    b"\"RS256\"",
    b"\"ES256\"",
    b"\"none\"",
    b"\"kid\":",
    b"\"oth\":[]",
    b"null",
    b"[]",
    b"{}",
    b"\"\"",
    b"\"AA\"",
    b"1e999",
    b"-0",
    b"\\u0000",
    b"\\ud800",
];

fn jwk_seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<String> = [
        "rsa2048-private.jwk.json",
        "rsa2048-public.jwk.json",
        "rsa1024-private.jwk.json",
        "ec-p256-private.jwk.json",
        "ec-p384-private.jwk.json",
        "ec-secp256k1-private.jwk.json",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    let fresh = SigningKey::generate_p256().with_kid("fresh");
    out.push(serde_json::to_string(&fresh.public_jwk()).unwrap());
    out.push(serde_json::to_string(DpopKey::generate().public_jwk()).unwrap());
    seeds(out)
}

/// RSA JWKs with an oversized `n` and no `p`/`q` were the slowest inputs
/// here (the rsa crate recovered the primes before the size check; 1.2 s at
/// 32768 bits): `SigningKey` now checks the modulus size first.
#[test]
fn fuzz_signing_key_jwk() {
    fuzz(
        Target {
            name: "SigningKey::parse (JWK)",
            seeds: jwk_seeds(),
            dictionary: JWK_WORDS,
            iterations: iterations(1_200, 1.0),
            max_len: 8 * 1024,
        },
        |input| {
            if let Ok(key) = SigningKey::parse(&text(input)) {
                use_signing_key(&key);
            }
        },
    );
}

#[test]
fn fuzz_jwk_thumbprint() {
    fuzz(
        Target {
            name: "jwk_thumbprint",
            seeds: jwk_seeds(),
            dictionary: JWK_WORDS,
            iterations: iterations(3_000, 1.0),
            max_len: 8 * 1024,
        },
        |input| {
            if let Ok(jwk) = serde_json::from_slice::<Jwk>(input) {
                let _ = jwk_thumbprint(&jwk);
            }
        },
    );
}

#[test]
fn fuzz_dpop_key_from_pem() {
    fuzz(
        Target {
            name: "DpopKey::from_pem",
            seeds: pem_seeds(|n| n.starts_with("ec-")),
            dictionary: PEM_WORDS,
            iterations: iterations(1_500, 1.0),
            max_len: 8 * 1024,
        },
        |input| {
            if let Ok(key) = DpopKey::from_pem(&text(input)) {
                let url = Url::parse("https://example.okta.com/api/v1/users").unwrap();
                key.proof(&Method::GET, &url, None, None)
                    .expect("a parsed key signs");
            }
        },
    );
}

/// Long `xn--` labels were the slowest inputs here (the url crate's punycode
/// decoding is quadratic): `OrgUrl::parse` now refuses input over
/// `OrgUrl::MAX_LEN` before parsing it.
#[test]
fn fuzz_org_url() {
    let seeds = seeds([
        "https://example.okta.com",
        "https://dev-123456.oktapreview.com/",
        "https://login.example.com:8443",
        "  https://example.okta-emea.com/  ",
        "http://127.0.0.1:8080",
        "http://localhost:3000/",
        "http://[::1]:9000",
        "https://xn--bcher-kva.example",
        "https://bücher.example",
        "https://user:pass@example.okta.com",
        "https://example.okta.com/oauth2/default?x=1#f",
        "ftp://example.okta.com",
    ]);
    fuzz(
        Target {
            name: "OrgUrl::parse",
            seeds,
            dictionary: &[
                b"https://",
                b"http://",
                b"//",
                b"@",
                b":",
                b":0",
                b":65536",
                b"%2e",
                b"%00",
                b"[::1]",
                b"[",
                b"127.0.0.1",
                b"0x7f.1",
                b"localhost",
                b"\t",
                b"\n",
                b"\\",
                b"..",
                b"xn--",
            ],
            iterations: iterations(10_000, 1.0),
            max_len: 2 * 1024,
        },
        |input| {
            if let Ok(org) = OrgUrl::parse(&text(input)) {
                let _ = org.token_endpoint();
                let _ = org.custom_token_endpoint("default");
                let users = org.endpoint("/api/v1/users");
                assert!(org.is_same_origin(&users));
                let again = OrgUrl::parse(&org.to_string()).expect("an org url re-parses");
                assert_eq!(again.as_url(), org.as_url());
                let _ = format!("{org:?}");
            }
        },
    );
}

const CHALLENGES: &[&str] = &[
    r#"DPoP algs="ES256", error="invalid_dpop_proof", error_description="'htu' claim is invalid.""#,
    r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
    r#"Bearer authorization_uri="https://example.okta.com/oauth2/v1/authorize", realm="https://example.okta.com", scope="okta.users.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users""#,
    r#"Bearer realm="IdentityServer", error="invalid_token", error_description="The access token is invalid""#,
    r#"Basic realm="okta", charset="UTF-8""#,
    "Negotiate YIIFzQYJKoZIhvcSAQICAQBuggW8MIIFuKADAgEFoQMCAQ6iBwMFACAAAACjggQk==",
    r#"DPoP algs="ES256 RS256", Bearer realm="okta", error="invalid_token", error_description="a \"quoted\" \\ text""#,
    "Bearer",
];

/// A `WWW-Authenticate` value per line of `input` (as a server sending the
/// header several times), keeping the lines that are header values.
fn challenge_headers(input: &[u8], nonce: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in input.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append("www-authenticate", value);
        }
    }
    if let Ok(value) = HeaderValue::from_bytes(nonce) {
        headers.insert("dpop-nonce", value);
    }
    headers
}

#[test]
fn fuzz_www_authenticate() {
    fuzz(
        Target {
            name: "WWW-Authenticate",
            seeds: seeds(CHALLENGES),
            dictionary: &[
                b"DPoP ",
                b"Bearer ",
                b"error=",
                b"error_description=",
                b"\"use_dpop_nonce\"",
                b"\"invalid_token\"",
                b"=\"",
                b"\"",
                b"\\\"",
                b"\\",
                b", ",
                b",,,",
                b"==",
                b"\n",
                b"\t",
                b"\xc3\xa9",
            ],
            iterations: iterations(10_000, 1.0),
            max_len: 16 * 1024,
        },
        |input| {
            if let Ok(challenges) = Challenge::parse_all(&text(input)) {
                for c in &challenges {
                    let _ = (c.scheme(), c.token68(), c.error(), c.error_description());
                    let _ = c.params().count();
                    let _ = c.to_error(StatusCode::UNAUTHORIZED);
                }
            }
            let headers = challenge_headers(input, b"eyJ7S_zG.eyJH0-Z.HX4w-7v");
            for status in [StatusCode::UNAUTHORIZED, StatusCode::BAD_REQUEST] {
                let _ = AuthChallenge::from_response(status, &headers);
            }
        },
    );
}

/// Header lines `name: value`, one per line; lines that are not a header
/// are skipped.
fn header_lines(input: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in input.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

#[test]
fn fuzz_rate_limit_headers() {
    let seeds = seeds([
        "x-rate-limit-limit: 600\nx-rate-limit-remaining: 0\nx-rate-limit-reset: 1893456041\ndate: Tue, 01 Jan 2030 00:00:00 GMT",
        "x-rate-limit-reset: 1893456100\nx-rate-limit-reset: 1893456041\ndate: Tue, 01 Jan 2030 00:00:00 GMT",
        "x-rate-limit-reset: 18446744073709551615\ndate: Tue, 01 Jan 2030 00:00:00 GMT",
        "retry-after: 120",
        "retry-after: Wed, 21 Oct 2015 07:28:00 GMT\ndate: Wed, 21 Oct 2015 07:27:00 GMT",
        "x-rate-limit-limit: 0\nx-rate-limit-remaining: 0",
    ]);
    fuzz(
        Target {
            name: "RateLimit::from_headers",
            seeds,
            dictionary: &[
                b"x-rate-limit-reset: ",
                b"x-rate-limit-limit: ",
                b"x-rate-limit-remaining: ",
                b"date: ",
                b"retry-after: ",
                b"18446744073709551616",
                b"18446744073709551615",
                b"-1",
                b"+1",
                b" 1 ",
                b"0",
                b"1e3",
                b"Thu, 01 Jan 1970 00:00:00 GMT",
                b"Fri, 31 Dec 9999 23:59:59 GMT",
                b"Sunday, 06-Nov-94 08:49:37 GMT",
                b"Sun Nov  6 08:49:37 1994",
                b"\n",
            ],
            iterations: iterations(10_000, 1.0),
            max_len: 4 * 1024,
        },
        |input| {
            let headers = header_lines(input);
            if let Some(rate) = RateLimit::from_headers(&headers) {
                let _ = (rate.limit(), rate.remaining(), rate.reset_epoch_secs());
                let _ = rate.reset_at();
            }
            let error = Error::rate_limited(&headers);
            let _ = (error.retry_after(), error.is_transient(), error.to_string());
        },
    );
}

#[test]
fn fuzz_dpop_nonce() {
    let key = DpopKey::generate();
    let url = Url::parse("https://example.okta.com/api/v1/users").unwrap();
    let mut accepted = 0u64;
    fuzz(
        Target {
            name: "DPoP-Nonce",
            seeds: seeds([
                "eyJ7S_zG.eyJH0-Z.HX4w-7v",
                "YmQ3MWU4NGQtN2E3NS00OTg2LThkMzEtNzlhYzQ3NDc4MTM5",
                "!#$%&'()*+-./0123456789:;<=>?@[]^_`{|}~",
                "a",
            ]),
            dictionary: &[b" ", b"\"", b"\\", b"\t", b"\x7f", b"\xc3\xa9", b"=", b","],
            iterations: iterations(10_000, 1.0),
            max_len: 2 * 1024,
        },
        |input| {
            let nonce = text(input);
            if key.remember_nonce(&url, &nonce).is_ok() {
                assert_eq!(key.nonce_for(&url).as_deref(), Some(nonce.as_str()));
                accepted += 1;
                // Signing is most of the cost: every 16th nonce is enough.
                if accepted % 16 == 1 {
                    key.proof_with_remembered_nonce(&Method::GET, &url, None)
                        .expect("a remembered nonce goes in a proof");
                }
            }
            // The same value as a header, answering a use_dpop_nonce challenge.
            let headers = challenge_headers(br#"DPoP error="use_dpop_nonce""#, input);
            if let Some(AuthChallenge::UseDpopNonce { nonce }) =
                AuthChallenge::from_response(StatusCode::UNAUTHORIZED, &headers)
            {
                key.remember_nonce(&url, &nonce)
                    .expect("a nonce the challenge accepts is one the key accepts");
            }
        },
    );
}

const YAML_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQA5CY0SlXDkNz5oP\n-----END PRIVATE KEY-----";

#[test]
fn fuzz_okta_yaml() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-okta-yaml")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("okta.yaml");
    let pem_block = YAML_PEM.replace('\n', "\n      ");
    let seeds = seeds([
        "okta:\n  client:\n    orgUrl: \"https://example.okta.com\"\n    token: \"00abcSECRET\"\n".to_owned(),
        format!(
            "okta:\n  client:\n    orgUrl: https://example.okta.com\n    authorizationMode: PrivateKey\n    clientId: 0oa1b2c3\n    scopes:\n      - okta.users.read\n      - okta.groups.read\n    privateKeyId: kid-1\n    privateKey: |\n      {pem_block}\n"
        ),
        "okta:\n  client:\n    orgUrl: 'http://127.0.0.1:8080'\n    scopes: okta.users.read, okta.apps.read\n    clientId: 0oa\n    privateKey: keys/private.pem\n".to_owned(),
        "okta: {client: {orgUrl: \"https://a.okta.com\", authorizationMode: SSWS, token: x}}\n".to_owned(),
        "# comment\n---\nokta:\n  client: ~\n".to_owned(),
        "okta:\n  client:\n    orgUrl: &a https://example.okta.com\n    token: *a\n".to_owned(),
    ]);
    fuzz(
        Target {
            name: "okta.yaml",
            seeds,
            dictionary: &[
                b"okta:\n",
                b"  client:\n",
                b"    orgUrl: ",
                b"    token: ",
                b"    scopes:\n      - ",
                b"    privateKey: |\n      ",
                b"    authorizationMode: ",
                b"PrivateKey",
                b"SSWS",
                b"&anchor ",
                b"*anchor",
                b"<<: ",
                b"!!binary ",
                b"!!str ",
                b"---\n",
                b"...\n",
                b"[",
                b"{",
                b"? ",
                b"- ",
                b"|",
                b">",
                b"\"\\u0000\"",
                b"\t",
                b"~",
            ],
            // A file write and read per input.
            iterations: iterations(150, 0.1),
            // The file cap is 64 KiB; short inputs mutate more often.
            max_len: 4 * 1024,
        },
        |input| {
            std::fs::write(&file, input).unwrap();
            if let Ok(config) = OktaConfig::load(&Sources::empty().current_dir(&dir)) {
                let _ = config.org();
                let _ = config.mode();
                let _ = format!("{config:?}");
            }
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}
