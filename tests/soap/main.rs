//! SOAP front integration tests: real envelopes against the whole system.

mod adobe_wsdl;
mod aem;
mod catalog;
mod client;
mod copy;
mod folders;
mod handles;
#[path = "../api/helpers.rs"]
mod helpers;
mod hostile;
mod login;
mod matrix;
mod organize;
mod protocol;
mod upload_file;
mod upload_urls;
mod wsdl_diff;
mod zeep;
