//! [`RunLock`]: one run at a time per state file, for connectors that keep
//! their own checkpoints in a file (a file sink, a bridge to another tool).
//!
//! The state file itself cannot carry the lock when every commit replaces
//! it by a rename. `<state file>.lock` is never replaced and never deleted
//! (deleting it would let a process that opened the old file and one that
//! created a new one both hold "the" lock); the OS releases the lock when
//! the holder closes the file or dies, so a crashed run never blocks the
//! next one. The holder writes its process id and start time into the
//! file, for the message a second run shows.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{FaucetError, Result};

/// The lock of one run over one state file; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// The lock file of a state file: its path with `.lock` appended.
    pub fn path_for(state_path: &Path) -> PathBuf {
        let mut name = state_path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock beside `state_path` without waiting. If another run
    /// holds it, fails with [`FaucetError::AlreadyRunning`] naming
    /// `pipeline` and the holder (its process id and since when).
    pub fn acquire(state_path: &Path, pipeline: &str) -> Result<Self> {
        let path = Self::path_for(state_path);
        let io = |what: &str, e: std::io::Error| {
            FaucetError::state_error(format!("cannot {what} {}", path.display()), e)
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("open", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(FaucetError::AlreadyRunning {
                    pipeline: pipeline.to_owned(),
                    holder: holder(&mut file, &path),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io("lock", e)),
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let who = format!(
            "pid {} since {}, lock {}",
            std::process::id(),
            crate::error::utc_timestamp(now),
            path.display()
        );
        file.set_len(0)
            .and_then(|()| file.write_all(who.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| io("write", e))?;
        Ok(Self { _file: file })
    }
}

/// What the holder wrote into the lock file, or where the lock is if it
/// cannot be read.
fn holder(file: &mut File, path: &Path) -> String {
    let mut text = String::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(512).read_to_string(&mut text));
    match read {
        Ok(_) if !text.trim().is_empty() => text.trim().to_owned(),
        _ => format!("another process holds {}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_dropping_releases_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("out.jsonl.faucet-state.json");
        let first = RunLock::acquire(&state, "p").unwrap();
        let err = RunLock::acquire(&state, "p").unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(&err, FaucetError::AlreadyRunning { pipeline, .. } if pipeline == "p"),
            "{err:?}"
        );
        let pid = format!(
            "pipeline `p` is already running (pid {} since ",
            std::process::id()
        );
        assert!(message.starts_with(&pid), "{message}");
        assert!(message.contains("Z, lock "), "{message}");
        drop(first);
        RunLock::acquire(&state, "p").unwrap();
    }
}
