//! The [`TokenSource`] trait, and its implementations for `Arc`, `Box` and
//! `&` of a source.

use std::sync::Arc;

use async_trait::async_trait;

use super::access_token::AccessToken;
use crate::error::Error;

/// Something that yields Okta access tokens.
///
/// Implemented by [`ApiTokenSource`](crate::ApiTokenSource),
/// `ServiceAppSource` and the caching decorator
/// `CachingTokenSource`; object safe, so
/// `Arc<dyn TokenSource>` works everywhere a source is taken.
///
/// A source of your own takes the re-exported
/// [`async_trait`](crate::async_trait) attribute:
///
/// ```
/// use okta_auth::{AccessToken, Error, TokenSource, TokenType};
///
/// /// An API token read from a secret manager.
/// struct FromVault;
///
/// #[okta_auth::async_trait]
/// impl TokenSource for FromVault {
///     async fn token(&self) -> Result<AccessToken, Error> {
///         AccessToken::new(TokenType::Ssws, "00from-vault")
///     }
///
///     fn is_cached(&self) -> bool {
///         true // a fixed token: nothing to cache
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Error> {
/// let source: std::sync::Arc<dyn TokenSource> = std::sync::Arc::new(FromVault);
/// assert_eq!(source.token().await?.token_type(), TokenType::Ssws);
/// # Ok(()) }
/// ```
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A token to use now.
    async fn token(&self) -> Result<AccessToken, Error>;

    /// Tells the source that the server rejected `rejected` (a 401). A cache
    /// drops it if it is still the cached token; the default does nothing.
    fn invalidate(&self, rejected: &AccessToken) {
        let _ = rejected;
    }

    /// Whether [`token`](Self::token) is already cheap enough to call for
    /// every request: the source caches its tokens, or does no I/O.
    ///
    /// `OktaAuth::new` wraps a source that answers `false` in a
    /// [`CachingTokenSource`](crate::CachingTokenSource), so that a service
    /// app is not asked for a new token on every request; one that answers
    /// `true` is used as it is, so a cache is never cached twice. [`CachingTokenSource`](crate::CachingTokenSource) and
    /// [`ApiTokenSource`](crate::ApiTokenSource) answer `true`,
    /// `ServiceAppSource` (one token request per call) `false`; `Arc`, `Box`
    /// and `&` ask what they point to.
    ///
    /// A source of your own that caches, or hands out a fixed token,
    /// should answer `true`. Defaults to `false`.
    fn is_cached(&self) -> bool {
        false
    }
}

#[async_trait]
impl<T: TokenSource + ?Sized> TokenSource for Arc<T> {
    async fn token(&self) -> Result<AccessToken, Error> {
        (**self).token().await
    }
    fn invalidate(&self, rejected: &AccessToken) {
        (**self).invalidate(rejected)
    }
    fn is_cached(&self) -> bool {
        (**self).is_cached()
    }
}

#[async_trait]
impl<T: TokenSource + ?Sized> TokenSource for Box<T> {
    async fn token(&self) -> Result<AccessToken, Error> {
        (**self).token().await
    }
    fn invalidate(&self, rejected: &AccessToken) {
        (**self).invalidate(rejected)
    }
    fn is_cached(&self) -> bool {
        (**self).is_cached()
    }
}

#[async_trait]
impl<T: TokenSource + ?Sized> TokenSource for &T {
    async fn token(&self) -> Result<AccessToken, Error> {
        (**self).token().await
    }
    fn invalidate(&self, rejected: &AccessToken) {
        (**self).invalidate(rejected)
    }
    fn is_cached(&self) -> bool {
        (**self).is_cached()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::token_type::TokenType;

    const SECRET: &str = "00SeCrEt-token-ZZZ";

    #[test]
    fn pointers_ask_what_they_point_to() {
        struct Cached;
        #[async_trait]
        impl TokenSource for Cached {
            async fn token(&self) -> Result<AccessToken, Error> {
                AccessToken::new(TokenType::Bearer, SECRET)
            }
            fn is_cached(&self) -> bool {
                true
            }
        }
        struct Plain;
        #[async_trait]
        impl TokenSource for Plain {
            async fn token(&self) -> Result<AccessToken, Error> {
                AccessToken::new(TokenType::Bearer, SECRET)
            }
        }
        assert!(!Plain.is_cached());
        assert!(Cached.is_cached());
        let arc: Arc<dyn TokenSource> = Arc::new(Cached);
        assert!(arc.is_cached());
        let boxed: Box<dyn TokenSource> = Box::new(Cached);
        assert!(boxed.is_cached());
        assert!(<&Cached as TokenSource>::is_cached(&&Cached));
        assert!(!Arc::new(Plain).is_cached());
    }

    #[test]
    fn trait_is_object_safe() {
        fn takes(_: &dyn TokenSource) {}
        let _ = takes;
    }
}
