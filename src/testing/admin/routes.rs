//! [`AdminRoute`]: the management routes for service apps, how a request
//! names one, and the scopes each needs.

use http::Method;

use super::super::reply::Reply;

/// A management route of [`MockOkta`](crate::testing::MockOkta) for service
/// apps, to inject faults into one step of a flow with
/// [`MockOkta::fail_next_admin_requests`](crate::testing::MockOkta::fail_next_admin_requests).
///
/// `{appId}` and `{clientId}` are the same id (`0oa…`) for a service app.
///
/// One registry holds every app, registered through the API or with
/// [`MockOkta::register_service_app`]: the token endpoint serves both, and
/// the routes manage both (an app's id is its client id).
///
/// | route | scope an access token needs (one of) | answer |
/// |---|---|---|
/// | `POST /oauth2/v1/clients` | `okta.clients.register`, `okta.clients.manage` | `201` metadata; `400 invalid_client_metadata` |
/// | `GET /api/v1/apps`, `GET /api/v1/apps/{id}` | `okta.apps.read`, `okta.apps.manage` | `200` app object(s) |
/// | `PUT /api/v1/apps/{id}` | `okta.apps.manage` | `200` app object |
/// | `POST /api/v1/apps/{id}/lifecycle/activate`, `…/deactivate` | `okta.apps.manage` | `200 {}` |
/// | `DELETE /api/v1/apps/{id}` | `okta.apps.manage` | `204`; `403 E0000056` while active |
/// | `GET /api/v1/apps/{id}/credentials/jwks`, `…/jwks/{keyId}` | `okta.apps.read`, `okta.apps.manage` | `200` array of keys / key |
/// | `POST …/jwks` | `okta.apps.manage` | `201` key |
/// | `POST …/jwks/{keyId}/lifecycle/activate`, `…/deactivate` | `okta.apps.manage` | `200` key |
/// | `DELETE …/jwks/{keyId}` | `okta.apps.manage` | `204` |
/// | `GET /api/v1/apps/{id}/grants`, `…/grants/{grantId}` | `okta.appGrants.read`, `okta.appGrants.manage` | `200` |
/// | `POST …/grants`, `DELETE …/grants/{grantId}` | `okta.appGrants.manage` | `201` grant, `204` |
/// | `GET /oauth2/v1/clients/{id}/roles`, `…/roles/{roleId}` | `okta.roles.read`, `okta.roles.manage` | `200` |
/// | `POST …/roles`, `DELETE …/roles/{roleId}` | `okta.roles.manage` | **`200`** assignment (`assignmentType: CLIENT`), `204` |
/// | `GET /api/v1/api-tokens`, `…/{tokenId}` | `okta.apiTokens.read`, `okta.apiTokens.manage` | `200` metadata |
/// | `DELETE /api/v1/api-tokens/{tokenId}` | `okta.apiTokens.manage` | `204` |
/// | `DELETE /api/v1/api-tokens/current` | API tokens only | `204`: the token used is revoked |
///
/// - Authorization: a registered API token (`SSWS`) is a super admin's and may
///   call every route. An access token of the org authorization server
///   (`Bearer`, or `DPoP` with its proof, checked as on `/api/v1/users`) needs
///   one of the route's scopes ([`AdminRoute::scopes`]), else `403 E0000006`
///   with an `insufficient_scope` challenge, **and** its client needs an admin
///   role, else `403 E0000006` — on every management route, `/api/v1/users`
///   included.
/// - A registered client gets tokens at once, for the scopes granted to it only
///   (the token endpoint's scope rule), DPoP-bound per its
///   `dpop_bound_access_tokens`, signed with its `ACTIVE` keys only.
/// - Keys follow Okta's rules: a unique `kid` (required once an app has two
///   keys), RSA of at least [`MIN_RSA_BITS`] bits, at most [`MAX_KEYS`] keys,
///   the only active key cannot be deactivated, only an inactive key can be
///   deleted (`400 E0000001`, Okta's wording).
/// - Grants: `{"issuer": "{org}", "scopeId": "okta.…"}`, the issuer the org
///   URL exactly, without a trailing slash ([`MockOkta::uri`],
///   [`OrgUrl::issuer`]), the scope one Okta publishes.
/// - Roles: `{"type": …}` with one of [`STANDARD_ROLES`], or
///   `{"type": "CUSTOM", "role": …, "resource-set": …}`.
/// - Observability: [`MockOkta::apps`], [`MockOkta::app`] ([`AppInfo`]: keys,
///   grants, roles, DPoP setting, status), [`MockOkta::api_token_is_active`],
///   each request's JSON body in [`ReceivedRequest::body`], and faults per
///   route ([`MockOkta::fail_next_admin_requests`]).
///
/// [`MockOkta::register_service_app`]: crate::testing::MockOkta::register_service_app
/// [`MIN_RSA_BITS`]: crate::testing::MIN_RSA_BITS
/// [`MAX_KEYS`]: crate::testing::MAX_KEYS
/// [`MockOkta::uri`]: crate::testing::MockOkta::uri
/// [`OrgUrl::issuer`]: crate::OrgUrl::issuer
/// [`STANDARD_ROLES`]: crate::testing::STANDARD_ROLES
/// [`MockOkta::apps`]: crate::testing::MockOkta::apps
/// [`MockOkta::app`]: crate::testing::MockOkta::app
/// [`AppInfo`]: crate::testing::AppInfo
/// [`MockOkta::api_token_is_active`]: crate::testing::MockOkta::api_token_is_active
/// [`ReceivedRequest::body`]: crate::testing::ReceivedRequest::body
/// [`MockOkta::fail_next_admin_requests`]: crate::testing::MockOkta::fail_next_admin_requests
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AdminRoute {
    /// `POST /oauth2/v1/clients`: dynamic client registration.
    RegisterClient,
    /// `GET /api/v1/apps` (`?q=` matches the start of the label).
    ListApps,
    /// `GET /api/v1/apps/{appId}`.
    GetApp,
    /// `PUT /api/v1/apps/{appId}`.
    ReplaceApp,
    /// `POST /api/v1/apps/{appId}/lifecycle/activate`.
    ActivateApp,
    /// `POST /api/v1/apps/{appId}/lifecycle/deactivate`.
    DeactivateApp,
    /// `DELETE /api/v1/apps/{appId}`.
    DeleteApp,
    /// `GET /api/v1/apps/{appId}/credentials/jwks`.
    ListKeys,
    /// `POST /api/v1/apps/{appId}/credentials/jwks`.
    AddKey,
    /// `GET /api/v1/apps/{appId}/credentials/jwks/{keyId}`.
    GetKey,
    /// `POST /api/v1/apps/{appId}/credentials/jwks/{keyId}/lifecycle/activate`.
    ActivateKey,
    /// `POST /api/v1/apps/{appId}/credentials/jwks/{keyId}/lifecycle/deactivate`.
    DeactivateKey,
    /// `DELETE /api/v1/apps/{appId}/credentials/jwks/{keyId}`.
    DeleteKey,
    /// `GET /api/v1/apps/{appId}/grants`.
    ListGrants,
    /// `POST /api/v1/apps/{appId}/grants`.
    GrantScope,
    /// `GET /api/v1/apps/{appId}/grants/{grantId}`.
    GetGrant,
    /// `DELETE /api/v1/apps/{appId}/grants/{grantId}`.
    RevokeGrant,
    /// `GET /oauth2/v1/clients/{clientId}/roles`.
    ListRoles,
    /// `POST /oauth2/v1/clients/{clientId}/roles`.
    AssignRole,
    /// `GET /oauth2/v1/clients/{clientId}/roles/{roleAssignmentId}`.
    GetRole,
    /// `DELETE /oauth2/v1/clients/{clientId}/roles/{roleAssignmentId}`.
    UnassignRole,
    /// `GET /api/v1/api-tokens`.
    ListApiTokens,
    /// `GET /api/v1/api-tokens/{apiTokenId}`.
    GetApiToken,
    /// `DELETE /api/v1/api-tokens/{apiTokenId}`.
    RevokeApiToken,
    /// `DELETE /api/v1/api-tokens/current`: revokes the API token that
    /// authorizes the request.
    RevokeCurrentApiToken,
}

