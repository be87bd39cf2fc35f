//! What the MockOkta harnesses share: one HTTP client, and an answer read
//! whole. Each harness adds the readers it needs in an `impl Answer` of its
//! own.

use std::sync::LazyLock;

use okta_auth::http::HeaderMap;
use okta_auth::reqwest;
use okta_auth::serde_json::Value;

/// One HTTP client for every test: building one costs ~100 ms (TLS
/// roots). It keeps no idle connection (no pool timers, no connection
/// outliving its test's runtime), sets no timeout (paused-time tests) and
/// follows no redirect, as `OktaAdmin` and a token source's client want.
pub(crate) fn http() -> reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    });
    CLIENT.clone()
}

/// What the fake org answered: the status, the headers, and the body as
/// JSON (`Null` when it is not JSON).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    /// Reads `response` whole.
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Self {
            status,
            headers,
            body: okta_auth::serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A header's value as text; empty when it is absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}
