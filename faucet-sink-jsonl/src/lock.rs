//! One run at a time per output file: the run's lock beside the state file
//! is [`faucet_core::RunLock`]; this module locks each stream's output file
//! as well.

use std::fs::{File, TryLockError};
use std::path::Path;

use faucet_core::connector::*;

use crate::io::io_err;

/// Locks an output file itself (each stream's file of a per-stream
/// output), so that no two runs write one file even when their state files
/// differ. Output files are never replaced, so their lock holds for as long
/// as the file stays open.
pub(crate) fn lock_output(file: &File, path: &Path, pipeline: &str) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(FaucetError::AlreadyRunning {
            pipeline: pipeline.to_owned(),
            holder: format!("another run is writing {}", path.display()),
        }),
        Err(TryLockError::Error(e)) => Err(io_err(path, "lock", e)),
    }
}