impl AdminRoute {
    /// The `okta.*` scopes of which an access token needs one for this
    /// route (its client also needs an admin role), as Okta's management
    /// API specification lists them, with `.manage` also granting `.read`.
    /// Empty for [`RevokeCurrentApiToken`](Self::RevokeCurrentApiToken),
    /// which takes an API token only. An API token may call every route.
    pub fn scopes(self) -> &'static [&'static str] {
        use AdminRoute as R;
        const APPS_READ: &[&str] = &["okta.apps.read", "okta.apps.manage"];
        const APPS_MANAGE: &[&str] = &["okta.apps.manage"];
        match self {
            R::RegisterClient => &["okta.clients.register", "okta.clients.manage"],
            R::ListApps | R::GetApp | R::ListKeys | R::GetKey => APPS_READ,
            R::ReplaceApp
            | R::ActivateApp
            | R::DeactivateApp
            | R::DeleteApp
            | R::AddKey
            | R::ActivateKey
            | R::DeactivateKey
            | R::DeleteKey => APPS_MANAGE,
            R::ListGrants | R::GetGrant => &["okta.appGrants.read", "okta.appGrants.manage"],
            R::GrantScope | R::RevokeGrant => &["okta.appGrants.manage"],
            R::ListRoles | R::GetRole => &["okta.roles.read", "okta.roles.manage"],
            R::AssignRole | R::UnassignRole => &["okta.roles.manage"],
            R::ListApiTokens | R::GetApiToken => &["okta.apiTokens.read", "okta.apiTokens.manage"],
            R::RevokeApiToken => &["okta.apiTokens.manage"],
            R::RevokeCurrentApiToken => &[],
        }
    }
}

