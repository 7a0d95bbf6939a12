use clap::{Parser, Subcommand};
use ipscopy::{
    app::{self, Roles},
    commands::admin::{self, AdminArgs},
    config::{DbSettings, Settings},
    db, telemetry,
};
use tokio_util::sync::CancellationToken;

/// ipscopy: asynchronous Scene7 IPS copyImage.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every role in one process: HTTP API, worker and outbox relay (and an embedded S3
    /// store when S3_ENDPOINT is unset).
    Run(Settings),
    /// Run the HTTP API (and an outbox relay).
    Api(Settings),
    /// Run a worker (and an outbox relay).
    Worker(Settings),
    /// Create the database if missing and apply migrations.
    Migrate(DbSettings),
    /// Bootstrap companies, users, memberships, folders and source images.
    Admin(AdminArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(settings) => serve(settings, Roles { api: true, worker: true }).await,
        Command::Api(settings) => serve(settings, Roles { api: true, worker: false }).await,
        Command::Worker(settings) => serve(settings, Roles { api: false, worker: true }).await,
        Command::Migrate(settings) => db::connect(&settings, true).await.map(|_| ()),
        Command::Admin(args) => admin::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, roles: Roles) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let running = app::start(&settings, roles, shutdown.clone()).await?;
    shutdown_signal().await;
    tracing::info!("shutdown requested; finishing in-flight work");
    shutdown.cancel();
    running.wait().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
