//! `DpopKey::proof` beside its floor: a bare P-256 ECDSA signature over a
//! message of the same size as the proof's signing input. The ratio is the
//! cost of everything but the signature (claims JSON, base64, jti, clock).

use criterion::{Criterion, criterion_group, criterion_main};
use okta_auth::DpopKey;
use okta_auth::http::Method;
use okta_auth::url::Url;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate;
use std::hint::black_box;

fn proof(c: &mut Criterion) {
    let key = DpopKey::generate();
    let url = Url::parse("https://example.okta.com/api/v1/users?limit=200").unwrap();
    let token = "eyJraWQiOiJhY2Nlc3MtdG9rZW4tZm9yLWJlbmNoIn0.a-realistic-length-okta-access-token-payload-goes-here.sig";
    let sample = key.proof(&Method::GET, &url, None, Some(token)).unwrap();
    let signing_input_len = sample.rfind('.').unwrap();

    let bare = SigningKey::generate();
    let message = vec![b'a'; signing_input_len];

    let mut group = c.benchmark_group("dpop_proof");
    group.bench_function("bare_p256_sign", |b| {
        b.iter(|| {
            let sig: Signature = bare.sign(black_box(&message));
            black_box(sig)
        })
    });
    group.bench_function("dpop_key_proof", |b| {
        b.iter(|| {
            black_box(
                key.proof(&Method::GET, black_box(&url), None, Some(token))
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, proof);
criterion_main!(benches);
