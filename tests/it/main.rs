//! Integration tests: one binary (it links once), a module per capability,
//! black-box through the public API.

mod api_token;
mod dpop;
mod org_url;
mod service_app;
mod signing_key;
