//! Command-line subcommands that are more than starting roles.

pub mod admin;
pub mod bench;
pub mod render;
pub mod submit;
pub mod upload;
