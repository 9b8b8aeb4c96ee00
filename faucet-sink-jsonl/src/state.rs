//! The sink's commit record: committed file lengths plus checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use faucet_core::connector::*;
use faucet_core::serde_json;

use crate::config::JsonlSinkConfig;
/// What the state file holds. The checkpoint is wrapped so that a stored
/// JSON `null` checkpoint ("start over") differs from no checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(crate = "faucet_core::serde")]
pub(crate) struct CommitState {
    /// The pipeline that owns the output file.
    pub(crate) pipeline: String,
    /// Bytes of the output file that are committed (a plain `path`).
    #[serde(default)]
    pub(crate) len: u64,
    /// Bytes committed in each stream's file, by stream name (a `path`
    /// with `{stream}`); a stream appears before its first byte is written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) files: BTreeMap<String, u64>,
    /// The checkpoint valid once those bytes are durable.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some"
    )]
    pub(crate) checkpoint: Option<Checkpoint>,
}

fn some<'de, D: faucet_core::serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Checkpoint>, D::Error> {
    Checkpoint::deserialize(d).map(Some)
}

impl CommitState {
    pub(crate) fn new(pipeline: &str, len: u64, checkpoint: Option<Checkpoint>) -> Self {
        Self {
            pipeline: pipeline.to_owned(),
            len,
            files: BTreeMap::new(),
            checkpoint,
        }
    }

    /// The state of a per-stream output: each stream file's length.
    pub(crate) fn per_stream(
        pipeline: &str,
        files: BTreeMap<String, u64>,
        checkpoint: Option<Checkpoint>,
    ) -> Self {
        Self {
            pipeline: pipeline.to_owned(),
            len: 0,
            files,
            checkpoint,
        }
    }
}

/// Reads the state file; `None` when it does not exist.
pub(crate) fn read_state(path: &Path) -> Result<Option<CommitState>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            FaucetError::state_error(format!("corrupt state file {}", path.display()), e)
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FaucetError::state_error(
            format!("cannot read {}", path.display()),
            e,
        )),
    }
}

/// Atomically replaces the state file.
pub(crate) fn write_state(path: &Path, state: &CommitState, fsync: bool) -> Result<()> {
    let bytes = serde_json::to_vec(state)?;
    write_file_atomically(path, &bytes, fsync)
}

/// Forgets the checkpoint, keeping the committed length (bytes past it
/// are still rolled back by the next run), under the run lock.
pub(crate) fn clear(config: &JsonlSinkConfig, pipeline: &str) -> Result<()> {
    let state_path = config.state_path();
    let _lock = RunLock::acquire(&state_path, pipeline)?;
    let Some(state) = read_state(&state_path)? else {
        return Ok(());
    };
    check_owner(&state, pipeline, &state_path)?;
    let cleared = CommitState {
        checkpoint: None,
        ..state
    };
    write_state(&state_path, &cleared, config.fsync)
}

/// The state belongs to `pipeline`, else a config error naming both.
pub(crate) fn check_owner(state: &CommitState, pipeline: &str, state_path: &Path) -> Result<()> {
    if state.pipeline == pipeline {
        return Ok(());
    }
    Err(FaucetError::config(
        "state_path",
        format!(
            "{} belongs to pipeline `{}`, not `{pipeline}`; give each pipeline its own output",
            state_path.display(),
            state.pipeline
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_checkpoint_survives_the_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        for checkpoint in [
            None,
            Some(Checkpoint::new(Value::Null)),
            Some(Checkpoint::new(json!({"page": 3}))),
        ] {
            let state = CommitState::new("p", 42, checkpoint.clone());
            write_state(&path, &state, false).unwrap();
            assert_eq!(read_state(&path).unwrap(), Some(state));
            let files = BTreeMap::from([("a/b".to_owned(), 7), ("c".to_owned(), 0)]);
            let state = CommitState::per_stream("p", files, checkpoint);
            write_state(&path, &state, false).unwrap();
            assert_eq!(read_state(&path).unwrap(), Some(state));
        }
    }
}
