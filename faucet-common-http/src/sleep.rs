//! Waits that end early, with [`FaucetError::Cancelled`], when the run
//! is cancelled.

use std::time::Duration;

use faucet_core::{CancellationToken, FaucetError};

/// Sleeps for `wait` unless `cancel` fires first.
pub async fn sleep_or_cancel(
    wait: Duration,
    cancel: &CancellationToken,
) -> Result<(), FaucetError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(FaucetError::Cancelled),
        () = tokio::time::sleep(wait) => Ok(()),
    }
}
