//! Import settings: what the workers that fetch masters by URL or S3 key may reach.

use clap::Args;
use ipnet::IpNet;

/// Settings of imports (`POST /v1/imports`, SOAP `uploadUrlsJob`).
#[derive(Args, Clone, Debug)]
pub struct ImportSettings {
    /// Comma-separated CIDRs imports may fetch from although they are not public (e.g.
    /// `10.20.0.0/16,127.0.0.1/32`); by default only public addresses are reachable.
    #[arg(long, env = "IPSCOPY_IMPORT_ALLOWED_NETWORKS", value_delimiter = ',')]
    pub import_allowed_networks: Vec<IpNet>,
    /// Comma-separated buckets of the object store an import may read by `s3Key`; none by default.
    #[arg(long, env = "IPSCOPY_IMPORT_S3_BUCKETS", value_delimiter = ',')]
    pub import_s3_buckets: Vec<String>,
    /// Seconds one fetch may take, from connecting to the last byte: a source that trickles
    /// its bytes fails when they run out, and the attempt is retried.
    #[arg(long, env = "IPSCOPY_IMPORT_TIMEOUT_SECS", default_value_t = ImportSettings::TIMEOUT_SECS)]
    pub import_timeout_secs: f64,
}

impl ImportSettings {
    const TIMEOUT_SECS: f64 = 120.0;
}

impl Default for ImportSettings {
    /// The command-line defaults.
    fn default() -> Self {
        Self {
            import_allowed_networks: Vec::new(),
            import_s3_buckets: Vec::new(),
            import_timeout_secs: Self::TIMEOUT_SECS,
        }
    }
}
