//! [`KeyRotation`]: replaces an Okta service app's client-assertion key
//! while it runs, in steps that are safe to run again.
//!
//! # How it works
//!
//! A rotation takes an app from an old key (named by its `kid`) to a new
//! [`SigningKey`](crate::SigningKey) in five [`RotationStep`]s. Each step
//! first reads the app's keys ([`KeyRegistry::list_keys`]) and does only
//! what is still to do, so the order below keeps Okta's rules at every
//! moment:
//!
//! 1. **Add key**: registers the new public key, active
//!    (`POST /api/v1/apps/{id}/credentials/jwks`). Skipped when a key with
//!    its `kid` is already there and active; activated when it is there but
//!    inactive. A *different* key under the new `kid` is an error (Okta's
//!    `kid`s are unique), and so is an app that already holds
//!    [`MAX_APP_KEYS`] keys, or one that holds neither the new key nor a
//!    key with the old `kid` (a wrong old `kid`: the real old key would
//!    stay active), all refused before anything is sent.
//! 2. **Switch**: [`ServiceAppSource::rotate_key`](crate::ServiceAppSource::rotate_key) — from now on every clone
//!    of the live source signs its token requests with the new key. Only
//!    once the app lists the new key as active; skipped when the source
//!    already signs with it.
//! 3. **Prove**: one token request signed with the new key, made with the
//!    source itself (not a cache), so the old key is kept until Okta has
//!    accepted the new one. Always runs. When it fails, [`KeyRotation::run`]
//!    puts the old key back into the source if that run had switched it.
//! 4. **Deactivate old key**: only while the new key is active (Okta never
//!    lets the last active key go) and the source no longer signs with the
//!    old one. Skipped when the old key is inactive or gone.
//! 5. **Delete old key**: only once it is inactive (Okta deletes no active
//!    key). Skipped when it is gone.
//!
//! - **Idempotent by `kid`.** Keys are found by their `kid`, never by
//!   counting: a rotation stopped after any step (an error, a crash) and run
//!   again skips what is done and completes, and the app never holds the new
//!   key twice. Keep the [`KeyRotation`] (it is `Clone`) or rebuild it with
//!   [`KeyRotation::new`] and the same `kid`s to run it again.
//! - **Reported.** [`KeyRotation::run`] returns a [`RotationReport`] (each
//!   step done or skipped, and why) and emits an `info` event
//!   `okta key rotation step` per step inside an `info` span
//!   `okta_key_rotation` (`app_id`, `new_kid`, `old_kid`); a failure is an
//!   [`Error::Rotation`] naming the step, with the
//!   steps done before it and the cause. No event or error holds key
//!   material.
//! - **Live traffic.** Nothing in flight is disturbed: a token request that
//!   has minted its assertion finishes with the old key, and tokens already
//!   fetched stay in use until they expire (should Okta refuse one after the
//!   old key is gone, `OktaAuth`'s `401` handling fetches a new one, signed
//!   with the new key).
//! - **The registry.** The plan speaks to Okta through [`KeyRegistry`], the
//!   four JWKS calls it needs (plus activation), so that any client of
//!   Okta's management API can carry it; [`OktaAdmin`](crate::OktaAdmin)
//!   implements it, so a rotation runs against Okta as
//!   `KeyRotation::for_source(&source, new_key)?.run(&admin, &source)`.

mod okta_admin;
mod plan;
mod report;
mod run;
mod steps;

use async_trait::async_trait;

use crate::admin::AppKey;
use crate::error::Error;
use crate::jose::Jwk;

pub use plan::KeyRotation;
pub use report::{RotationError, RotationReport, RotationStep, StepOutcome, StepReport};

/// The most keys Okta lets an app hold: 50. The add step refuses to go
/// past it.
pub const MAX_APP_KEYS: usize = 50;

/// The management calls a [`KeyRotation`] makes, one per Okta endpoint of
/// an app's JSON Web Keys (`/api/v1/apps/{appId}/credentials/jwks`), with
/// `okta.apps.manage` (or an admin's API token).
///
/// [`OktaAdmin`](crate::OktaAdmin) implements it (its methods of the same
/// names); implement it yourself to rotate through another client. Keys
/// are the admin API's [`AppKey`]: Okta's `id`, the `kid`, the status and
/// the public JWK. Errors are the crate's [`Error`]; the plan wraps them in
/// [`Error::Rotation`] with the step.
#[async_trait]
pub trait KeyRegistry: Send + Sync {
    /// The app's keys, active and inactive: `GET …/jwks`.
    async fn list_keys(&self, app_id: &str) -> Result<Vec<AppKey>, Error>;

    /// Registers a public key, active: `POST …/jwks` with the JWK as the
    /// body. Okta refuses a `kid` the app already has, an RSA key under
    /// 2048 bits, and a key past [`MAX_APP_KEYS`].
    async fn add_key(&self, app_id: &str, jwk: &Jwk) -> Result<AppKey, Error>;

    /// Activates a key: `POST …/jwks/{keyId}/lifecycle/activate`.
    async fn activate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error>;

    /// Deactivates a key: `POST …/jwks/{keyId}/lifecycle/deactivate`. Okta
    /// refuses to deactivate the app's only active key.
    async fn deactivate_key(&self, app_id: &str, key_id: &str) -> Result<(), Error>;

    /// Deletes a key: `DELETE …/jwks/{keyId}`. Okta deletes inactive keys
    /// only.
    async fn delete_key(&self, app_id: &str, key_id: &str) -> Result<(), Error>;
}
