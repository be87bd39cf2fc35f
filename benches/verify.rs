//! `AccessTokenVerifier` beside the signature checks it cannot avoid, in
//! one group: `verify` of an RS256 token with a cached key against a bare
//! `rsa` PKCS#1 v1.5 verification of the same signing input with an
//! already parsed key; a DPoP `verify_request` (token and proof) against a
//! bare RS256 plus a bare P-256 verification. Then the same two comparisons
//! as ratios of medians of alternated calls (printed as `verify/ratio …`),
//! which a busy machine does not skew, and the parts of a DPoP request.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use okta_auth::http::{HeaderMap, HeaderValue, Method};
use okta_auth::url::Url;
use okta_auth::verify::MemoryReplayStore;
use okta_auth::{AccessTokenVerifier, DPOP, DpopKey, SigningKey};
use p256::ecdsa::signature::Verifier;
use rsa::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Polls a future that is expected to be ready (every cached-key
/// verification is) to completion.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Okta's shape of token, signed RS256 with the fixture key `k1`.
fn token(issuer: &str, jkt: Option<&str>) -> String {
    #[allow(clippy::disallowed_methods)] // the bench's own clock for claims
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "ver": 1, "jti": "AT.bench", "iss": issuer, "aud": "api://default",
        "iat": now, "exp": now + 3600, "cid": "0oa1bench", "uid": "00u1bench",
        "scp": ["orders:read", "orders:write"], "sub": "bench@example.com",
    });
    if let Some(jkt) = jkt {
        claims["cnf"] = json!({ "jkt": jkt });
    }
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(fixture("rsa2048-pkcs8.pem").as_bytes()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// The median time of one call of `a` and of `b` (each input made by its
/// `prepare`, untimed), over `n` calls of each, alternated call by call: a
/// busy machine slows both alike, and the medians drop the calls it
/// preempted.
fn medians<I, J>(
    n: usize,
    mut prepare_a: impl FnMut() -> I,
    mut a: impl FnMut(I),
    mut prepare_b: impl FnMut() -> J,
    mut b: impl FnMut(J),
) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let input = prepare_a();
        #[allow(clippy::disallowed_methods)] // measuring, not caching
        let start = Instant::now();
        a(input);
        ta.push(start.elapsed());
        let input = prepare_b();
        #[allow(clippy::disallowed_methods)] // measuring, not caching
        let start = Instant::now();
        b(input);
        tb.push(start.elapsed());
    }
    ta.sort();
    tb.sort();
    (ta[n / 2], tb[n / 2])
}

