//! A fault at each provisioning step in turn: a typed error naming the step
//! and the client id, and no app left in the org — or, when undoing fails
//! too or the spec keeps it, an error that lists what was left.

use std::time::Duration;

use okta_auth::Error;
use okta_auth::admin::{
    AdminRole, Cleanup, Leftover, ProvisionError, ProvisionStep, ServiceAppSpec,
};
use okta_auth::http::StatusCode;
use okta_auth::testing::{AdminRoute, Fault, MockOkta};

use super::{admin, line, management, org};

fn spec() -> ServiceAppSpec {
    ServiceAppSpec::new("orders-sync")
        .scopes(["okta.users.read", "okta.groups.read"])
        .roles([AdminRole::HelpDeskAdmin])
}

fn provision_error(e: Error) -> ProvisionError {
    match e {
        Error::Provision(p) => *p,
        other => panic!("not a provisioning error: {other:?}"),
    }
}

async fn fails(okta: &MockOkta, spec: ServiceAppSpec) -> ProvisionError {
    provision_error(admin(okta).create_service_app(spec).await.unwrap_err())
}

/// How a step is made to fail.
enum Inject {
    /// The next `n` requests to the route: a pass (`Fault::Delay(0)`, which
    /// is answered normally) for each earlier call, then the fault.
    Route(AdminRoute, usize, Fault),
    /// The next token request.
    Token(Fault),
}

#[tokio::test]
async fn a_fault_at_each_step_names_it_and_leaves_no_app() {
    let pass = Fault::Delay(Duration::ZERO);
    let cases = [
        (
            Inject::Route(AdminRoute::RegisterClient, 0, Fault::Status(400)),
            ProvisionStep::Register,
        ),
        (
            Inject::Route(AdminRoute::GetApp, 0, Fault::Status(500)),
            ProvisionStep::SetDpop,
        ),
        (
            Inject::Route(AdminRoute::ReplaceApp, 0, Fault::Status(500)),
            ProvisionStep::SetDpop,
        ),
        (
            Inject::Route(AdminRoute::GrantScope, 0, Fault::Status(500)),
            ProvisionStep::Grant("okta.users.read".into()),
        ),
        (
            Inject::Route(AdminRoute::GrantScope, 1, Fault::Status(503)),
            ProvisionStep::Grant("okta.groups.read".into()),
        ),
        (
            Inject::Route(AdminRoute::AssignRole, 0, Fault::Status(403)),
            ProvisionStep::AssignRole(AdminRole::HelpDeskAdmin),
        ),
        (
            // Not a race a retry could win: given up at once.
            Inject::Token(Fault::Status(400)),
            ProvisionStep::ProveToken,
        ),
    ];
    for (inject, step) in cases {
        let okta = org().await;
        let status = match &inject {
            Inject::Route(route, passes, fault) => {
                okta.fail_next_admin_requests(*route, *passes, pass.clone());
                okta.fail_next_admin_requests(*route, 1, fault.clone());
                match fault {
                    Fault::Status(s) => *s,
                    _ => unreachable!(),
                }
            }
            Inject::Token(fault) => {
                okta.fail_next_token_requests(1, fault.clone());
                400
            }
        };
        let e = fails(&okta, spec()).await;
        assert_eq!(e.step(), &step);
        assert_eq!(
            e.cause().status(),
            StatusCode::from_u16(status).ok(),
            "{step}"
        );
        assert!(e.left_behind().is_empty(), "{step}: {e}");
        assert!(okta.apps().is_empty(), "{step}: {:?}", okta.apps());
        let text = e.to_string();
        assert!(text.contains(&step.to_string()), "{text}");
        if step == ProvisionStep::Register {
            assert_eq!(e.client_id(), None);
            assert!(matches!(e.cleanup(), Cleanup::NothingCreated), "{e}");
            continue;
        }
        let id = e.client_id().expect("a client was registered").to_owned();
        assert!(text.contains(&id), "{text}");
        assert!(matches!(e.cleanup(), Cleanup::Undone), "{step}: {e}");
        // Undone as Okta wants it: deactivated, then deleted.
        let lines: Vec<String> = management(&okta).iter().map(line).collect();
        assert_eq!(
            lines[lines.len() - 2..],
            [
                format!("POST /api/v1/apps/{id}/lifecycle/deactivate"),
                format!("DELETE /api/v1/apps/{id}"),
            ],
            "{step}"
        );
        // The error is the crate's, with the cause as its source.
        let source = std::error::Error::source(&Error::Provision(Box::new(e.clone())))
            .map(ToString::to_string);
        assert_eq!(source, Some(e.cause().to_string()));
    }
}

