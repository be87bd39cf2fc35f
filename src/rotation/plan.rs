//! [`KeyRotation`]: the plan — which app, which key goes, which comes —
//! checked when it is made. Its steps are in `steps`, running them in
//! `run`.

use std::fmt;

use crate::error::Error;
use crate::key::SigningKey;
use crate::service_app::ServiceAppSource;

/// Why a source that is not signing with a private key cannot be rotated.
pub(super) const SECRET_SOURCE: &str =
    "the source authenticates with a client secret: only a private key can be rotated";

/// A staged, re-runnable rotation of a service app's client-assertion key
/// with no downtime: add the new key, switch the live
/// [`ServiceAppSource`] to it, prove it with a token, deactivate the old
/// key, delete it. See the [module docs](super) for each step's rules.
///
/// ```no_run
/// use okta_auth::rotation::{KeyRegistry, KeyRotation};
/// use okta_auth::{ServiceAppSource, SigningKey};
///
/// # async fn run(registry: &dyn KeyRegistry, source: ServiceAppSource) -> Result<(), okta_auth::Error> {
/// // `source` is the one the service uses (its clones share the key).
/// let new_key = SigningKey::generate_p256().with_kid("orders-2025-06");
/// let rotation = KeyRotation::for_source(&source, new_key)?;
/// let report = rotation.run(registry, &source).await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KeyRotation {
    pub(super) app_id: String,
    pub(super) old_kid: String,
    pub(super) new_key: SigningKey,
}

impl KeyRotation {
    /// A rotation of app `app_id` (a service app's client id) from the key
    /// whose `kid` is `old_kid` to `new_key`.
    ///
    /// Fails with [`Error::Config`] when `app_id` or `old_kid` is empty,
    /// `new_key` has no `kid` (an app holding two keys needs them to tell
    /// which signed an assertion), or its `kid` is `old_kid`.
    pub fn new(
        app_id: impl Into<String>,
        old_kid: impl Into<String>,
        new_key: SigningKey,
    ) -> Result<Self, Error> {
        let (app_id, old_kid) = (app_id.into(), old_kid.into());
        let config = |msg: &str| Err(Error::Config(msg.into()));
        if app_id.trim().is_empty() {
            return config("the app id to rotate the key of is empty");
        }
        if old_kid.is_empty() {
            return config("the kid of the key to retire is empty");
        }
        match new_key.kid() {
            None | Some("") => {
                return config("the new key needs a kid (SigningKey::with_kid)");
            }
            Some(kid) if kid == old_kid => {
                return config("the new key needs a kid of its own, not the old key's");
            }
            Some(_) => {}
        }
        Ok(Self {
            app_id,
            old_kid,
            new_key,
        })
    }

    /// A rotation of `source`'s app (its client id, which is the app id of
    /// an Okta service app) from the key it signs with now to `new_key`.
    ///
    /// Fails with [`Error::Config`] when the source has no private key
    /// (a client secret) or its key has no `kid` (use
    /// [`KeyRotation::new`] to name the key to retire), and as
    /// [`KeyRotation::new`] does. To run a rotation again after its switch
    /// step, keep this value (or use [`KeyRotation::new`]): the source no
    /// longer signs with the old key.
    pub fn for_source(source: &ServiceAppSource, new_key: SigningKey) -> Result<Self, Error> {
        let current = source
            .signing_key()
            .ok_or_else(|| Error::Config(SECRET_SOURCE.into()))?;
        let old_kid = current.kid().ok_or_else(|| {
            Error::Config(
                "the source's key has no kid: name the key to retire with KeyRotation::new".into(),
            )
        })?;
        Self::new(source.client_id(), old_kid, new_key)
    }

    /// The app whose key is rotated.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The `kid` of the key retired.
    pub fn old_kid(&self) -> &str {
        &self.old_kid
    }

    /// The `kid` of the new key.
    pub fn new_kid(&self) -> &str {
        // Checked by `new`.
        self.new_key.kid().unwrap_or_default()
    }

    /// The new key.
    pub fn new_key(&self) -> &SigningKey {
        &self.new_key
    }
}

impl fmt::Debug for KeyRotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRotation")
            .field("app_id", &self.app_id)
            .field("old_kid", &self.old_kid)
            // SigningKey's Debug shows the kind, algorithm and kid only.
            .field("new_key", &self.new_key)
            .finish()
    }
}
