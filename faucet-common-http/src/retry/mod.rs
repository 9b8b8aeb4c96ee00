//! Retries in three small parts: [`policy`] decides *whether* a failure
//! is worth retrying, [`backoff`] *when* to try again, [`budget`] *how
//! much* retrying a run may do in all.

pub mod backoff;
pub mod budget;
pub mod policy;

use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Attempts per request, the first included (1 = never retry).
    /// Default: `6`.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First backoff in milliseconds; doubles with every attempt, with
    /// full jitter. Default: `250`.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// Largest backoff in milliseconds. Default: `30000`.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Longest `Retry-After` (or rate-limit reset) wait honoured, in
    /// seconds; a server asking for more fails the run with a clear
    /// message. Default: `300`.
    #[serde(default = "default_max_retry_after_secs")]
    pub max_retry_after_secs: u64,
    /// Retries allowed across the whole run, all requests together; when
    /// spent, the next failure fails the run. Default: `1000`.
    #[serde(default = "default_budget")]
    pub budget: u32,
}

fn default_max_attempts() -> u32 {
    6
}
fn default_initial_backoff_ms() -> u64 {
    250
}
fn default_max_backoff_ms() -> u64 {
    30_000
}
fn default_max_retry_after_secs() -> u64 {
    300
}
fn default_budget() -> u32 {
    1000
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: default_max_attempts(),
            initial_backoff_ms: default_initial_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            max_retry_after_secs: default_max_retry_after_secs(),
            budget: default_budget(),
        }
    }
}
