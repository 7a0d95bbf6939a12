//! `ipscopy admin …`: bootstrap companies, users, memberships, folders and source images. Each
//! command prints the new handle alone on stdout.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::{
    admin,
    app::open_storage,
    config::{DbSettings, S3Settings},
    db,
    domain::{CompanyHandle, FolderPath, Role},
    secret::{ExposeSecret, SecretString},
};

#[derive(Args)]
pub struct AdminArgs {
    #[command(flatten)]
    db: DbSettings,
    #[command(flatten)]
    s3: S3Settings,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Company memberships.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Folders.
    #[command(subcommand)]
    Folder(FolderCommand),
    /// Source images.
    #[command(subcommand)]
    Image(ImageCommand),
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Create a company; prints its handle (`c|N`).
    Add {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints its handle (`u|N|email`).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, env = "IPSCOPY_NEW_USER_PASSWORD", hide_env_values = true)]
        password: SecretString,
        /// `IpsAdmin` makes the user an administrator of every company.
        #[arg(long)]
        default_role: Option<Role>,
        /// The first name IPS clients see in `getUserInfo`.
        #[arg(long, default_value = "")]
        first_name: String,
        /// The last name IPS clients see in `getUserInfo`.
        #[arg(long, default_value = "")]
        last_name: String,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Give a user a role in a company.
    Add {
        #[arg(long)]
        company: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: Role,
    },
}

#[derive(Subcommand)]
enum FolderCommand {
    /// Create a folder under the company root; prints its handle.
    Add {
        #[arg(long)]
        company: String,
        /// Path under the company root, e.g. `/images/2024`.
        #[arg(long)]
        path: String,
    },
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Store FILE as a new ready Image asset; prints its handle.
    Add {
        #[arg(long)]
        company: String,
        /// Folder handle, e.g. `Acme/images/`.
        #[arg(long)]
        folder: String,
        #[arg(long)]
        name: String,
        file: PathBuf,
    },
}

/// Runs one admin command.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let pool = db::connect(&args.db, true).await?;
    let handle = match args.command {
        AdminCommand::Company(CompanyCommand::Add { name }) => {
            admin::add_company(&pool, &name).await?.to_string()
        }
        AdminCommand::User(UserCommand::Add { email, password, default_role, first_name, last_name }) => {
            let handle = admin::add_user(&pool, &email, password.expose_secret(), default_role).await?;
            admin::set_user_name(&pool, &email, &first_name, &last_name).await?;
            handle
        }
        AdminCommand::Member(MemberCommand::Add { company, email, role }) => {
            let company = CompanyHandle::parse(&company)?;
            admin::add_member(&pool, company, &email, role).await?;
            format!("{company}")
        }
        AdminCommand::Folder(FolderCommand::Add { company, path }) => {
            admin::add_folder(&pool, CompanyHandle::parse(&company)?, &path).await?.to_string()
        }
        AdminCommand::Image(ImageCommand::Add { company, folder, name, file }) => {
            let bytes =
                tokio::fs::read(&file).await.with_context(|| format!("reading {}", file.display()))?;
            let store_shutdown = CancellationToken::new();
            let (storage, _) = open_storage(&args.s3, store_shutdown.clone()).await?;
            let folder = FolderPath::parse_handle(&folder)?;
            let handle =
                admin::add_image(&pool, &storage, CompanyHandle::parse(&company)?, &folder, &name, bytes)
                    .await;
            store_shutdown.cancel();
            handle?.to_string()
        }
    };
    println!("{handle}");
    Ok(())
}
