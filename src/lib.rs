//! ipscopy: an asynchronous implementation of the Scene7 IPS `copyImage` operation.
//!
//! The API validates a copy and records it in PostgreSQL with an outbox row; the relay publishes
//! it to RabbitMQ; a worker renders it from S3 and finalizes it in one transaction.

pub mod admin;
pub mod app;
pub mod auth;
pub mod batch;
pub mod commands;
pub mod config;
pub mod copy;
pub mod db;
pub mod domain;
pub mod error;
pub mod folder;
pub mod http;
pub mod import;
pub mod login_throttle;
pub mod metrics;
pub mod ops;
pub mod queue;
pub mod rate_limit;
pub mod secret;
pub mod server;
pub mod soap;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod upload;
pub mod webhook;
pub mod worker;

/// The render engine, pure and I/O-free.
pub use ipscopy_render as render;
