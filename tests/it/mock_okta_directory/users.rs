//! Users: Okta's full user object, the built-in fixtures, added users, and
//! reading one by id, login or shortname.

use okta_auth::testing::{
    ADMIN_USER_ID, ADMIN_USER_LOGIN, DEFAULT_FIRST_NAME, DEFAULT_LAST_NAME, DEFAULT_USER_TYPE_ID,
    END_USER_ID, END_USER_LOGIN, MockUser, UserStatus,
};

use super::{User, get, is_okta_time, org};

#[tokio::test]
async fn users_have_every_member_okta_returns_typed() {
    let okta = org().await;
    let added = okta
        .add_user(
            MockUser::new("grace@example.com")
                .first_name("Grace")
                .last_name("Hopper")
                .profile("department", "Engineering")
                .profile("employeeNumber", 42),
        )
        .unwrap();

    let list = get(&okta, "api/v1/users").await;
    assert_eq!(list.status, 200, "{}", list.body);
    // Every member Okta always returns is there, `null` or not.
    for user in list.body.as_array().unwrap() {
        for member in [
            "id",
            "status",
            "created",
            "activated",
            "statusChanged",
            "lastLogin",
            "lastUpdated",
            "passwordChanged",
            "type",
            "profile",
            "credentials",
            "_links",
        ] {
            assert!(user.get(member).is_some(), "{member} in {user}");
        }
    }
    let users: Vec<User> = serde_json::from_value(list.body).unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, [ADMIN_USER_ID, END_USER_ID, added.as_str()]);
    for user in &users {
        assert_eq!(user.status, "ACTIVE");
        for time in [&user.created, &user.last_updated] {
            assert!(is_okta_time(time), "{time}");
        }
        for time in [
            &user.activated,
            &user.status_changed,
            &user.password_changed,
        ] {
            assert!(is_okta_time(time.as_deref().unwrap()), "{user:?}");
        }
        assert_eq!(user.user_type.id, DEFAULT_USER_TYPE_ID);
        assert_eq!(user.profile.email, user.profile.login);
        assert_eq!(user.profile.mobile_phone, None);
        assert!(user.credentials.password.as_ref().unwrap().is_empty());
        assert_eq!(
            (
                &*user.credentials.provider.kind,
                &*user.credentials.provider.name
            ),
            ("OKTA", "OKTA")
        );
        // A list carries the `self` link only, as Okta's.
        let href = format!("{}/api/v1/users/{}", okta.uri(), user.id);
        assert_eq!(user.links.len(), 1);
        assert_eq!(user.links["self"]["href"], href.as_str());
    }
    let (admin, plain, grace) = (&users[0], &users[1], &users[2]);
    assert_eq!(admin.profile.login, ADMIN_USER_LOGIN);
    assert_eq!(admin.profile.first_name, "Ada");
    assert!(admin.last_login.is_some(), "the admin has signed in");
    assert_eq!(plain.profile.login, END_USER_LOGIN);
    assert_eq!(plain.last_login, None);
    assert_eq!(grace.profile.first_name, "Grace");
    assert_eq!(grace.profile.extra["department"], "Engineering");
    assert_eq!(grace.profile.extra["employeeNumber"], 42);
    assert!(grace.id.starts_with("00u") && grace.id.len() == 20);
}

#[tokio::test]
async fn one_user_is_found_by_id_login_or_shortname_with_all_its_links() {
    let okta = org().await;
    let id = okta.add_user(MockUser::new("ada.l@example.com")).unwrap();
    for key in [
        id.as_str(),
        "ada.l@example.com",
        "ADA.L%40example.com",
        "ada.l",
    ] {
        let a = get(&okta, &format!("api/v1/users/{key}")).await;
        assert_eq!(a.status, 200, "{key}: {}", a.body);
        let user: User = serde_json::from_value(a.body).unwrap();
        assert_eq!(user.id, id, "{key}");
        assert_eq!(user.profile.first_name, DEFAULT_FIRST_NAME);
        assert_eq!(user.profile.last_name, DEFAULT_LAST_NAME);
        for link in ["self", "suspend", "deactivate", "resetPassword", "type"] {
            assert!(user.links[link]["href"].is_string(), "{key}: {link}");
        }
        assert!(user.links.get("activate").is_none());
    }
    let missing = get(&okta, "api/v1/users/nobody@example.com").await;
    assert_eq!((missing.status, missing.error_code()), (404, "E0000007"));
    assert_eq!(
        missing.body["errorSummary"],
        "Not found: Resource not found: nobody@example.com (User)"
    );
    // `me` is the API token's user, the built-in admin.
    let me = get(&okta, "api/v1/users/me").await;
    assert_eq!(me.body["id"], ADMIN_USER_ID);
    assert!(me.body["_links"]["deactivate"].is_object());
}

