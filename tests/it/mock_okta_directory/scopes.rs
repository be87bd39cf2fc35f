//! Authorization on the directory: users need `okta.users.*`, groups
//! `okta.groups.*`, as Okta's specification lists them.

use okta_auth::testing::EVERYONE_GROUP_ID;

use super::{app_token, get_with, org, url};

#[tokio::test]
async fn users_and_groups_each_need_their_own_scope() {
    let okta = org().await;
    let users = app_token(&okta, "0oaUsersReader", &["okta.users.read"], false).await;
    let groups = app_token(&okta, "0oaGroupsReader", &["okta.groups.read"], true).await;
    let manager = app_token(
        &okta,
        "0oaManager",
        &["okta.users.manage", "okta.groups.manage"],
        false,
    )
    .await;
    let own = app_token(&okta, "0oaSelf", &["okta.users.read.self"], false).await;

    let user_paths = [
        "api/v1/users",
        "api/v1/users/me",
        "api/v1/users/user@example.com",
    ];
    let group_paths = [
        "api/v1/groups".to_owned(),
        format!("api/v1/groups/{EVERYONE_GROUP_ID}"),
        format!("api/v1/groups/{EVERYONE_GROUP_ID}/users"),
    ];
    let cases = user_paths
        .iter()
        .map(|p| (p.to_string(), [200, 403, 200, 403]))
        .chain(
            group_paths
                .iter()
                .map(|p| (p.clone(), [403, 200, 200, 403])),
        );
    for (path, expected) in cases {
        for (token, want) in [&users, &groups, &manager, &own].into_iter().zip(expected) {
            let want = if path == "api/v1/users/me" && token.scopes() == ["okta.users.read.self"] {
                200
            } else {
                want
            };
            let a = get_with(&url(&okta, &path), token).await;
            assert_eq!(
                a.status,
                want,
                "{path} with {:?}: {}",
                token.scopes(),
                a.body
            );
            if want == 403 {
                assert_eq!(a.error_code(), "E0000006");
                let challenge = a.header("www-authenticate");
                assert!(
                    challenge.contains("error=\"insufficient_scope\""),
                    "{challenge}"
                );
                assert!(
                    challenge.contains(&format!("resource=\"/{path}\"")),
                    "{challenge}"
                );
            }
        }
    }
}

/// Okta's 403 for a missing scope names the scope the route needs:
/// `WWW-Authenticate: Bearer authorization_uri="…", realm="…",
/// scope="okta.users.read", error="insufficient_scope",
/// error_description="The access token provided does not contain the
/// required scopes.", resource="/api/v1/users"` (Okta's "OAuth 2.0 for
/// Okta" guide; the same `scope` member is on its DPoP challenges,
/// okta-sdk-nodejs#453), so a client can ask for the missing scope.
#[tokio::test]
async fn the_insufficient_scope_challenge_names_the_scope_needed() {
    let okta = org().await;
    let groups = app_token(&okta, "0oaGroupsOnly", &["okta.groups.read"], false).await;
    let users = app_token(&okta, "0oaUsersOnly", &["okta.users.read"], false).await;
    let base = okta.uri();
    for (token, path, scope) in [
        (&groups, "api/v1/users", "okta.users.read"),
        (&groups, "api/v1/users/me", "okta.users.read.self"),
        (&users, "api/v1/groups", "okta.groups.read"),
    ] {
        let a = get_with(&url(&okta, path), token).await;
        assert_eq!(a.status, 403, "{path}: {}", a.body);
        assert_eq!(
            a.header("www-authenticate"),
            format!(
                "Bearer authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", \
                 scope=\"{scope}\", error=\"insufficient_scope\", error_description=\"The \
                 access token provided does not contain the required scopes.\", \
                 resource=\"/{path}\""
            )
        );
    }
}

#[tokio::test]
async fn only_get_is_served_and_unknown_paths_are_okta_s_404() {
    let okta = org().await;
    let token = app_token(&okta, "0oaReader", &["okta.users.read"], false).await;
    let users = url(&okta, "api/v1/users");
    let headers = token
        .authorize(&okta_auth::http::Method::POST, &users.parse().unwrap())
        .unwrap();
    let post = super::http()
        .post(&users)
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET");

    let a = get_with(&url(&okta, "api/v1/zones"), &token).await;
    assert_eq!((a.status, a.error_code()), (404, "E0000007"));
}
