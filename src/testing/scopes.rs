//! The `okta.*` scopes the fake org's authorization server knows.

/// The `okta.*` scopes Okta publishes for service apps (its "OAuth 2.0
/// Scopes" reference: admin management, plus `okta.clients.*` and the
/// `okta.users.*.self` scopes). A scope granted to a registered app is known
/// too, so a scope Okta adds later can be tested by granting it.
const PUBLISHED: &[&str] = &[
    "okta.agentPools.manage",
    "okta.agentPools.read",
    "okta.apiTokens.manage",
    "okta.apiTokens.read",
    "okta.appGrants.manage",
    "okta.appGrants.read",
    "okta.apps.manage",
    "okta.apps.read",
    "okta.authenticators.manage",
    "okta.authenticators.read",
    "okta.authorizationServers.manage",
    "okta.authorizationServers.read",
    "okta.behaviors.manage",
    "okta.behaviors.read",
    "okta.brands.manage",
    "okta.brands.read",
    "okta.captchas.manage",
    "okta.captchas.read",
    "okta.certificateAuthorities.manage",
    "okta.certificateAuthorities.read",
    "okta.clients.manage",
    "okta.clients.read",
    "okta.clients.register",
    "okta.deviceAssurance.manage",
    "okta.deviceAssurance.read",
    "okta.devices.manage",
    "okta.devices.read",
    "okta.domains.manage",
    "okta.domains.read",
    "okta.emailDomains.manage",
    "okta.emailDomains.read",
    "okta.emailServers.manage",
    "okta.emailServers.read",
    "okta.eventHooks.manage",
    "okta.eventHooks.read",
    "okta.features.manage",
    "okta.features.read",
    "okta.groups.manage",
    "okta.groups.read",
    "okta.identitySources.manage",
    "okta.identitySources.read",
    "okta.idps.manage",
    "okta.idps.read",
    "okta.inlineHooks.manage",
    "okta.inlineHooks.read",
    "okta.linkedObjects.manage",
    "okta.linkedObjects.read",
    "okta.logStreams.manage",
    "okta.logStreams.read",
    "okta.logs.read",
    "okta.networkZones.manage",
    "okta.networkZones.read",
    "okta.oauthIntegrations.manage",
    "okta.oauthIntegrations.read",
    "okta.orgs.manage",
    "okta.orgs.read",
    "okta.policies.manage",
    "okta.policies.read",
    "okta.principalRateLimits.manage",
    "okta.principalRateLimits.read",
    "okta.profileMappings.manage",
    "okta.profileMappings.read",
    "okta.rateLimits.manage",
    "okta.rateLimits.read",
    "okta.realms.manage",
    "okta.realms.read",
    "okta.reports.read",
    "okta.riskEvents.manage",
    "okta.riskProviders.manage",
    "okta.riskProviders.read",
    "okta.roles.manage",
    "okta.roles.read",
    "okta.schemas.manage",
    "okta.schemas.read",
    "okta.sessions.manage",
    "okta.sessions.read",
    "okta.templates.manage",
    "okta.templates.read",
    "okta.threatInsights.manage",
    "okta.threatInsights.read",
    "okta.trustedOrigins.manage",
    "okta.trustedOrigins.read",
    "okta.userTypes.manage",
    "okta.userTypes.read",
    "okta.users.manage",
    "okta.users.manage.self",
    "okta.users.read",
    "okta.users.read.self",
];

/// Whether Okta publishes `scope` (exact, case-sensitive).
pub(crate) fn is_published(scope: &str) -> bool {
    PUBLISHED.contains(&scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_sorted_unique_and_okta_only() {
        assert!(PUBLISHED.windows(2).all(|w| w[0] < w[1]));
        assert!(PUBLISHED.iter().all(|s| s.starts_with("okta.")));
        assert!(is_published("okta.users.read"));
        assert!(!is_published("okta.users.delete"));
        assert!(!is_published("OKTA.users.read"));
    }
}
