//! Server nonces and the replay store: the nonce handshake with our own
//! `DpopKey`, rotation and grace, full and failing stores (fail closed), a
//! store shared by two verifiers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use okta_auth::http::StatusCode;
use okta_auth::verify::{
    DEFAULT_DPOP_PROOF_MAX_AGE, DEFAULT_LEEWAY, DEFAULT_NONCE_GRACE, DEFAULT_NONCE_ROTATION,
    MemoryNonceStore, MemoryReplayStore, NonceCheck, NonceStore, RejectReason, ReplayStore,
};
use okta_auth::{AuthChallenge, DpopKey, Error};

use super::support::*;

#[tokio::test]
async fn a_missing_or_stale_nonce_is_answered_with_use_dpop_nonce_and_a_new_one() {
    let issuer = Issuer::okta().await;
    let verifier = issuer
        .builder()
        .dpop_nonces(Arc::new(MemoryNonceStore::new()))
        .build()
        .unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    let send = |proof: String| {
        let verifier = verifier.clone();
        let h = headers("DPoP", &token, &[&proof]);
        let url = url.clone();
        async move { verifier.verify_request(&GET, &url, &h).await }
    };

    // No nonce: 401 use_dpop_nonce, the nonce in DPoP-Nonce, read back by
    // the client side of this crate.
    let refusal = send(
        key.proof_with_remembered_nonce(&GET, &url, Some(&token))
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.reason(), RejectReason::UseDpopNonce);
    assert_eq!(refusal.status(), StatusCode::UNAUTHORIZED);
    let answer = refusal.headers();
    assert_eq!(
        answer["www-authenticate"],
        "DPoP error=\"use_dpop_nonce\", error_description=\"the dpop proof must carry the \
         server's nonce\", algs=\"ES256\""
    );
    let Some(AuthChallenge::UseDpopNonce { nonce }) =
        AuthChallenge::from_response(refusal.status(), &answer)
    else {
        panic!("{answer:?}");
    };
    assert_eq!(Some(nonce.as_str()), refusal.dpop_nonce());
    key.remember_nonce(&url, &nonce).unwrap();

    // With it: accepted, nothing newer to send.
    let claims = send(
        key.proof_with_remembered_nonce(&GET, &url, Some(&token))
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(claims.next_dpop_nonce(), None);

    // A made-up nonce: refused with the current one.
    let made_up = key
        .proof(&GET, &url, Some("made-up"), Some(&token))
        .unwrap();
    let refusal = send(made_up).await.unwrap_err();
    assert_eq!(refusal.dpop_nonce(), Some(nonce.as_str()));

    // After a rotation the old nonce passes for its grace period, and the
    // answer names the new one; after the grace it is refused.
    skip(DEFAULT_NONCE_ROTATION).await;
    let token = issuer.bound_token(key.thumbprint());
    let send = |proof: String| {
        let verifier = verifier.clone();
        let h = headers("DPoP", &token, &[&proof]);
        let url = url.clone();
        async move { verifier.verify_request(&GET, &url, &h).await }
    };
    let claims = send(
        key.proof_with_remembered_nonce(&GET, &url, Some(&token))
            .unwrap(),
    )
    .await
    .unwrap();
    let newer = claims.next_dpop_nonce().unwrap().to_owned();
    assert_ne!(newer, nonce);
    skip(DEFAULT_NONCE_GRACE).await;
    let token = issuer.bound_token(key.thumbprint());
    let h = headers(
        "DPoP",
        &token,
        &[&key
            .proof_with_remembered_nonce(&GET, &url, Some(&token))
            .unwrap()],
    );
    let refusal = verifier.verify_request(&GET, &url, &h).await.unwrap_err();
    assert_eq!(refusal.dpop_nonce(), Some(newer.as_str()));
}

/// A store that cannot answer (a Redis that went away).
#[derive(Debug)]
struct Unreachable;

#[async_trait]
impl ReplayStore for Unreachable {
    async fn first_use(&self, _: &str, _: Duration) -> Result<bool, Error> {
        Err(Error::DpopStore {
            reason: "connection refused".into(),
            source: None,
        })
    }
}

#[async_trait]
impl NonceStore for Unreachable {
    async fn check(&self, _: Option<&str>) -> Result<NonceCheck, Error> {
        Err(Error::DpopStore {
            reason: "connection refused".into(),
            source: None,
        })
    }
}

#[tokio::test]
async fn stores_that_cannot_answer_fail_closed() {
    let issuer = Issuer::okta().await;
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    for verifier in [
        issuer
            .builder()
            .replay_store(Arc::new(Unreachable))
            .build()
            .unwrap(),
        issuer
            .builder()
            .dpop_nonces(Arc::new(Unreachable))
            .build()
            .unwrap(),
    ] {
        let proof = key.proof(&GET, &url, None, Some(&token)).unwrap();
        let h = headers("DPoP", &token, &[&proof]);
        let refusal = verifier.verify_request(&GET, &url, &h).await.unwrap_err();
        assert_eq!(refusal.reason(), RejectReason::DpopStoreUnavailable);
        assert_eq!(refusal.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(refusal.www_authenticate().is_none());
        let cause = refusal.error().unwrap();
        assert!(cause.is_transient() && cause.to_string().contains("connection refused"));
        // Bearer tokens need no store.
        verifier
            .verify(&issuer.token_with(serde_json::json!({})))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_full_replay_store_refuses_new_proofs_and_never_forgets_old_ones() {
    let issuer = Issuer::okta().await;
    let store = Arc::new(MemoryReplayStore::new(3));
    let verifier = issuer
        .builder()
        .replay_store(store.clone())
        .build()
        .unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    let proofs: Vec<String> = (0..4)
        .map(|_| key.proof(&GET, &url, None, Some(&token)).unwrap())
        .collect();
    let verdict = |proof: &str| {
        let h = headers("DPoP", &token, &[proof]);
        let verifier = verifier.clone();
        let url = url.clone();
        async move {
            verifier
                .verify_request(&GET, &url, &h)
                .await
                .map(|_| ())
                .map_err(|r| r.reason())
        }
    };
    for proof in &proofs[..3] {
        verdict(proof).await.unwrap();
    }
    assert_eq!(store.len(), 3);
    assert_eq!(
        verdict(&proofs[3]).await,
        Err(RejectReason::DpopStoreUnavailable),
        "full: refused"
    );
    for proof in &proofs[..3] {
        assert_eq!(verdict(proof).await, Err(RejectReason::ProofReplayed));
    }
    // Past the max age the entries stay: a replica whose clock is behind
    // by up to the leeway could still accept their proofs.
    skip(DEFAULT_DPOP_PROOF_MAX_AGE + Duration::from_secs(2)).await;
    assert_eq!(store.len(), 3);
    // They expire once their proofs are too old to pass anywhere.
    skip(DEFAULT_LEEWAY).await;
    assert!(store.is_empty());
    let fresh = key.proof(&GET, &url, None, Some(&token)).unwrap();
    verdict(&fresh).await.unwrap();
    // An old proof is refused by its iat, not let in by the emptied store.
    assert_eq!(verdict(&proofs[0]).await, Err(RejectReason::ProofIssuedAt));
}

/// A replay store that records the TTL it is asked to keep each proof for.
#[derive(Debug, Default)]
struct Recording(Mutex<Vec<Duration>>);

#[async_trait]
impl ReplayStore for Recording {
    async fn first_use(&self, _: &str, ttl: Duration) -> Result<bool, Error> {
        self.0.lock().unwrap().push(ttl);
        Ok(true)
    }
}

/// `dpop_proof_max_age` says "Proofs are remembered (for replay) this long
/// plus the leeway". A fresh proof is remembered for max age + 1 s only:
/// in a fleet sharing Redis, a replica whose clock is more than a second
/// behind the one that recorded the proof still accepts it (its iat is
/// still within its max age) after the key has expired — a replay the
/// leeway (120 s of tolerated skew) was meant to cover.
#[tokio::test]
async fn a_proof_is_remembered_for_max_age_plus_leeway() {
    let issuer = Issuer::okta().await;
    let store = Arc::new(Recording::default());
    let verifier = issuer
        .builder()
        .replay_store(store.clone())
        .build()
        .unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    let h = headers(
        "DPoP",
        &token,
        &[&key.proof(&GET, &url, None, Some(&token)).unwrap()],
    );
    verifier.verify_request(&GET, &url, &h).await.unwrap();
    let ttl = store.0.lock().unwrap()[0];
    assert!(
        ttl >= DEFAULT_DPOP_PROOF_MAX_AGE + DEFAULT_LEEWAY,
        "remembered for {ttl:?}, not max age + leeway"
    );
}

#[tokio::test]
async fn verifiers_sharing_a_store_refuse_a_proof_replayed_from_one_to_the_other() {
    let issuer = Issuer::okta().await;
    let store: Arc<dyn ReplayStore> = Arc::new(MemoryReplayStore::default());
    let one = issuer
        .builder()
        .replay_store(store.clone())
        .build()
        .unwrap();
    let two = issuer.builder().replay_store(store).build().unwrap();
    let key = DpopKey::generate();
    let token = issuer.bound_token(key.thumbprint());
    let url = api_url();
    let h = headers(
        "DPoP",
        &token,
        &[&key.proof(&GET, &url, None, Some(&token)).unwrap()],
    );
    one.verify_request(&GET, &url, &h).await.unwrap();
    let replay = two.verify_request(&GET, &url, &h).await.unwrap_err();
    assert_eq!(replay.reason(), RejectReason::ProofReplayed);
}
