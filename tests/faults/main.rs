//! Fault injection: outages of RabbitMQ and PostgreSQL under load, on a private RabbitMQ node, a
//! private three-node RabbitMQ cluster or a private PostgreSQL cluster each test starts on free
//! ports (the machine's broker and database, which other tests use, are never stopped), a
//! message lost inside the broker, and clients that hang up, trickle or hoard connections. Each
//! test prints what it injected and what it counted.

#[path = "../api/helpers.rs"]
mod helpers;

mod broker_outage;
mod clients;
mod cluster;
mod database_restart;
mod load;
mod lost_message;
mod postgres;
mod rabbit;
mod rabbit_cluster;
mod system;

/// One fault at a time: each test's load and timings are its own, on a 2-core machine.
static ONE_FAULT_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
