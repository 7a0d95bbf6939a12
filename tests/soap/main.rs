//! SOAP front integration tests: real envelopes against the whole system.

mod client;
#[path = "../api/helpers.rs"]
mod helpers;
mod protocol;
