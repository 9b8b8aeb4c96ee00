//! The open output of a run: one file, or one file per stream, with what
//! is committed in each.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use faucet_core::connector::*;

use crate::config::JsonlSinkConfig;
use crate::io::io_err;
use crate::lock::lock_output;
use crate::names::PathTemplate;
use crate::state::{CommitState, check_owner, read_state, write_state};

/// The key of the only file of a plain `path`.
const SINGLE: &str = "";

/// File lengths by stream name ([`SINGLE`] for a plain `path`).
type Lengths = BTreeMap<String, u64>;

/// An open output and what is committed in it.
#[derive(Debug)]
pub(crate) struct Output {
    /// Held for the run: no other run uses this state file meanwhile.
    _lock: RunLock,
    pipeline: String,
    /// Set for a `path` holding `{stream}`.
    template: Option<PathTemplate>,
    state_path: PathBuf,
    files: BTreeMap<String, OpenFile>,
    /// The lengths and checkpoint in the state file.
    committed: Lengths,
    committed_checkpoint: Option<Checkpoint>,
    /// File lengths and checkpoint after the last page that had one, until
    /// they are committed (also for a page without records).
    resume_point: Option<(Lengths, Checkpoint)>,
    /// The last page's checkpoint, whatever it was.
    last_checkpoint: Option<Checkpoint>,
    /// Records appended since the last commit.
    pub(crate) uncommitted_records: usize,
}

/// One output file, open for appending.
#[derive(Debug)]
struct OpenFile {
    file: File,
    path: PathBuf,
    /// Bytes in the file, committed or not.
    len: u64,
}

impl OpenFile {
    /// Opens (creating it and its directory) `path`, truncated to
    /// `committed` bytes; `None` keeps what the file holds as the baseline.
    fn open(path: PathBuf, committed: Option<u64>) -> Result<(Self, u64)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, "create directory", e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err(&path, "open", e))?;
        let actual = file.metadata().map_err(|e| io_err(&path, "stat", e))?.len();
        let len = committed.unwrap_or(actual);
        if actual < len {
            return Err(FaucetError::sink_error(format!(
                "{} is {actual} bytes but {len} bytes were committed: it was truncated outside faucet",
                path.display()
            )));
        }
        file.set_len(len)
            .map_err(|e| io_err(&path, "truncate", e))?;
        file.seek(SeekFrom::Start(len))
            .map_err(|e| io_err(&path, "seek", e))?;
        if actual > len {
            tracing::info!(path = %path.display(), bytes = actual - len, "Rolled back uncommitted bytes.");
        }
        Ok((Self { file, path, len }, len))
    }
}