/// The ids a path names: the app (or client) and the item under it (key,
/// grant, role assignment, API token).
#[derive(Debug, Default)]
pub(crate) struct Target {
    pub(crate) app: String,
    pub(crate) item: String,
}

/// The route `method` and `path` name, with its ids; Okta's 404 for an
/// unknown path, 405 (`E0000022`) for a method the path does not take.
pub(crate) fn parse(method: &Method, path: &str) -> Result<(AdminRoute, Target), Reply> {
    use AdminRoute as R;
    let (get, post, put, delete) = (&Method::GET, &Method::POST, &Method::PUT, &Method::DELETE);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments.iter().skip(2).any(|s| s.is_empty()) {
        return Err(unknown(path));
    }
    let target = |app: &str, item: &str| Target {
        app: app.to_owned(),
        item: item.to_owned(),
    };
    let (routes, target): (&[(&Method, AdminRoute)], Target) = match segments.as_slice() {
        ["oauth2", "v1", "clients"] => (&[(post, R::RegisterClient)], Target::default()),
        ["oauth2", "v1", "clients", client, "roles"] => (
            &[(get, R::ListRoles), (post, R::AssignRole)],
            target(client, ""),
        ),
        ["oauth2", "v1", "clients", client, "roles", role] => (
            &[(get, R::GetRole), (delete, R::UnassignRole)],
            target(client, role),
        ),
        ["api", "v1", "apps"] => (&[(get, R::ListApps)], Target::default()),
        ["api", "v1", "apps", app] => (
            &[
                (get, R::GetApp),
                (put, R::ReplaceApp),
                (delete, R::DeleteApp),
            ],
            target(app, ""),
        ),
        ["api", "v1", "apps", app, "lifecycle", "activate"] => {
            (&[(post, R::ActivateApp)], target(app, ""))
        }
        ["api", "v1", "apps", app, "lifecycle", "deactivate"] => {
            (&[(post, R::DeactivateApp)], target(app, ""))
        }
        ["api", "v1", "apps", app, "credentials", "jwks"] => {
            (&[(get, R::ListKeys), (post, R::AddKey)], target(app, ""))
        }
        ["api", "v1", "apps", app, "credentials", "jwks", key] => (
            &[(get, R::GetKey), (delete, R::DeleteKey)],
            target(app, key),
        ),
        [
            "api",
            "v1",
            "apps",
            app,
            "credentials",
            "jwks",
            key,
            "lifecycle",
            "activate",
        ] => (&[(post, R::ActivateKey)], target(app, key)),
        [
            "api",
            "v1",
            "apps",
            app,
            "credentials",
            "jwks",
            key,
            "lifecycle",
            "deactivate",
        ] => (&[(post, R::DeactivateKey)], target(app, key)),
        ["api", "v1", "apps", app, "grants"] => (
            &[(get, R::ListGrants), (post, R::GrantScope)],
            target(app, ""),
        ),
        ["api", "v1", "apps", app, "grants", grant] => (
            &[(get, R::GetGrant), (delete, R::RevokeGrant)],
            target(app, grant),
        ),
        ["api", "v1", "api-tokens"] => (&[(get, R::ListApiTokens)], Target::default()),
        ["api", "v1", "api-tokens", "current"] => {
            (&[(delete, R::RevokeCurrentApiToken)], Target::default())
        }
        ["api", "v1", "api-tokens", token] => (
            &[(get, R::GetApiToken), (delete, R::RevokeApiToken)],
            target("", token),
        ),
        _ => return Err(unknown(path)),
    };
    match routes.iter().find(|(m, _)| *m == method) {
        Some((_, route)) => Ok((*route, target)),
        None => {
            let allow: Vec<&str> = routes.iter().map(|(m, _)| m.as_str()).collect();
            Err(Reply::okta(
                405,
                "E0000022",
                "The endpoint does not support the provided HTTP method",
            )
            .header("allow", &allow.join(", ")))
        }
    }
}

