//! Integration tests: one binary (it links once), a module per capability,
//! black-box through the public API.

#[cfg(feature = "test-util")]
mod admin;
mod api_token;
mod cache;
mod challenge;
mod config;
#[cfg(feature = "test-util")]
mod downstream;
mod dpop;
mod fault_matrix;
mod fuzz;
mod jwk;
#[cfg(feature = "middleware")]
mod middleware;
#[cfg(all(feature = "middleware", feature = "test-util"))]
mod middleware_mock_okta;
#[cfg(feature = "test-util")]
mod mock_okta;
#[cfg(feature = "test-util")]
mod mock_okta_admin;
#[cfg(feature = "test-util")]
mod mock_okta_custom_server;
#[cfg(feature = "test-util")]
mod mock_okta_directory;
mod org_url;
#[cfg(all(feature = "middleware", feature = "test-util"))]
mod pacing;
mod public_face;
mod raw_server;
#[cfg(feature = "test-util")]
#[cfg(feature = "test-util")]
mod rotation;
mod service_app;
#[cfg(feature = "test-util")]
mod service_app_mock_okta;
mod signing_key;
#[cfg(all(feature = "middleware", feature = "test-util"))]
mod spans;
#[cfg(feature = "test-util")]
mod support;
mod trace_capture;
#[cfg(all(feature = "middleware", feature = "test-util"))]
mod user_agent;
mod verify;