#[tokio::test]
async fn statuses_shape_the_timestamps_links_and_listing() {
    let okta = org().await;
    let staged = okta
        .add_user(MockUser::new("staged@example.com").status(UserStatus::Staged))
        .unwrap();
    let gone = okta
        .add_user(MockUser::new("gone@example.com").status(UserStatus::Deprovisioned))
        .unwrap();

    let a = get(&okta, &format!("api/v1/users/{staged}")).await;
    let user: User = serde_json::from_value(a.body).unwrap();
    assert_eq!(user.status, "STAGED");
    assert_eq!(
        (user.activated, user.status_changed, user.password_changed),
        (None, None, None)
    );
    assert!(user.credentials.password.is_none());
    assert!(user.links.contains_key("activate"));

    // Okta's list leaves deprovisioned users out; reading one still works.
    let list = get(&okta, "api/v1/users").await;
    let ids: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&staged.as_str()));
    assert!(!ids.contains(&gone.as_str()));
    let a = get(&okta, &format!("api/v1/users/{gone}")).await;
    assert_eq!(a.body["status"], "DEPROVISIONED");
}

#[tokio::test]
async fn a_duplicate_or_empty_login_is_refused() {
    let okta = org().await;
    okta.add_user(MockUser::new("dup@example.com")).unwrap();
    for login in ["dup@example.com", "DUP@example.com", ADMIN_USER_LOGIN, ""] {
        let error = okta.add_user(MockUser::new(login)).unwrap_err();
        assert!(
            matches!(error, okta_auth::Error::Config(_)),
            "{login}: {error}"
        );
    }
}

#[tokio::test]
async fn q_finds_users_by_the_start_of_a_name_or_email() {
    let okta = org().await;
    for (login, first) in [("amy@example.com", "Amy"), ("bob@example.com", "Bob")] {
        okta.add_user(MockUser::new(login).first_name(first))
            .unwrap();
    }
    let a = get(&okta, "api/v1/users?q=am").await;
    assert_eq!(a.status, 200);
    let logins: Vec<&str> = a
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["amy@example.com"]);
    // `q` is not paged: one page, no `next`, whatever the limit.
    let a = get(&okta, "api/v1/users?q=&limit=1").await;
    assert_eq!(a.body.as_array().unwrap().len(), 1);
    assert_eq!(a.next(), None);
}

/// Okta's user lifecycle: `activate` is for `STAGED` or `DEPROVISIONED`
/// users only; a `PROVISIONED` one (or one in `RECOVERY`) is *re*activated
/// (Okta's User Lifecycle API). The fake org offered a `PROVISIONED` user
/// an `activate` link that Okta would refuse to follow.
#[tokio::test]
async fn a_provisioned_user_has_no_activate_link() {
    let okta = org().await;
    for (status, offered, not_offered) in [
        (UserStatus::Provisioned, "reactivate", "activate"),
        (UserStatus::Recovery, "reactivate", "activate"),
        (UserStatus::Staged, "activate", "reactivate"),
        (UserStatus::Deprovisioned, "activate", "reactivate"),
    ] {
        let login = format!("{}@example.com", status.as_str().to_lowercase());
        let id = okta.add_user(MockUser::new(&login).status(status)).unwrap();
        let a = get(&okta, &format!("api/v1/users/{id}")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["status"], status.as_str());
        let links = &a.body["_links"];
        assert!(links.get(not_offered).is_none(), "{status}: {links}");
        assert_eq!(
            links[offered]["href"],
            format!("{}/api/v1/users/{id}/lifecycle/{offered}", okta.uri()),
            "{status}: {links}"
        );
    }
}