impl Output {
    /// Opens the output under the run lock, rolls every file back to its
    /// committed length, and returns the committed checkpoint.
    pub(crate) fn open(
        config: &JsonlSinkConfig,
        pipeline: &str,
    ) -> Result<(Self, Option<Checkpoint>)> {
        let state_path = config.state_path();
        if let Some(dir) = state_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, "create directory", e))?;
        }
        let lock = RunLock::acquire(&state_path, pipeline)?;
        let template = PathTemplate::of(&config.path);
        let state = read_state(&state_path)?;
        if let Some(state) = &state {
            check_owner(state, pipeline, &state_path)?;
            check_shape(state, template.is_some(), &state_path)?;
        }
        let first_run = state.is_none();
        let (committed, checkpoint) = match state {
            Some(state) if template.is_some() => (state.files, state.checkpoint),
            Some(state) => (
                Lengths::from([(SINGLE.to_owned(), state.len)]),
                state.checkpoint,
            ),
            None => (Lengths::new(), None),
        };
        let mut output = Self {
            _lock: lock,
            pipeline: pipeline.to_owned(),
            template,
            state_path,
            files: BTreeMap::new(),
            committed,
            committed_checkpoint: checkpoint.clone(),
            resume_point: None,
            last_checkpoint: None,
            uncommitted_records: 0,
        };
        let known: Vec<(String, u64)> = output.committed.clone().into_iter().collect();
        for (stream, len) in known {
            output.open_file(&stream, Some(len), &config.path)?;
        }
        if output.template.is_none() && first_run {
            // First run: what the file holds now is the committed baseline.
            output.open_file(SINGLE, None, &config.path)?;
            output.write_committed(config)?;
        }
        Ok((output, checkpoint))
    }

    /// Opens the file of `stream` (locked), truncated to `committed`.
    fn open_file(&mut self, stream: &str, committed: Option<u64>, path: &Path) -> Result<()> {
        let path = match &self.template {
            Some(template) => template.file(stream)?,
            None => path.to_path_buf(),
        };
        if path == self.state_path || path == RunLock::path_for(&self.state_path) {
            return Err(FaucetError::config(
                "path",
                format!(
                    "stream `{stream}` would be written to {}, the sink's state; \
                     set state_path elsewhere",
                    path.display()
                ),
            ));
        }
        let (file, len) = OpenFile::open(path, committed)?;
        if self.template.is_some() {
            lock_output(&file.file, &file.path, &self.pipeline)?;
        }
        self.committed.insert(stream.to_owned(), len);
        self.files.insert(stream.to_owned(), file);
        Ok(())
    }

    /// The file a page of `stream` goes to, opened the first time: a new
    /// stream's file is recorded (with the bytes it already holds as its
    /// baseline) in the state before anything is written to it, so a crash
    /// after the write rolls it back.
    fn file_for(&mut self, stream: &str, config: &JsonlSinkConfig) -> Result<&mut OpenFile> {
        if !self.files.contains_key(stream) {
            self.open_file(stream, None, &config.path)?;
            self.write_committed(config)?;
        }
        self.files
            .get_mut(stream)
            .ok_or_else(|| FaucetError::sink_error("the stream's file was not opened"))
    }

    /// Appends a page's encoded records to the file of `stream` (`None`
    /// for a plain `path`).
    pub(crate) fn append(
        &mut self,
        stream: Option<&str>,
        bytes: &[u8],
        records: usize,
        checkpoint: Option<Checkpoint>,
        config: &JsonlSinkConfig,
    ) -> Result<()> {
        if !bytes.is_empty() {
            let file = self.file_for(stream.unwrap_or(SINGLE), config)?;
            file.file
                .write_all(bytes)
                .map_err(|e| io_err(&file.path, "write", e))?;
            file.len += bytes.len() as u64;
        }
        self.uncommitted_records += records;
        if let Some(checkpoint) = &checkpoint {
            self.resume_point = Some((self.lengths(), checkpoint.clone()));
        }
        self.last_checkpoint = checkpoint;
        Ok(())
    }

    /// Every open file's current length.
    fn lengths(&self) -> Lengths {
        self.files
            .iter()
            .map(|(stream, file)| (stream.clone(), file.len))
            .collect()
    }

    /// Makes every file durable up to `lengths` (files not in it stay at
    /// their committed length) and records `checkpoint` with them.
    fn commit(
        &mut self,
        lengths: Lengths,
        checkpoint: Option<Checkpoint>,
        config: &JsonlSinkConfig,
    ) -> Result<()> {
        if config.fsync {
            for (stream, len) in &lengths {
                let file = self.files.get(stream);
                let grew = self.committed.get(stream).is_none_or(|old| old < len);
                if let (Some(file), true) = (file, grew) {
                    file.file
                        .sync_data()
                        .map_err(|e| io_err(&file.path, "fsync", e))?;
                }
            }
        }
        self.committed.extend(lengths);
        self.committed_checkpoint = checkpoint;
        self.write_committed(config)?;
        self.uncommitted_records = 0;
        Ok(())
    }

    /// Replaces the state file with the committed lengths and checkpoint.
    fn write_committed(&self, config: &JsonlSinkConfig) -> Result<()> {
        let checkpoint = self.committed_checkpoint.clone();
        let state = if self.template.is_some() {
            CommitState::per_stream(&self.pipeline, self.committed.clone(), checkpoint)
        } else {
            let len = self.committed.get(SINGLE).copied().unwrap_or(0);
            CommitState::new(&self.pipeline, len, checkpoint)
        };
        write_state(&self.state_path, &state, config.fsync)
    }

    /// Commits up to the last page that carried a checkpoint, if one came
    /// since the last commit: a page without records moves the checkpoint
    /// too.
    pub(crate) fn commit_to_resume_point(&mut self, config: &JsonlSinkConfig) -> Result<bool> {
        match self.resume_point.take() {
            Some((lengths, checkpoint)) => {
                self.commit(lengths, Some(checkpoint), config)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Commits every byte with the last checkpoint (the end of a completed
    /// run), if anything changed since the last commit.
    pub(crate) fn commit_all(&mut self, config: &JsonlSinkConfig) -> Result<()> {
        let lengths = self.lengths();
        let grew = lengths
            .iter()
            .any(|(stream, len)| self.committed.get(stream) != Some(len));
        if grew || self.last_checkpoint.is_some() {
            let checkpoint = self.last_checkpoint.clone();
            self.commit(lengths, checkpoint, config)?;
        }
        Ok(())
    }
}

/// A state file written for a plain `path` cannot serve a per-stream one,
/// nor the reverse (possible only with an explicit `state_path`).
fn check_shape(state: &CommitState, per_stream: bool, state_path: &Path) -> Result<()> {
    let stored_per_stream = !state.files.is_empty();
    if per_stream && state.len > 0 || !per_stream && stored_per_stream {
        let (was, is) = if per_stream {
            ("one file", "one file per stream")
        } else {
            ("one file per stream", "one file")
        };
        return Err(FaucetError::config(
            "path",
            format!(
                "{} was written for {was}, but path now names {is}; \
                 give this output its own state_path",
                state_path.display()
            ),
        ));
    }
    Ok(())
}
