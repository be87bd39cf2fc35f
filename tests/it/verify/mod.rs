//! `AccessTokenVerifier` through the public API, against a fake custom
//! authorization server on loopback (wiremock: metadata and key set).

mod api;
mod concurrency;
mod dpop_state;
#[cfg(feature = "redis")]
mod redis;
mod rotation;
mod support;
mod table;
