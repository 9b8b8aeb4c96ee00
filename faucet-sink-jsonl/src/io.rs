//! File errors, worded once: below every module that touches the disk.

use std::path::Path;

use faucet_core::FaucetError;

/// `cannot {what} {path}`, keeping the I/O error as the cause.
pub(crate) fn io_err(path: &Path, what: &str, err: std::io::Error) -> FaucetError {
    FaucetError::sink_error(format!("cannot {what} {}", path.display())).with_source(err)
}
