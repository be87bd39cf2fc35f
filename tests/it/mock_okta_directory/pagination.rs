//! Okta's pagination: `limit`, `after`, and `Link` headers a client follows
//! to the end.

use std::collections::HashSet;

use okta_auth::testing::{MockOkta, MockUser, USERS_PAGE_LIMIT};

use super::{Answer, api_token, get, get_with, org, url};

/// Follows `rel="next"` from `first` to the last page; every page's ids.
async fn follow(first: String) -> (Vec<Vec<String>>, Vec<Answer>) {
    let token = api_token().await;
    let (mut pages, mut answers, mut next) = (Vec::new(), Vec::new(), Some(first));
    while let Some(url) = next.take() {
        let a = get_with(&url, &token).await;
        assert_eq!(a.status, 200, "{url}: {}", a.body);
        let ids = a
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned());
        pages.push(ids.collect());
        next = a.next();
        answers.push(a);
        assert!(pages.len() < 10, "the pages never end");
    }
    (pages, answers)
}

async fn with_users(n: usize) -> (MockOkta, Vec<String>) {
    let okta = org().await;
    let mut ids = vec![
        okta_auth::testing::ADMIN_USER_ID.to_owned(),
        okta_auth::testing::END_USER_ID.to_owned(),
    ];
    for i in 0..n {
        ids.push(
            okta.add_user(MockUser::new(format!("user{i:03}@example.com")))
                .unwrap(),
        );
    }
    (okta, ids)
}

#[tokio::test]
async fn a_client_following_next_links_sees_every_user_once() {
    let (okta, ids) = with_users(450).await;
    let (pages, answers) = follow(url(&okta, "api/v1/users?limit=200")).await;

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [200, 200, 52]);
    let seen: Vec<String> = pages.concat();
    assert_eq!(seen, ids, "every user once, in order: no gap, no duplicate");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 452);

    // The headers are Okta's: a `self` line and a `next` line.
    let base = okta.uri();
    assert_eq!(
        answers[0].links(),
        [
            format!("<{base}/api/v1/users?limit=200>; rel=\"self\""),
            format!(
                "<{base}/api/v1/users?after={}&limit=200>; rel=\"next\"",
                ids[199]
            ),
        ]
    );
    assert_eq!(
        answers[1].links()[0],
        format!(
            "<{base}/api/v1/users?after={}&limit=200>; rel=\"self\"",
            ids[199]
        )
    );
    // The last page has `self` only.
    assert_eq!(
        answers[2].links(),
        [format!(
            "<{base}/api/v1/users?after={}&limit=200>; rel=\"self\"",
            ids[399]
        )]
    );
}

#[tokio::test]
async fn the_default_and_the_maximum_page_are_okta_s_200() {
    let (okta, ids) = with_users(250).await;
    for query in ["", "?limit=1000"] {
        let a = get(&okta, &format!("api/v1/users{query}")).await;
        assert_eq!(
            a.body.as_array().unwrap().len(),
            USERS_PAGE_LIMIT,
            "{query}"
        );
        let next = a.next().unwrap();
        assert!(
            next.ends_with(&format!("?after={}&limit=200", ids[199])),
            "{next}"
        );
    }
    // Without a `limit`, `self` is the request as sent.
    let a = get(&okta, "api/v1/users").await;
    assert_eq!(
        a.links()[0],
        format!("<{}/api/v1/users>; rel=\"self\"", okta.uri())
    );
}

#[tokio::test]
async fn small_pages_keep_the_other_parameters() {
    let (okta, ids) = with_users(3).await;
    let (pages, answers) = follow(url(&okta, "api/v1/users?limit=2&expand=classification")).await;
    assert_eq!(pages.concat(), ids);
    assert_eq!(pages.len(), 3);
    let next = answers[0].next().unwrap();
    assert_eq!(
        next,
        format!(
            "{}/api/v1/users?expand=classification&after={}&limit=2",
            okta.uri(),
            ids[1]
        )
    );
}

#[tokio::test]
async fn bad_limits_cursors_and_expressions_are_refused() {
    let okta = org().await;
    for query in [
        "limit=0",
        "limit=-5",
        "limit=lots",
        "after=00unknown",
        "search=profile.department%20eq%20%22Eng%22",
        "filter=status%20eq%20%22ACTIVE%22",
    ] {
        let a = get(&okta, &format!("api/v1/users?{query}")).await;
        assert_eq!(
            (a.status, a.error_code()),
            (400, "E0000001"),
            "{query}: {}",
            a.body
        );
    }
    // Refused answers carry no `Link`.
    assert!(get(&okta, "api/v1/users?limit=0").await.links().is_empty());
}