#[tokio::test]
async fn a_registration_whose_answer_is_lost_says_an_app_may_exist() {
    let okta = org().await;
    okta.fail_next_admin_requests(AdminRoute::RegisterClient, 1, Fault::MalformedBody);
    let e = fails(&okta, spec()).await;
    assert_eq!(e.step(), &ProvisionStep::Register);
    assert!(matches!(e.cleanup(), Cleanup::Uncertain), "{e}");
    assert!(e.to_string().contains("may have created"), "{e}");
}

#[tokio::test]
async fn when_deactivating_fails_too_the_active_app_is_listed() {
    let okta = org().await;
    okta.fail_next_admin_requests(AdminRoute::AssignRole, 1, Fault::Status(500));
    okta.fail_next_admin_requests(AdminRoute::DeactivateApp, 1, Fault::Status(502));
    let e = fails(&okta, spec()).await;
    let id = e.client_id().unwrap().to_owned();
    assert_eq!(
        e.step(),
        &ProvisionStep::AssignRole(AdminRole::HelpDeskAdmin)
    );
    let Cleanup::UndoFailed(undo) = e.cleanup() else {
        panic!("{e}");
    };
    assert_eq!(undo.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(
        e.left_behind(),
        [
            Leftover::App {
                client_id: id.clone(),
                active: true
            },
            Leftover::Grant {
                client_id: id.clone(),
                scope: "okta.users.read".into()
            },
            Leftover::Grant {
                client_id: id.clone(),
                scope: "okta.groups.read".into()
            },
        ]
    );
    assert_eq!(
        okta.apps(),
        std::slice::from_ref(&id),
        "it is there, and said so"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "left behind: the active app {id}, its grant of okta.users.read"
        )),
        "{text}"
    );
}

#[tokio::test]
async fn when_deleting_fails_too_the_inactive_app_is_listed() {
    let okta = org().await;
    okta.fail_next_token_requests(1, Fault::Status(400));
    okta.fail_next_admin_requests(AdminRoute::DeleteApp, 1, Fault::Status(500));
    let e = fails(&okta, spec()).await;
    let id = e.client_id().unwrap().to_owned();
    assert_eq!(e.step(), &ProvisionStep::ProveToken);
    assert!(matches!(e.cleanup(), Cleanup::UndoFailed(_)), "{e}");
    assert_eq!(
        e.left_behind()[0],
        Leftover::App {
            client_id: id.clone(),
            active: false
        }
    );
    assert_eq!(
        e.left_behind()[3],
        Leftover::Role {
            client_id: id.clone(),
            role: AdminRole::HelpDeskAdmin
        }
    );
    let info = okta.app(&id).unwrap();
    assert_eq!(info.status, okta_auth::testing::Status::Inactive);
}

#[tokio::test]
async fn kept_on_failure_as_asked_and_listed() {
    let okta = org().await;
    okta.fail_next_admin_requests(AdminRoute::GrantScope, 1, Fault::Delay(Duration::ZERO));
    okta.fail_next_admin_requests(AdminRoute::GrantScope, 1, Fault::Status(500));
    let e = fails(&okta, spec().keep_on_failure(true)).await;
    let id = e.client_id().unwrap().to_owned();
    assert!(matches!(e.cleanup(), Cleanup::Kept), "{e}");
    assert_eq!(
        e.left_behind(),
        [
            Leftover::App {
                client_id: id.clone(),
                active: true
            },
            Leftover::Grant {
                client_id: id.clone(),
                scope: "okta.users.read".into()
            },
        ]
    );
    assert_eq!(okta.apps(), [id]);
    assert!(
        !management(&okta)
            .iter()
            .any(|r| r.path.contains("lifecycle")),
        "nothing undone"
    );
}

#[tokio::test]
async fn a_new_apps_first_token_failure_is_retried_briefly() {
    let okta = org().await;
    okta.fail_next_token_requests(1, Fault::Status(503));
    let app = admin(&okta).create_service_app(spec()).await.unwrap();
    // The fault, the nonce handshake, the token.
    assert_eq!(okta.token_requests(&app.client_id), 3);

    // Retried no more than asked: then given up, and undone.
    let okta = org().await;
    okta.fail_next_token_requests(2, Fault::Status(503));
    let e = fails(&okta, spec().prove_attempts(2)).await;
    assert_eq!(e.step(), &ProvisionStep::ProveToken);
    assert!(e.cause().is_transient());
    assert!(matches!(e.cleanup(), Cleanup::Undone), "{e}");
    assert!(okta.apps().is_empty());
    assert_eq!(okta.token_requests(e.client_id().unwrap()), 2);
}
