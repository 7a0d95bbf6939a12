//! Typed settings, from flags and environment variables; every default works on a machine where
//! PostgreSQL and RabbitMQ listen on localhost.
//!
//! One file per settings group; this module gathers them into [`Settings`] and checks them.

mod broker;
mod db;
mod http;
mod import;
mod login;
mod s3;
mod webhook;
mod worker;

use std::fmt;

use clap::Args;

pub use broker::{AmqpSettings, BrokerUrls};
pub use db::DbSettings;
pub use http::HttpSettings;
pub use import::ImportSettings;
pub use login::LoginSettings;
pub use s3::S3Settings;
pub use webhook::WebhookSettings;
pub use worker::WorkerSettings;

/// Every setting a role may need.
#[derive(Args, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub db: DbSettings,
    #[command(flatten)]
    pub amqp: AmqpSettings,
    #[command(flatten)]
    pub s3: S3Settings,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub login: LoginSettings,
    #[command(flatten)]
    pub worker: WorkerSettings,
    #[command(flatten)]
    pub webhook: WebhookSettings,
    #[command(flatten)]
    pub import: ImportSettings,
}

impl Settings {
    /// Refuses a malformed broker, database or S3 URL before anything starts, with one line that
    /// names the setting and never shows the URL (it may hold a password).
    pub fn check(&self) -> Result<(), String> {
        fn named(setting: &'static str, flag: &'static str) -> impl Fn(String) -> String {
            move |e| format!("{setting} (--{flag}): {e}")
        }
        self.amqp.amqp_url.check().map_err(named("AMQP_URL", "amqp-url"))?;
        check_url(self.db.database_url.expose(), &["postgres", "postgresql"])
            .map_err(named("DATABASE_URL", "database-url"))?;
        if let Some(endpoint) = &self.s3.s3_endpoint {
            check_url(endpoint, &["http", "https"]).map_err(named("S3_ENDPOINT", "s3-endpoint"))?;
        }
        Ok(())
    }
}

/// Checks that `url` parses, has one of `schemes` and names a host; the error names what is wrong
/// and never shows the URL (it may hold a password).
fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(format!("scheme {:?} is not one of {}", parsed.scheme(), schemes.join(", ")));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL names no host".into());
    }
    Ok(())
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &self.db.database_url)
            .field("amqp_url", &self.amqp.amqp_url)
            .field("queue_prefix", &self.amqp.queue_prefix)
            .field("s3_endpoint", &self.s3.s3_endpoint)
            .field("s3_bucket", &self.s3.s3_bucket)
            .field("data_dir", &self.s3.data_dir)
            .field("http_addr", &self.http.http_addr)
            .field("ops_addr", &self.http.ops_addr)
            .field("login", &self.login)
            .field("worker_slots", &self.worker.slots())
            .field("webhook", &self.webhook)
            .field("import", &self.import)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_print_no_password_or_secret_key() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            settings: super::Settings,
        }
        let cli = Cli::parse_from([
            "ipscopy",
            "--database-url",
            "postgres://app:db-pw-1@db/x",
            "--amqp-url",
            "amqp://app:amqp-pw-2@mq/%2f",
            "--aws-secret-access-key",
            "s3-secret-3",
        ]);
        let shown = format!("{:?} {:?}", cli.settings, cli.settings.s3.aws_secret_access_key);
        for secret in ["db-pw-1", "amqp-pw-2", "s3-secret-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("postgres://app:***@db/x"), "{shown}");
        assert_eq!(cli.settings.login.login_max_failures_per_user, 10);
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: super::Settings,
    }

    fn refusal(args: &[&str]) -> String {
        use clap::Parser;
        let mut full = vec!["ipscopy"];
        full.extend_from_slice(args);
        let cli = Cli::try_parse_from(full).expect("the flags parse");
        cli.settings.check().expect_err("the settings are refused")
    }

    #[test]
    fn malformed_urls_are_refused_at_start_naming_the_setting_and_never_the_password() {
        for (args, setting, says) in [
            (["--amqp-url", "amqp://u:pw-9@mq-0:5672,mq-1:5672"], "AMQP_URL", "entry 2: scheme"),
            (["--amqp-url", "http://u:pw-9@mq-0:5672/"], "AMQP_URL", "scheme \"http\""),
            (["--amqp-url", "amqp://"], "AMQP_URL", "no host"),
            (["--database-url", "postgres//u:pw-9@db/x"], "DATABASE_URL", "not a URL"),
            (["--database-url", "mysql://u:pw-9@db/x"], "DATABASE_URL", "scheme"),
            (["--s3-endpoint", "minio:9000"], "S3_ENDPOINT", "scheme"),
        ] {
            let error = refusal(&args);
            assert!(error.starts_with(&format!("{setting} ({})", args[0])), "{error}");
            assert!(error.contains(says), "{args:?}: {error}");
            assert!(!error.contains("pw-9") && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn the_default_settings_pass_the_start_check_and_keep_operator_data_private() {
        use clap::Parser;
        let defaults = Cli::parse_from(["ipscopy"]).settings;
        defaults.check().expect("the defaults are valid");
        assert_eq!(defaults.http.metrics_company_labels, 0, "no company labels unless asked for");
        assert_eq!(defaults.http.metrics_endpoint_labels, 20);
        assert!(defaults.http.ops_addr.ip().is_loopback(), "the operators' listener is private by default");
    }
}
