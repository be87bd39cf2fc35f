//! Many requests at once: distinct proofs all pass, a proof presented
//! twice at once passes once.

use okta_auth::DpopKey;
use okta_auth::http::HeaderMap;
use okta_auth::verify::{AccessTokenVerifier, RejectReason};

use super::support::*;

/// `n` requests with distinct proofs, signed beforehand on two threads.
fn requests(token: &str, key: &DpopKey, n: usize) -> Vec<HeaderMap> {
    let url = api_url();
    let sign = |count: usize| {
        (0..count)
            .map(|_| {
                let proof = key.proof(&GET, &url, None, Some(token)).unwrap();
                headers("DPoP", token, &[&proof])
            })
            .collect::<Vec<_>>()
    };
    std::thread::scope(|s| {
        let half = s.spawn(|| sign(n / 2));
        let mut all = sign(n - n / 2);
        all.extend(half.join().unwrap());
        all
    })
}

async fn verify_all(
    verifier: &AccessTokenVerifier,
    all: Vec<HeaderMap>,
) -> Vec<Result<(), RejectReason>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, h) in all.into_iter().enumerate() {
        let verifier = verifier.clone();
        tasks.spawn(async move {
            let verdict = verifier.verify_request(&GET, &api_url(), &h).await;
            (i, verdict.map(|_| ()).map_err(|r| r.reason()))
        });
    }
    let mut out = vec![Ok(()); tasks.len()];
    while let Some(done) = tasks.join_next().await {
        let (i, verdict) = done.unwrap();
        out[i] = verdict;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_requests_with_distinct_proofs_all_pass() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().required_scopes([SCOPE]).build().unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let all = requests(&token, &key, 10_000);
    let verdicts = verify_all(&verifier, all).await;
    let passed = verdicts.iter().filter(|v| v.is_ok()).count();
    assert_eq!(passed, 10_000, "{:?}", verdicts.iter().find(|v| v.is_err()));
    assert_eq!(issuer.jwks_requests().await, 1, "one key set fetch for all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_proof_presented_at_once_passes_exactly_once() {
    let issuer = Issuer::okta().await;
    let verifier = issuer.builder().build().unwrap();
    verifier.load_keys().await.unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    for proof in requests(&token, &key, 50) {
        let verdicts = verify_all(&verifier, vec![proof; 8]).await;
        let passed = verdicts.iter().filter(|v| v.is_ok()).count();
        assert_eq!(passed, 1, "{verdicts:?}");
        assert!(
            verdicts
                .iter()
                .all(|v| v.is_ok() || *v == Err(RejectReason::ProofReplayed))
        );
    }
}
