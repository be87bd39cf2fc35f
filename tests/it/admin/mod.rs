//! `OktaAdmin` against `MockOkta`: the management calls as they go over the
//! wire (through the same request path as `OktaAuth`), provisioning a
//! service app step by step (and undoing it when a step fails), Okta's
//! error documents, retiring the API token, and exporting keys.
//!
//! The harness lives here; each behaviour has a module.

mod api_tokens;
mod calls;
mod errors;
mod key_export;
mod provision_faults;
mod provisioning;

use crate::support::http;
use okta_auth::testing::{MockOkta, ReceivedRequest, ServiceApp};
use okta_auth::{ApiTokenSource, OktaAdmin, ServiceAppSource, SigningKey};

/// The fake org's API token (a super admin's).
const ADMIN_TOKEN: &str = "00admin-provisioning-token";

/// A service app registered with `register_service_app`: the admin's tool.
const MANAGER: &str = "0oaProvisioner";

/// The scopes a service app needs to provision another.
const MANAGE_SCOPES: [&str; 4] = [
    "okta.clients.manage",
    "okta.apps.manage",
    "okta.appGrants.manage",
    "okta.roles.manage",
];

/// A fake org with the admin's API token.
async fn org() -> MockOkta {
    let okta = MockOkta::start().await;
    okta.register_api_token(ADMIN_TOKEN);
    okta
}

/// An admin calling with the API token.
fn admin(okta: &MockOkta) -> OktaAdmin {
    OktaAdmin::builder(okta.org_url(), ApiTokenSource::new(ADMIN_TOKEN).unwrap())
        .http_client(http())
        .build()
        .unwrap()
}

/// Registers [`MANAGER`] with `scopes` (and the mock's default admin role)
/// and returns an admin calling with its (cached, DPoP-bound) tokens.
fn service_app_admin(okta: &MockOkta, scopes: &[&str]) -> OktaAdmin {
    let key = SigningKey::generate_p256().with_kid("provisioner-1");
    okta.register_service_app(
        ServiceApp::new(MANAGER)
            .jwk(key.public_jwk())
            .scopes(scopes.iter().copied()),
    )
    .unwrap();
    let source = ServiceAppSource::builder(okta.org_url(), MANAGER)
        .private_key(key)
        .scopes(scopes.iter().copied())
        .http_client(http())
        .build()
        .unwrap();
    OktaAdmin::builder(okta.org_url(), source)
        .http_client(http())
        .build()
        .unwrap()
}

/// The management requests received (the token endpoint's left out).
fn management(okta: &MockOkta) -> Vec<ReceivedRequest> {
    okta.received()
        .into_iter()
        .filter(|r| !r.path.ends_with("/v1/token"))
        .collect()
}

/// `METHOD path` of a request, for comparing sequences.
fn line(r: &ReceivedRequest) -> String {
    format!("{} {}", r.method, r.path)
}
