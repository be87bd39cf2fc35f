//! [`AccessToken`], what it authorizes, and the [`TokenSource`] trait.
//!
//! - [`TokenType`] and the [`DPOP`] header: how a token is presented
//!   (`token_type`).
//! - [`AccessToken`]: the credential, its expiry and scopes, and the
//!   headers that authorize a request (`access_token`).
//! - [`TokenSource`]: what yields tokens, and its pointer implementations
//!   (`source`).

mod access_token;
mod source;
mod token_type;

pub use access_token::AccessToken;
pub use source::TokenSource;
pub use token_type::{DPOP, TokenType};
