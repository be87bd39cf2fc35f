//! Integration tests: one binary (it links once), a module per capability,
//! black-box through the public API.

mod api_token;
mod cache;
mod challenge;
mod config;
#[cfg(feature = "test-util")]
mod downstream;
mod dpop;
mod jwk;
#[cfg(feature = "middleware")]
mod middleware;
#[cfg(all(feature = "middleware", feature = "test-util"))]
mod middleware_mock_okta;
#[cfg(feature = "test-util")]
mod mock_okta;
mod org_url;
mod service_app;
#[cfg(feature = "test-util")]
mod service_app_mock_okta;
mod signing_key;
mod verify;
