//! SOAP front integration tests: real envelopes against the whole system.

mod catalog;
mod client;
mod copy;
mod hostile;
#[path = "../api/helpers.rs"]
mod helpers;
mod matrix;
mod protocol;
