//! Metadata and JWKS answers, and faults on the JWKS endpoint.

use super::*;

#[tokio::test]
async fn metadata_names_the_issuer_token_endpoint_and_jwks_uri() {
    let okta = org().await;
    let iss = okta.issuer("default").unwrap();
    let oauth = Url::parse(&format!("{iss}/.well-known/oauth-authorization-server")).unwrap();
    let rfc8414 = okta
        .org_url()
        .endpoint(".well-known/oauth-authorization-server/oauth2/default");
    let oidc = Url::parse(&format!("{iss}/.well-known/openid-configuration")).unwrap();
    for url in [&oauth, &rfc8414, &oidc] {
        let response = get(url).await;
        assert_eq!(response.status(), 200, "{url}");
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["issuer"], iss);
        assert_eq!(
            doc["token_endpoint"],
            okta.org_url()
                .custom_token_endpoint("default")
                .unwrap()
                .as_str()
        );
        assert_eq!(doc["jwks_uri"], okta.jwks_uri("default").unwrap().as_str());
        assert_eq!(doc["jwks_uri"], format!("{iss}/v1/keys"));
        assert_eq!(
            doc["introspection_endpoint"],
            format!("{iss}/v1/introspect")
        );
        assert!(
            doc["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt"))
        );
        // The algorithms the fake org's proof check takes (Okta's, but for
        // ES512, which it cannot verify), as its `DPoP` challenge lists them.
        assert_eq!(
            doc["dpop_signing_alg_values_supported"],
            json!(["RS256", "RS384", "RS512", "ES256", "ES384"])
        );
        let has_userinfo = doc.get("userinfo_endpoint").is_some();
        assert_eq!(has_userinfo, url == &oidc, "{url}");
    }
    assert_eq!(okta.metadata_requests("default"), 3);
    assert_eq!(okta.jwks_requests("default"), 0);

    // An id the org does not know: Okta's 404, counted nowhere.
    let unknown = okta
        .org_url()
        .endpoint("oauth2/nope/.well-known/oauth-authorization-server");
    let response = get(&unknown).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000007");
    assert_eq!(
        get(&okta.org_url().endpoint("oauth2/nope/v1/keys"))
            .await
            .status(),
        404
    );
    assert_eq!(okta.metadata_requests("nope"), 0);
    assert!(matches!(okta.issuer("nope"), Err(Error::Config(_))));
    // Only GET is served.
    let post = reqwest::Client::new()
        .post(okta.jwks_uri("default").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    assert_eq!(okta.jwks_requests("default"), 0);
}

#[tokio::test]
async fn the_jwks_answer_carries_cache_control() {
    let okta = org().await;
    okta.register_custom_server(CustomServer::new("short").jwks_max_age(Duration::from_secs(60)))
        .unwrap();
    for (server, max_age) in [("default", JWKS_MAX_AGE.as_secs()), ("short", 60)] {
        let response = get(&okta.jwks_uri(server).unwrap()).await;
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(
            headers["cache-control"],
            format!("max-age={max_age}, must-revalidate").as_str()
        );
        let date = httpdate::parse_http_date(headers["date"].to_str().unwrap()).unwrap();
        let expires = httpdate::parse_http_date(headers["expires"].to_str().unwrap()).unwrap();
        assert_eq!(expires.duration_since(date).unwrap().as_secs(), max_age);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }
}

#[tokio::test]
async fn jwks_faults_fail_the_keys_endpoint_only() {
    let okta = org().await;
    let jwks = okta.jwks_uri("default").unwrap();
    okta.fail_next_jwks_requests(1, Fault::Status(503));
    okta.fail_next_jwks_requests(
        1,
        Fault::RateLimited {
            reset_after: Duration::from_secs(30),
        },
    );
    okta.fail_next_jwks_requests(1, Fault::MalformedBody);

    // Metadata and tokens are not affected.
    let iss = okta.issuer("default").unwrap();
    let meta = Url::parse(&format!("{iss}/.well-known/oauth-authorization-server")).unwrap();
    assert_eq!(get(&meta).await.status(), 200);
    secret_client_token(&okta, "default").await;

    let first = get(&jwks).await;
    assert_eq!(first.status(), 503);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000009");
    let second = get(&jwks).await;
    assert_eq!(second.status(), 429);
    assert_eq!(second.headers()["x-rate-limit-remaining"], "0");
    let third = get(&jwks).await;
    assert_eq!(third.status(), 200);
    assert!(third.json::<Value>().await.is_err(), "truncated JSON");
    let fourth = get(&jwks).await;
    assert_eq!(fourth.status(), 200);
    let keys: JwkSet = fourth.json().await.unwrap();
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(okta.jwks_requests("default"), 4);
    let logged: Vec<u16> = okta
        .received()
        .iter()
        .filter(|r| r.path.ends_with("/v1/keys"))
        .map(|r| r.status)
        .collect();
    assert_eq!(logged, [503, 429, 200, 200]);
}
