//! [`USER_AGENT`]: how the crate's requests identify themselves to Okta.

use http::HeaderValue;
use http::header::{HeaderMap, USER_AGENT as USER_AGENT_HEADER};

/// The `User-Agent` the crate's requests carry: `okta-auth/{version}`, as
/// Okta's own SDKs identify themselves (`okta-sdk-java/…`), so that an org
/// admin can find the integration in the System Log.
///
/// Token requests always carry it (set on the request, so it replaces the
/// user agent of a caller's `reqwest::Client`, which reqwest gives no way to
/// read); requests through `OktaAuth` carry it unless the caller turns it
/// off (`OktaAuth::user_agent(false)`).
pub const USER_AGENT: &str = concat!("okta-auth/", env!("CARGO_PKG_VERSION"));

/// [`USER_AGENT`] as a header value. A crate version is a valid header
/// value, and `from_static` checks it at compile time here.
const VALUE: HeaderValue = HeaderValue::from_static(USER_AGENT);

/// [`USER_AGENT`] as a header value.
pub(crate) fn value() -> HeaderValue {
    VALUE
}

/// Adds [`USER_AGENT`] to `headers`: as the only product when there is no
/// `User-Agent`, after the caller's products otherwise (RFC 9110 section
/// 10.1.5: a list of products, most significant first). A `User-Agent` that
/// already names `okta-auth/` is left alone.
pub(crate) fn add_to(headers: &mut HeaderMap) {
    let Some(existing) = headers.get(USER_AGENT_HEADER) else {
        headers.insert(USER_AGENT_HEADER, value());
        return;
    };
    let bytes = existing.as_bytes();
    if bytes.windows(10).any(|w| w == b"okta-auth/") {
        return;
    }
    let mut joined = Vec::with_capacity(bytes.len() + 1 + USER_AGENT.len());
    joined.extend_from_slice(bytes);
    joined.push(b' ');
    joined.extend_from_slice(USER_AGENT.as_bytes());
    // A valid value, a space and a valid value make a valid value: this
    // cannot fail, and if it did the caller's own value would stay.
    if let Ok(value) = HeaderValue::from_bytes(&joined) {
        headers.insert(USER_AGENT_HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_crate_and_its_version() {
        assert_eq!(
            USER_AGENT,
            format!("okta-auth/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(value(), USER_AGENT);
    }

    #[test]
    fn is_added_once_after_the_callers_products() {
        let mut h = HeaderMap::new();
        add_to(&mut h);
        assert_eq!(h[USER_AGENT_HEADER], USER_AGENT);
        add_to(&mut h);
        assert_eq!(h[USER_AGENT_HEADER], USER_AGENT);

        let mut h = HeaderMap::new();
        h.insert(USER_AGENT_HEADER, HeaderValue::from_static("my-app/2.1"));
        add_to(&mut h);
        assert_eq!(h[USER_AGENT_HEADER], format!("my-app/2.1 {USER_AGENT}"));
        add_to(&mut h);
        assert_eq!(h[USER_AGENT_HEADER], format!("my-app/2.1 {USER_AGENT}"));
    }
}
