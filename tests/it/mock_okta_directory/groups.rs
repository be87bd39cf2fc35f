//! Groups: Okta's group object, `Everyone`, added groups and their members,
//! paged as users are.

use okta_auth::testing::{ADMIN_USER_ID, END_USER_ID, EVERYONE_GROUP_ID, MockGroup, MockUser};

use super::{Group, User, api_token, get, get_with, is_okta_time, org, url};

#[tokio::test]
async fn groups_have_okta_s_members_and_everyone_comes_first() {
    let okta = org().await;
    let team = okta
        .add_group(MockGroup::new("Engineering").description("Builders"))
        .unwrap();
    let ops = okta.add_group("Operations").unwrap();

    let a = get(&okta, "api/v1/groups").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let groups: Vec<Group> = serde_json::from_value(a.body.clone()).unwrap();
    let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, [EVERYONE_GROUP_ID, team.as_str(), ops.as_str()]);
    let (everyone, engineering, operations) = (&groups[0], &groups[1], &groups[2]);
    assert_eq!(everyone.kind, "BUILT_IN");
    assert_eq!(everyone.profile.name, "Everyone");
    assert_eq!(engineering.kind, "OKTA_GROUP");
    assert_eq!(engineering.object_class, ["okta:user_group"]);
    assert_eq!(engineering.profile.description.as_deref(), Some("Builders"));
    assert_eq!(operations.profile.description, None);
    for group in &groups {
        for time in [
            &group.created,
            &group.last_updated,
            &group.last_membership_updated,
        ] {
            assert!(is_okta_time(time), "{time}");
        }
        let users = format!("{}/api/v1/groups/{}/users", okta.uri(), group.id);
        assert_eq!(group.links["users"]["href"], users.as_str());
        assert_eq!(group.links["logo"].as_array().unwrap().len(), 2);
    }
    assert!(a.links()[0].ends_with("/api/v1/groups>; rel=\"self\""));

    let one = get(&okta, &format!("api/v1/groups/{team}")).await;
    let group: Group = serde_json::from_value(one.body).unwrap();
    assert_eq!(group.profile.name, "Engineering");
    let missing = get(&okta, "api/v1/groups/00gnothere").await;
    assert_eq!((missing.status, missing.error_code()), (404, "E0000007"));
    assert_eq!(
        missing.body["errorSummary"],
        "Not found: Resource not found: 00gnothere (UserGroup)"
    );
    let found = get(&okta, "api/v1/groups?q=eng").await;
    assert_eq!(found.body.as_array().unwrap().len(), 1);
    assert_eq!(found.body[0]["id"], team.as_str());
}

#[tokio::test]
async fn members_are_listed_as_users_and_paged() {
    let okta = org().await;
    let team = okta.add_group("Engineering").unwrap();
    let mut members = Vec::new();
    for i in 0..5 {
        let id = okta
            .add_user(MockUser::new(format!("dev{i}@example.com")))
            .unwrap();
        okta.add_to_group(&team, &id).unwrap();
        members.push(id);
    }
    okta.add_to_group(&team, &members[0]).unwrap(); // again: no change
    okta.add_user(MockUser::new("outsider@example.com"))
        .unwrap();

    let token = api_token().await;
    let mut next = Some(url(&okta, &format!("api/v1/groups/{team}/users?limit=2")));
    let mut seen = Vec::new();
    while let Some(page) = next.take() {
        let a = get_with(&page, &token).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let users: Vec<User> = serde_json::from_value(a.body.clone()).unwrap();
        assert!(users.len() <= 2);
        seen.extend(users.into_iter().map(|u| u.id));
        next = a.next();
    }
    assert_eq!(seen, members);

    // Everyone: every user, the built-in ones first.
    let everyone = get(&okta, &format!("api/v1/groups/{EVERYONE_GROUP_ID}/users")).await;
    let ids: Vec<&str> = everyone
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8);
    assert_eq!(ids[..2], [ADMIN_USER_ID, END_USER_ID]);
    let missing = get(&okta, "api/v1/groups/00gnothere/users").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn memberships_need_a_known_user_and_group_and_not_everyone() {
    let okta = org().await;
    let team = okta.add_group("Engineering").unwrap();
    assert!(okta.add_group("Engineering").is_err(), "names are unique");
    assert!(okta.add_group("").is_err());
    assert!(okta.add_to_group(&team, "00unknown").is_err());
    assert!(okta.add_to_group("00gunknown", END_USER_ID).is_err());
    assert!(okta.add_to_group(EVERYONE_GROUP_ID, END_USER_ID).is_err());
    assert!(okta.add_to_group(&team, END_USER_ID).is_ok());
}
