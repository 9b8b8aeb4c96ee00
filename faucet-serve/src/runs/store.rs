//! Run records on disk: one JSON line per change in `runs.jsonl`.
//!
//! A JSON Lines file rather than SQLite: the records are few, small and
//! written a few times per run (and at most once a second while it runs), and an embedded database would add
//! minutes of C compilation to every clean build on the project's 2-core
//! CI for nothing it needs. The file is compacted (one line per run) and
//! rewritten atomically when the server starts; a torn last line from a
//! crash is skipped.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::ServeError;
use crate::runs::record::{RunRecord, RunState, now_ms};

/// The file of run records under the server's state directory.
#[derive(Debug)]
pub(crate) struct RunStore {
    path: PathBuf,
    file: Mutex<File>,
}

impl RunStore {
    /// Opens `dir/runs.jsonl`, creating it if needed, and returns the
    /// runs it holds; runs it recorded as queued or running become
    /// [`RunState::Interrupted`].
    pub(crate) fn open(dir: &Path) -> Result<(Self, Vec<RunRecord>), ServeError> {
        let path = dir.join("runs.jsonl");
        let store_err = |source| ServeError::Store {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(store_err)?;
        let runs = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(store_err(err)),
        };
        let runs: Vec<RunRecord> = runs.into_iter().map(interrupt).collect();
        let mut text = String::new();
        for run in &runs {
            text.push_str(&line(run));
        }
        faucet_core::write_file_atomically(&path, text.as_bytes(), true)
            .map_err(|err| store_err(std::io::Error::other(err.to_string())))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(store_err)?;
        let store = Self {
            path,
            file: Mutex::new(file),
        };
        Ok((store, runs))
    }

    /// Appends the current state of `run`. A failure is logged: the run
    /// goes on, and only its record on disk is behind.
    pub(crate) fn save(&self, run: &RunRecord) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(err) = file.write_all(line(run).as_bytes()) {
            tracing::warn!(path = %self.path.display(), error = %err, "Could not save a run record.");
        }
    }

    /// Whether the store can still be written.
    pub(crate) fn ready(&self) -> bool {
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.metadata().is_ok() && self.path.exists()
    }
}

fn line(run: &RunRecord) -> String {
    let mut text = serde_json::to_string(run).unwrap_or_default();
    text.push('\n');
    text
}

/// The last line of every run id, in the order runs first appeared.
fn parse(text: &str) -> Vec<RunRecord> {
    let mut order = Vec::new();
    let mut latest = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RunRecord>(line) {
            Ok(run) => {
                if !latest.contains_key(&run.id) {
                    order.push(run.id.clone());
                }
                latest.insert(run.id.clone(), run);
            }
            Err(err) => tracing::warn!(line = n + 1, error = %err, "Skipped a bad run record."),
        }
    }
    order.iter().filter_map(|id| latest.remove(id)).collect()
}

fn interrupt(mut run: RunRecord) -> RunRecord {
    if !run.state.is_final() {
        run.state = RunState::Interrupted;
        run.finished_at_ms = Some(now_ms());
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_wins_running_becomes_interrupted_and_torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (store, runs) = RunStore::open(dir.path()).unwrap();
        assert!(runs.is_empty());
        let mut a = RunRecord::queued("1".into(), "a".into(), "h".into());
        store.save(&a);
        a.state = RunState::Running;
        store.save(&a);
        let mut b = RunRecord::queued("2".into(), "b".into(), "h".into());
        b.state = RunState::Completed;
        store.save(&b);
        drop(store);
        let path = dir.path().join("runs.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"id\": \"3\", \"pipel");
        std::fs::write(&path, text).unwrap();

        let (store, runs) = RunStore::open(dir.path()).unwrap();
        assert!(store.ready());
        let states: Vec<_> = runs.iter().map(|r| (r.id.as_str(), r.state)).collect();
        assert_eq!(
            states,
            [("1", RunState::Interrupted), ("2", RunState::Completed)]
        );
        assert!(runs[0].finished_at_ms.is_some());
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    }
}
