//! The object store settings.

use std::path::PathBuf;

use clap::Args;

use crate::secret::SecretString;

/// Object store settings.
#[derive(Args, Clone)]
pub struct S3Settings {
    /// S3-compatible endpoint; when unset, `run` starts an embedded store on a loopback port.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// Bucket holding source masters and copies; created if missing.
    #[arg(long, env = "S3_BUCKET", default_value = "ipscopy")]
    pub s3_bucket: String,
    /// Access key for S3 (also the embedded store's key).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "ipscopy")]
    pub aws_access_key_id: String,
    /// Secret key for S3 (also the embedded store's secret).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "ipscopy-secret", hide_default_value = true)]
    pub aws_secret_access_key: SecretString,
    /// Region sent to S3.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub aws_region: String,
    /// Where the embedded store keeps its objects.
    #[arg(long, env = "IPSCOPY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}
