//! A crash-safe state store in a directory of JSON files.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::StateStore;
use crate::error::{FaucetError, Result};
use crate::page::Checkpoint;

/// Keeps each pipeline's checkpoint in `<dir>/<pipeline>.json`.
///
/// A save writes a temporary file, fsyncs it, renames it over the old one
/// and fsyncs the directory: after a crash the file holds either the old
/// checkpoint or the new one, never a torn mix.
#[derive(Debug, Clone)]
pub struct FileStateStore {
    dir: PathBuf,
}

impl FileStateStore {
    /// A store in `dir`, created on first save if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file that holds `pipeline`'s checkpoint. Characters other than
    /// ASCII letters, digits, `-`, `_` and `.` are replaced by `_`.
    pub fn path_for(&self, pipeline: &str) -> PathBuf {
        let safe: String = pipeline
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = safe.trim_start_matches('.');
        let stem = if safe.is_empty() { "pipeline" } else { safe };
        self.dir.join(format!("{stem}.json"))
    }
}

fn state_err(path: &Path, what: &str, err: std::io::Error) -> FaucetError {
    FaucetError::state_error(format!("cannot {what} {}", path.display()), err)
}

/// Replaces the file at `path` with `bytes` so that, after a crash, it
/// holds either the old content or the new, never a mix: writes a temporary
/// file beside it, fsyncs it (when `fsync`), renames it over `path`, and
/// fsyncs the directory (when `fsync`). Creates missing parent directories.
///
/// This is blocking I/O: from async code, call it in
/// `tokio::task::spawn_blocking`.
pub fn write_file_atomically(path: &Path, bytes: &[u8], fsync: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| state_err(dir, "create directory", e))?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut file = std::fs::File::create(&tmp).map_err(|e| state_err(&tmp, "create", e))?;
    file.write_all(bytes)
        .and_then(|()| if fsync { file.sync_all() } else { Ok(()) })
        .map_err(|e| state_err(&tmp, "write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| state_err(path, "replace", e))?;
    if fsync {
        // The rename is durable once the directory entry is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| state_err(dir, "sync directory", e))?;
    }
    Ok(())
}

#[async_trait]
impl StateStore for FileStateStore {
    async fn load(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        let path = self.path_for(pipeline);
        match tokio::fs::read(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                FaucetError::state_error(format!("corrupt checkpoint file {}", path.display()), e)
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(&path, "read", e)),
        }
    }

    async fn save(&self, pipeline: &str, checkpoint: &Checkpoint) -> Result<()> {
        let path = self.path_for(pipeline);
        let bytes = serde_json::to_vec(checkpoint)?;
        tokio::task::spawn_blocking(move || write_file_atomically(&path, &bytes, true))
            .await
            .map_err(FaucetError::custom)?
    }

    async fn clear(&self, pipeline: &str) -> Result<()> {
        let path = self.path_for(pipeline);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(state_err(&path, "remove", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn saves_replace_and_survive_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStateStore::new(dir.path().join("state"));
        assert_eq!(store.load("p/1").await.unwrap(), None);
        store
            .save("p/1", &Checkpoint::new(json!({"page": 2})))
            .await
            .unwrap();
        store
            .save("p/1", &Checkpoint::new(json!({"page": 3})))
            .await
            .unwrap();
        let reopened = FileStateStore::new(dir.path().join("state"));
        assert_eq!(
            reopened.load("p/1").await.unwrap(),
            Some(Checkpoint::new(json!({"page": 3})))
        );
        assert!(reopened.path_for("p/1").ends_with("p_1.json"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("state"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("p_1.json")]);
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStateStore::new(dir.path());
        std::fs::write(store.path_for("x"), b"{not json").unwrap();
        let err = store.load("x").await.unwrap_err().to_string();
        assert!(err.contains("x.json"), "{err}");
    }
}
