//! Command-line subcommands that are more than starting roles.

pub mod admin;
