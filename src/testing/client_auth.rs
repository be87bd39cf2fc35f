//! Client authentication at the token endpoint: `private_key_jwt`
//! anywhere, `client_secret_basic` on custom authorization servers only.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::AUTHORIZATION;
use wiremock::Request;

use super::assertion::{self, BAD_CLIENT};
use super::reply::Reply;
use super::state::State;
use super::token_endpoint::field;

/// The `client_assertion_type` of `private_key_jwt`.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The client a request authenticated as, with what it may get.
pub(crate) struct Client {
    /// The client id (`cid` of the tokens it gets).
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) require_dpop: bool,
    pub(crate) require_nonce: bool,
    pub(crate) lifetime: u64,
}

/// `Authorization: Basic` credentials, form-decoded as RFC 6749 2.3.1 says.
pub(crate) fn basic_auth(request: &Request) -> Option<(String, String)> {
    let value = request.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, creds) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(creds.trim()).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    let decode = |s: &str| -> String {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((decode(user), decode(pass)))
}

/// Client authentication: `private_key_jwt` anywhere, `client_secret_basic`
/// on custom authorization servers only.
pub(crate) fn authenticate(
    state: &mut State,
    request: &Request,
    form: &[(String, String)],
    server: Option<&str>,
    endpoint: &str,
    now: u64,
) -> Result<Client, Reply> {
    let invalid_client = |why: &str| Reply::oauth(401, "invalid_client", why);
    if request
        .headers
        .get_all(AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(Reply::oauth(
            400,
            "invalid_request",
            "Only one Authorization header may be sent.",
        ));
    }
    let basic = basic_auth(request);
    let assertion = field(form, "client_assertion");
    let secret_post = field(form, "client_secret").is_some();
    let methods =
        usize::from(basic.is_some()) + usize::from(assertion.is_some()) + usize::from(secret_post);
    if methods > 1 {
        return Err(Reply::oauth(
            400,
            "invalid_request",
            "The client must use only one authentication method.",
        ));
    }
    if let Some(assertion) = assertion {
        if field(form, "client_assertion_type") != Some(JWT_BEARER) {
            return Err(Reply::oauth(
                400,
                "invalid_request",
                "The 'client_assertion_type' parameter is missing or invalid.",
            ));
        }
        let verified =
            assertion::verify(assertion, &state.apps, &state.assertion_jtis, endpoint, now)
                .map_err(|why| invalid_client(&why))?;
        // Okta consumes the jti as soon as the assertion is accepted, even
        // if the request then fails (e.g. `use_dpop_nonce`).
        state.assertion_jtis.insert(verified.jti);
        if field(form, "client_id").is_some_and(|id| id != verified.client_id) {
            return Err(invalid_client(BAD_CLIENT));
        }
        let app = state
            .apps
            .get(&verified.client_id)
            .ok_or_else(|| invalid_client(BAD_CLIENT))?;
        return Ok(Client {
            client_id: verified.client_id.clone(),
            scopes: app.scopes.clone(),
            require_dpop: app.require_dpop,
            require_nonce: app.require_nonce,
            lifetime: app.token_lifetime.as_secs(),
        });
    }
    let Some(server) = server else {
        if basic.is_some() || secret_post {
            return Err(invalid_client(
                "Client Credentials requests to the Org Authorization Server must use the \
                 private_key_jwt token_endpoint_auth_method.",
            ));
        }
        return Err(invalid_client(BAD_CLIENT));
    };
    let Some((user, pass)) = basic else {
        return Err(invalid_client(BAD_CLIENT));
    };
    if field(form, "client_id").is_some_and(|id| id != user) {
        return Err(invalid_client(BAD_CLIENT));
    }
    let client = state
        .custom_servers
        .get(server)
        .and_then(|server| server.clients.get(&user))
        .filter(|c| secrecy::ExposeSecret::expose_secret(&c.secret) == pass)
        .ok_or_else(|| invalid_client(BAD_CLIENT))?;
    Ok(Client {
        client_id: user,
        scopes: client.scopes.clone(),
        require_dpop: false,
        require_nonce: false,
        lifetime: super::app::DEFAULT_TOKEN_LIFETIME.as_secs(),
    })
}