/// `(signing input, decoded signature)` of a compact JWS.
fn parts(jws: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = jws.rsplit_once('.').unwrap();
    (
        input.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(sig).unwrap(),
    )
}

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let issuer = format!("{}/oauth2/default", server.uri());
    let jwk = SigningKey::from_pem(&fixture("rsa2048-pkcs8.pem"))
        .unwrap()
        .public_jwk()
        .with_kid("k1");
    rt.block_on(
        Mock::given(path("/oauth2/default/v1/keys"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "keys": [jwk] })))
            .mount(&server),
    );
    let verifier = AccessTokenVerifier::builder(&issuer)
        .audience("api://default")
        .required_scopes(["orders:read"])
        .jwks_uri(format!("{issuer}/v1/keys").parse().unwrap())
        // Room for every proof the bench makes (they expire after a minute).
        .replay_store(Arc::new(MemoryReplayStore::new(5_000_000)))
        .build()
        .unwrap();
    rt.block_on(verifier.load_keys()).unwrap();

    let bearer = token(&issuer, None);
    let rsa_key = rsa::PublicKey::from_public_key_pem(&fixture("rsa2048-public.pem")).unwrap();
    let (input, signature) = parts(&bearer);
    let bare_rsa = |input: &[u8], signature: &[u8]| {
        rsa_key
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(input),
                signature,
            )
            .is_ok()
    };

    let dpop = DpopKey::generate();
    let bound = token(&issuer, Some(dpop.thumbprint()));
    let url: Url = "https://api.example.com/orders/42".parse().unwrap();
    let request = |proof: String| {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("DPoP {bound}")).unwrap(),
        );
        h.insert(DPOP, HeaderValue::from_str(&proof).unwrap());
        h
    };
    let sample_proof = dpop
        .proof(&Method::GET, &url, None, Some(bound.as_str()))
        .unwrap();
    let (proof_input, proof_sig) = parts(&sample_proof);
    let proof_sig = p256::ecdsa::Signature::from_slice(&proof_sig).unwrap();
    let p256_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&{
        let jwk = serde_json::to_value(dpop.public_jwk()).unwrap();
        let mut point = vec![4u8];
        point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
        point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
        point
    })
    .unwrap();
    let (bound_input, bound_sig) = parts(&bound);

    let rsa_op = || assert!(bare_rsa(black_box(&input), black_box(&signature)));
    let verify_op = || {
        black_box(ready(verifier.verify(black_box(&bearer))).unwrap());
    };
    let fresh = || {
        request(
            dpop.proof(&Method::GET, &url, None, Some(bound.as_str()))
                .unwrap(),
        )
    };
    let dpop_op = |h: HeaderMap| {
        black_box(ready(verifier.verify_request(&Method::GET, &url, &h)).unwrap());
    };
    let bare_pair = || {
        assert!(bare_rsa(black_box(&bound_input), black_box(&bound_sig)));
        assert!(
            p256_key
                .verify(black_box(&proof_input), black_box(&proof_sig))
                .is_ok()
        );
    };

    let mut group = c.benchmark_group("verify");
    group.bench_function("verify_rs256_cached_key", |b| b.iter(verify_op));
    group.bench_function("bare_rsa_pkcs1v15", |b| b.iter(rsa_op));
    group.bench_function("verify_request_dpop", |b| {
        b.iter_batched(fresh, dpop_op, BatchSize::SmallInput)
    });
    group.bench_function("bare_rs256_plus_p256", |b| b.iter(bare_pair));
    group.finish();

    // The same comparisons as ratios of medians, the two sides alternated
    // call by call: on a shared machine the four timings above come from
    // different moments, whereas these do not.
    let (v, r) = medians(3000, || (), |()| verify_op(), || (), |()| rsa_op());
    println!(
        "verify/ratio verify_rs256_cached_key / bare_rsa_pkcs1v15 = {:.2} ({v:?} / {r:?}, medians of 3000 alternated calls)",
        v.as_secs_f64() / r.as_secs_f64()
    );
    let (d, p) = medians(3000, fresh, dpop_op, || (), |()| bare_pair());
    println!(
        "verify/ratio verify_request_dpop / bare_rs256_plus_p256 = {:.2} ({d:?} / {p:?}, medians of 3000 alternated calls)",
        d.as_secs_f64() / p.as_secs_f64()
    );

    // Where the time of a DPoP request goes, beside the two signatures.
    let mut group = c.benchmark_group("verify_parts");
    let jwk_json = serde_json::to_string(dpop.public_jwk()).unwrap();
    group.bench_function("proof_jwk_parse_and_thumbprint", |b| {
        b.iter(|| {
            let jwk: okta_auth::Jwk = black_box(&jwk_json).parse().unwrap();
            black_box(jwk.thumbprint())
        })
    });
    let sec1 = p256_key.to_sec1_point(false);
    group.bench_function("p256_key_from_sec1", |b| {
        b.iter(|| {
            black_box(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1.as_bytes())).unwrap(),
            )
        })
    });
    group.bench_function("sha256_of_token", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(bound.as_bytes()))))
    });
    group.bench_function("url_parse", |b| {
        b.iter(|| black_box(Url::parse(black_box("https://api.example.com/orders/42")).unwrap()))
    });
    group.bench_function("verify_request_bearer", |b| {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {bearer}")).unwrap(),
        );
        b.iter(|| black_box(ready(verifier.verify_request(&Method::GET, &url, &h)).unwrap()))
    });
    group.finish();
    drop(server);
}

criterion_group!(benches, verify);
criterion_main!(benches);
