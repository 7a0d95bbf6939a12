//! Operator-facing tests: metrics, queue depth, readiness, the status page, the API document
//! and the deployment files, each against the whole system on its own database and queues.

mod deploy;
#[path = "../api/helpers.rs"]
mod helpers;
mod metrics;
mod openapi;
mod operators;
mod readiness;
mod schemathesis;
mod scrape;
mod status_page;
