//! The webhook sender's settings: reachable networks, retries, concurrency and retention.

use clap::Args;
use ipnet::IpNet;

use crate::domain::schedule::{DEFAULT_SCHEDULE, RetrySchedule};

/// Webhook sender settings.
#[derive(Args, Clone, Debug)]
pub struct WebhookSettings {
    /// Comma-separated CIDRs webhooks may reach although they are not public
    /// (e.g. `10.20.0.0/16,127.0.0.1/32`); by default only public addresses are reachable.
    #[arg(long, env = "IPSCOPY_WEBHOOK_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub webhook_allowed_networks: Vec<IpNet>,
    /// Waits between the attempts of a failing delivery, after the immediate first one.
    #[arg(long, env = "IPSCOPY_WEBHOOK_RETRY_SCHEDULE", default_value = DEFAULT_SCHEDULE)]
    pub webhook_retry_schedule: RetrySchedule,
    /// Seconds a receiver has to answer an attempt.
    #[arg(long, env = "IPSCOPY_WEBHOOK_TIMEOUT_SECS", default_value_t = WebhookSettings::TIMEOUT_SECS)]
    pub webhook_timeout_secs: f64,
    /// Deliveries in flight at once to one endpoint, across every process.
    #[arg(long, env = "IPSCOPY_WEBHOOK_ENDPOINT_CONCURRENCY", default_value_t = WebhookSettings::ENDPOINT_CONCURRENCY)]
    pub webhook_endpoint_concurrency: u32,
    /// Deliveries in flight at once in this process.
    #[arg(long, env = "IPSCOPY_WEBHOOK_SENDERS", default_value_t = WebhookSettings::SENDERS)]
    pub webhook_senders: usize,
    /// An endpoint whose every attempt failed for this many hours is disabled.
    #[arg(long, env = "IPSCOPY_WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = WebhookSettings::DISABLE_AFTER_HOURS)]
    pub webhook_disable_after_hours: f64,
    /// Days a delivered or failed message and its attempt log are kept; 0 keeps them forever.
    #[arg(long, env = "IPSCOPY_WEBHOOK_RETENTION_DAYS", default_value_t = WebhookSettings::RETENTION_DAYS)]
    pub webhook_retention_days: f64,
}

impl WebhookSettings {
    const TIMEOUT_SECS: f64 = 15.0;
    const ENDPOINT_CONCURRENCY: u32 = 4;
    const SENDERS: usize = 32;
    /// Five days, as Svix.
    const DISABLE_AFTER_HOURS: f64 = 120.0;
    const RETENTION_DAYS: f64 = 30.0;
}

impl Default for WebhookSettings {
    /// The command-line defaults.
    fn default() -> Self {
        Self {
            webhook_allowed_networks: Vec::new(),
            webhook_retry_schedule: RetrySchedule::default(),
            webhook_timeout_secs: Self::TIMEOUT_SECS,
            webhook_endpoint_concurrency: Self::ENDPOINT_CONCURRENCY,
            webhook_senders: Self::SENDERS,
            webhook_disable_after_hours: Self::DISABLE_AFTER_HOURS,
            webhook_retention_days: Self::RETENTION_DAYS,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn webhook_settings_parse_networks_and_schedules_and_default_like_the_cli() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            webhook: super::WebhookSettings,
        }
        let cli = Cli::parse_from([
            "ipscopy",
            "--webhook-allowed-networks",
            "10.20.0.0/16,::1/128",
            "--webhook-retry-schedule",
            "1s,2m",
        ]);
        assert_eq!(cli.webhook.webhook_allowed_networks.len(), 2);
        assert_eq!(cli.webhook.webhook_retry_schedule.to_string(), "1000ms,120000ms");
        let defaults = Cli::parse_from(["ipscopy"]).webhook;
        let built_in = super::WebhookSettings::default();
        assert_eq!(defaults.webhook_retry_schedule, built_in.webhook_retry_schedule);
        assert_eq!(defaults.webhook_timeout_secs, built_in.webhook_timeout_secs);
        assert_eq!(defaults.webhook_endpoint_concurrency, built_in.webhook_endpoint_concurrency);
        assert_eq!(defaults.webhook_retention_days, built_in.webhook_retention_days);
        assert!(Cli::try_parse_from(["ipscopy", "--webhook-allowed-networks", "10.0.0.0/33"]).is_err());
    }
}
