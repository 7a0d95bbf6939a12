use clap::{Parser, Subcommand};
use ipscopy::{
    app::{self, Roles},
    commands::{
        admin::{self, AdminArgs},
        bench::{self, BenchArgs},
        render::{self, RenderArgs},
        submit::{self, SubmitArgs},
        upload::{self, UploadArgs},
    },
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
    /// Render local files through a urlModifier with the same engine the workers use.
    Render(RenderArgs),
    /// Load-test a running ipscopy end to end through the batch API.
    Bench(BenchArgs),
    /// Submit a CSV or JSON-lines file of copies in batches, with progress; safe to re-run.
    Submit(SubmitArgs),
    /// Upload image files and directories of them through the API, with progress; safe to re-run.
    Upload(UploadArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    // One TLS crypto provider for every HTTPS client of the process (S3, webhooks, the CLI).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(settings) => serve(settings, Roles { api: true, worker: true }).await,
        Command::Api(settings) => serve(settings, Roles { api: true, worker: false }).await,
        Command::Worker(settings) => serve(settings, Roles { api: false, worker: true }).await,
        Command::Migrate(settings) => db::connect(&settings, true).await.map(|_| ()),
        Command::Admin(args) => admin::run(args).await,
        Command::Render(args) => tokio::task::spawn_blocking(move || render::run(args))
            .await
            .unwrap_or_else(|e| Err(anyhow::anyhow!("the render task failed: {e}"))),
        Command::Bench(args) => bench::run(args).await,
        Command::Submit(args) => submit::run(args).await,
        Command::Upload(args) => upload::run(args).await,
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
