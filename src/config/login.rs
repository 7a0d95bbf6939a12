//! Failed-login throttling settings.

use clap::Args;

/// Failed-login throttling: attempts over a limit are refused before any password is checked.
#[derive(Args, Clone, Debug)]
pub struct LoginSettings {
    /// Failed logins one e-mail may have at once, then one more per window / this; 0 = no limit.
    #[arg(long, env = "IPSCOPY_LOGIN_MAX_FAILURES_PER_USER", default_value_t = LoginSettings::PER_USER)]
    pub login_max_failures_per_user: u32,
    /// Failed logins one client address (an IPv6 /64) may have at once, then one more per
    /// window / this; 0 = no limit. The address is the TCP peer: behind a proxy, every client
    /// shares the proxy's.
    #[arg(long, env = "IPSCOPY_LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = LoginSettings::PER_ADDRESS)]
    pub login_max_failures_per_address: u32,
    /// The window the failure limits are counted over, in seconds.
    #[arg(long, env = "IPSCOPY_LOGIN_FAILURE_WINDOW_SECS", default_value_t = LoginSettings::WINDOW_SECS)]
    pub login_failure_window_secs: u64,
}

impl LoginSettings {
    const PER_USER: u32 = 10;
    const PER_ADDRESS: u32 = 50;
    const WINDOW_SECS: u64 = 300;
}

impl Default for LoginSettings {
    /// The command-line defaults.
    fn default() -> Self {
        Self {
            login_max_failures_per_user: Self::PER_USER,
            login_max_failures_per_address: Self::PER_ADDRESS,
            login_failure_window_secs: Self::WINDOW_SECS,
        }
    }
}
