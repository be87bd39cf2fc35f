//! Minting a client assertion (`SigningKey::client_assertion`) beside a bare
//! `jsonwebtoken::encode` of the same header and claims with a key parsed
//! once outside the loop. Both sign RS256 (2048-bit) and ES256 with the same
//! fixture keys; the ratio shows what parsing the key once buys us
//! (`jsonwebtoken::encode` re-reads the DER on every call).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_auth::SigningKey;
use okta_auth::url::Url;
use serde::Serialize;

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn assertion(c: &mut Criterion) {
    let aud = Url::parse("https://example.okta.com/oauth2/v1/token").unwrap();
    let client_id = "0oa1b2c3d4e5f6g7h8i9";
    let lifetime = Duration::from_secs(300);

    let rsa_pem = fixture("rsa2048-pkcs8.pem");
    let rsa_der = {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        rsa::PrivateKey::from_pkcs8_pem(&rsa_pem)
            .unwrap()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    };
    let ec_pem = fixture("ec-p256-pkcs8.pem");
    let ec_der = {
        use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
        p256::SecretKey::from_pkcs8_pem(&ec_pem)
            .unwrap()
            .to_pkcs8_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    };
    let cases = [
        (
            "RS256",
            SigningKey::parse(&rsa_pem).unwrap().with_kid("k1"),
            EncodingKey::from_rsa_der(&rsa_der),
            Algorithm::RS256,
        ),
        (
            "ES256",
            SigningKey::parse(&ec_pem).unwrap().with_kid("k1"),
            EncodingKey::from_ec_der(&ec_der),
            Algorithm::ES256,
        ),
    ];

    let mut group = c.benchmark_group("client_assertion");
    for (name, key, encoding_key, alg) in cases {
        let mut header = Header::new(alg);
        header.kid = Some("k1".into());
        group.bench_function(format!("{name}/jsonwebtoken_encode"), |b| {
            b.iter(|| {
                let iat = jsonwebtoken::get_current_timestamp();
                let claims = Claims {
                    iss: client_id,
                    sub: client_id,
                    aud: aud.as_str(),
                    iat,
                    exp: iat + 300,
                    jti: uuid::Uuid::new_v4().to_string(),
                };
                black_box(jsonwebtoken::encode(&header, &claims, &encoding_key).unwrap())
            })
        });
        group.bench_function(format!("{name}/okta_auth_client_assertion"), |b| {
            b.iter(|| {
                black_box(
                    key.client_assertion(client_id, black_box(&aud), lifetime)
                        .unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, assertion);
criterion_main!(benches);
