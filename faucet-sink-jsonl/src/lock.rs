//! One run at a time per output: an OS file lock beside the state file.
//!
//! The state file itself cannot carry the lock, because every commit
//! replaces it by a rename. `<state_path>.lock` is never replaced and never
//! deleted (deleting it would let a process that opened the old file and a
//! process that created a new one both hold "the" lock); the OS releases
//! the lock when the holder closes the file or dies, so a crashed run never
//! blocks the next one. The holder writes its process id and start time
//! into the file, for the message a second run shows.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use faucet_core::connector::*;

use crate::io::io_err;

/// The lock of one run; released when dropped.
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: File,
}

/// The lock file of a state file: its path with `.lock` appended.
pub(crate) fn lock_path(state_path: &Path) -> PathBuf {
    let mut name = state_path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl RunLock {
    /// Takes the lock beside `state_path` without waiting; if another run
    /// holds it, fails with [`FaucetError::AlreadyRunning`] naming it.
    pub(crate) fn acquire(state_path: &Path, pipeline: &str) -> Result<Self> {
        let path = lock_path(state_path);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err(&path, "open", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(FaucetError::AlreadyRunning {
                    pipeline: pipeline.to_owned(),
                    holder: holder(&mut file, &path),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&path, "lock", e)),
        }
        let since = httpdate::fmt_http_date(SystemTime::now());
        let who = format!(
            "pid {} since {since}, lock {}",
            std::process::id(),
            path.display()
        );
        file.set_len(0)
            .and_then(|()| file.write_all(who.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| io_err(&path, "write", e))?;
        Ok(Self { _file: file })
    }
}

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
        assert!(message.contains("GMT, lock "), "{message}");
        drop(first);
        RunLock::acquire(&state, "p").unwrap();
    }
}