fn unknown(path: &str) -> Reply {
    Reply::okta(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {path} (Resource)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(method: &Method, path: &str) -> (AdminRoute, Target) {
        parse(method, path).unwrap_or_else(|reply| panic!("{path}: {}", reply.status))
    }

    #[test]
    fn paths_name_their_routes_and_ids() {
        let (route, target) = ok(
            &Method::POST,
            "/api/v1/apps/0oa1/credentials/jwks/pks2/lifecycle/deactivate",
        );
        assert_eq!(route, AdminRoute::DeactivateKey);
        assert_eq!(
            (target.app.as_str(), target.item.as_str()),
            ("0oa1", "pks2")
        );
        let (route, target) = ok(&Method::DELETE, "/api/v1/api-tokens/current");
        assert_eq!(route, AdminRoute::RevokeCurrentApiToken);
        assert!(target.item.is_empty());
        let (route, _) = ok(&Method::DELETE, "/api/v1/api-tokens/00T1");
        assert_eq!(route, AdminRoute::RevokeApiToken);
        let (route, _) = ok(&Method::POST, "/oauth2/v1/clients/0oa1/roles");
        assert_eq!(route, AdminRoute::AssignRole);
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        for path in [
            "/api/v1/apps/",
            "/api/v1/apps//grants",
            "/api/v1/apps/0oa1/secrets",
            "/oauth2/v1/clients/0oa1",
        ] {
            assert_eq!(
                parse(&Method::GET, path).err().unwrap().status,
                404,
                "{path}"
            );
        }
        assert_eq!(
            parse(&Method::GET, "/oauth2/v1/clients")
                .err()
                .unwrap()
                .status,
            405
        );
        assert_eq!(
            parse(&Method::POST, "/api/v1/apps/0oa1")
                .err()
                .unwrap()
                .status,
            405
        );
    }

    #[test]
    fn only_revoking_the_current_token_needs_an_api_token() {
        assert!(AdminRoute::RevokeCurrentApiToken.scopes().is_empty());
        assert_eq!(AdminRoute::GrantScope.scopes(), ["okta.appGrants.manage"]);
        assert!(AdminRoute::GetApp.scopes().contains(&"okta.apps.read"));
    }
}
