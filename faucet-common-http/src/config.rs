//! [`HttpConfig`]: timeouts, limits, retries and rate limit of a client.

use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

use crate::rate_limit::RateLimitConfig;
use crate::retry::RetryConfig;

/// Default total timeout per request, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Default connect timeout, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;
/// Default cap on one response body: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the HTTP client behaves. Every field has a safe default, the same
/// in YAML and in Rust (`HttpConfig::default()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Total time allowed for one request, body included, in seconds.
    /// Default: `60`.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Time allowed to open a connection, in seconds. Default: `10`.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Largest response body accepted, in bytes; a bigger one fails the
    /// request with an error naming the URL and this limit. Default:
    /// `67108864` (64 MiB).
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    /// The `User-Agent` header. Default: `faucet/<version>`.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Retries of failed requests.
    #[serde(default)]
    pub retry: RetryConfig,
    /// A client-side rate limit shared by every request of the run.
    /// Default: none (server `X-RateLimit-*` headers are still obeyed).
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}
fn default_connect_timeout() -> u64 {
    DEFAULT_CONNECT_TIMEOUT_SECS
}
fn default_max_response_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
}
fn default_user_agent() -> String {
    concat!("faucet/", env!("CARGO_PKG_VERSION")).to_owned()
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout_secs: default_timeout(),
            connect_timeout_secs: default_connect_timeout(),
            max_response_bytes: default_max_response_bytes(),
            user_agent: default_user_agent(),
            retry: RetryConfig::default(),
            rate_limit: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_rust_defaults_agree() {
        let parsed: HttpConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(parsed, HttpConfig::default());
        let schema = serde_json::to_value(schemars::schema_for!(HttpConfig)).unwrap();
        assert!(faucet_core::schema::undocumented_properties(&schema).is_empty());
        let auth = serde_json::to_value(schemars::schema_for!(crate::AuthConfig)).unwrap();
        let missing = faucet_core::schema::undocumented_properties(&auth);
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }
}
