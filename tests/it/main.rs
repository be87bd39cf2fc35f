//! Integration tests: one binary (it links once), a module per capability,
//! black-box through the public API.

mod api_token;
mod challenge;
mod dpop;
#[cfg(feature = "middleware")]
mod middleware;
mod org_url;
