//! Command-line subcommands that are more than starting roles.

pub mod admin;
pub mod bench;
pub mod render;
pub mod submit;
pub mod upload;

/// Where a client command finds the API, and whom it logs in as.
#[derive(clap::Args)]
pub struct ApiLogin {
    /// Base URL of the API.
    #[arg(long, env = "IPSCOPY_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// E-mail of the user the command acts as.
    #[arg(long, env = "IPSCOPY_USER")]
    pub user: String,
    /// Password of that user.
    #[arg(long, env = "IPSCOPY_PASSWORD", hide_env_values = true)]
    pub password: crate::secret::SecretString,
}
