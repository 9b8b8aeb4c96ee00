//! Whether a failure is worth retrying.

use faucet_core::FaucetError;

/// HTTP statuses that are retried: 408, 429, 500, 502, 503, 504, as
/// faucet-core decides for every connector
/// ([`FaucetError::is_retryable_status`]).
pub fn retryable_status(status: u16) -> bool {
    FaucetError::is_retryable_status(status)
}

/// Statuses that also tell the client to slow down (adaptive concurrency
/// halves on them): 429 and 503.
pub fn is_overload(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Whether to retry after `err`: connection failures, timeouts and the
/// statuses above. Decided by the error itself
/// ([`FaucetError::is_retryable`]), where the failure entered.
pub fn should_retry(err: &FaucetError) -> bool {
    err.is_retryable()
}
