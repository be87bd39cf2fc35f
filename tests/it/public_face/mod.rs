//! What a user meets first and copies: the README, the crate docs' opening,
//! the examples and the doc examples.

mod opening;
mod paths;
