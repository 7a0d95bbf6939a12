//! Integration tests: each test starts the whole system (API, worker, relay, embedded S3) on
//! its own database and queue names, against the real PostgreSQL and RabbitMQ.

mod auth;
mod bombs;
mod bulk;
mod cli;
mod copies;
mod crash;
mod delivery;
mod handles;
mod helpers;
mod hostile_input;
mod imports;
mod isolation;
mod jobs;
mod log_secrets;
mod renditions;
mod storage;
mod uploads;
