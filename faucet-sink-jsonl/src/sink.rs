//! The JSON Lines sink: the only module here that does I/O.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use faucet_core::connector::*;
use tokio::io::AsyncWriteExt;

use crate::config::JsonlSinkConfig;
use crate::io::io_err;
use crate::lock::RunLock;
use crate::state::{CommitState, check_owner, clear, read_state, write_state};

/// Appends records to a file (or stdout) as JSON Lines.
///
/// Writing to a file is exactly-once for resumable sources: every commit
/// fsyncs the file, then atomically replaces a small state file holding the
/// file's committed length and the checkpoint of the last page inside it.
/// When a run starts, the file is truncated back to that length, so bytes
/// written after the last commit (by a crashed or failed run) disappear and
/// the source resumes right after the committed records.
#[derive(Debug)]
pub struct JsonlSink {
    config: JsonlSinkConfig,
    output: Arc<Mutex<Option<Output>>>,
}

/// An open output file and what is committed in it.
#[derive(Debug)]
struct Output {
    /// Held for the run: no other run writes this output meanwhile.
    _lock: RunLock,
    file: File,
    pipeline: String,
    /// Bytes in the file, committed or not.
    len: u64,
    /// Length recorded in the state file.
    committed_len: u64,
    /// File length and checkpoint after the last page that had one, until
    /// they are committed (also for a page without records).
    resume_point: Option<(u64, Checkpoint)>,
    /// The last page's checkpoint, whatever it was.
    last_checkpoint: Option<Checkpoint>,
    uncommitted_records: usize,
}

impl JsonlSink {
    /// A sink for `config`. Nothing is opened until the run starts.
    pub fn new(config: JsonlSinkConfig) -> Result<Self> {
        if config.commit_records == 0 {
            return Err(FaucetError::config("commit_records", "must be at least 1"));
        }
        if config.path.as_os_str().is_empty() {
            return Err(FaucetError::config(
                "path",
                "must not be empty (use `-` for stdout)",
            ));
        }
        Ok(Self {
            config,
            output: Arc::new(Mutex::new(None)),
        })
    }

    /// The configuration this sink was built from.
    pub fn config(&self) -> &JsonlSinkConfig {
        &self.config
    }

    /// Runs `f` on the open output in a blocking thread.
    async fn with_output<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Output, &JsonlSinkConfig) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let output = Arc::clone(&self.output);
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = output.lock().unwrap_or_else(|e| e.into_inner());
            let out = guard.as_mut().ok_or_else(|| {
                FaucetError::sink_error("the JSON Lines sink was used before the run opened it")
            })?;
            f(out, &config)
        })
        .await
        .map_err(FaucetError::custom)?
    }
}

/// The records as JSON Lines: each record's text as it arrived (without
/// insignificant whitespace when the API pretty-printed it, so a line is
/// never broken), a tree written compactly; no tree is built for text.
fn encode(records: &[Record]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(records.iter().map(encoded_len_hint).sum());
    for record in records {
        record.write_json(&mut buf);
        buf.push(b'\n');
    }
    buf
}

/// Bytes a record's line probably takes: its text plus the line break,
/// or a typical record's size for a tree.
fn encoded_len_hint(record: &Record) -> usize {
    record.raw_json().map_or(192, |text| text.len() + 1)
}

/// Opens the output, rolls back uncommitted bytes, and returns the
/// committed checkpoint.
fn open(config: &JsonlSinkConfig, pipeline: &str) -> Result<(Output, Option<Checkpoint>)> {
    let path = &config.path;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, "create directory", e))?;
    }
    let state_path = config.state_path();
    let lock = RunLock::acquire(&state_path, pipeline)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_err(path, "open", e))?;
    let actual = file.metadata().map_err(|e| io_err(path, "stat", e))?.len();
    let (len, checkpoint) = match read_state(&state_path)? {
        Some(state) => resume_from(state, pipeline, actual, path, &state_path)?,
        None => {
            // First run: what the file holds now is the committed baseline.
            write_state(
                &state_path,
                &CommitState::new(pipeline, actual, None),
                config.fsync,
            )?;
            (actual, None)
        }
    };
    file.set_len(len).map_err(|e| io_err(path, "truncate", e))?;
    file.seek(SeekFrom::Start(len))
        .map_err(|e| io_err(path, "seek", e))?;
    if actual > len {
        tracing::info!(path = %path.display(), bytes = actual - len, "Rolled back uncommitted bytes.");
    }
    let output = Output {
        _lock: lock,
        file,
        pipeline: pipeline.to_owned(),
        len,
        committed_len: len,
        resume_point: None,
        last_checkpoint: None,
        uncommitted_records: 0,
    };
    Ok((output, checkpoint))
}

fn resume_from(
    state: CommitState,
    pipeline: &str,
    actual: u64,
    path: &Path,
    state_path: &Path,
) -> Result<(u64, Option<Checkpoint>)> {
    check_owner(&state, pipeline, state_path)?;
    if actual < state.len {
        return Err(FaucetError::sink_error(format!(
            "{} is {actual} bytes but {} bytes were committed: it was truncated outside faucet",
            path.display(),
            state.len
        )));
    }
    Ok((state.len, state.checkpoint))
}

impl Output {
    fn append(
        &mut self,
        bytes: &[u8],
        records: usize,
        checkpoint: Option<Checkpoint>,
        path: &Path,
    ) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(|e| io_err(path, "write", e))?;
        self.len += bytes.len() as u64;
        self.uncommitted_records += records;
        if let Some(checkpoint) = &checkpoint {
            self.resume_point = Some((self.len, checkpoint.clone()));
        }
        self.last_checkpoint = checkpoint;
        Ok(())
    }

    /// Makes the file durable up to `len` and records `checkpoint` with it.
    fn commit(
        &mut self,
        len: u64,
        checkpoint: Option<Checkpoint>,
        config: &JsonlSinkConfig,
    ) -> Result<()> {
        if config.fsync {
            self.file
                .sync_data()
                .map_err(|e| io_err(&config.path, "fsync", e))?;
        }
        let state = CommitState::new(&self.pipeline, len, checkpoint);
        write_state(&config.state_path(), &state, config.fsync)?;
        self.committed_len = len;
        self.uncommitted_records = 0;
        Ok(())
    }

    /// Commits up to the last page that carried a checkpoint, if one came
    /// since the last commit: a page without records moves the checkpoint
    /// too.
    fn commit_to_resume_point(&mut self, config: &JsonlSinkConfig) -> Result<bool> {
        match self.resume_point.take() {
            Some((len, checkpoint)) => {
                self.commit(len, Some(checkpoint), config)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl Sink for JsonlSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let bytes = encode(records);
        if self.config.is_stdout() {
            let mut stdout = tokio::io::stdout();
            stdout
                .write_all(&bytes)
                .await
                .map_err(|e| io_err(Path::new("stdout"), "write", e))?;
            stdout
                .flush()
                .await
                .map_err(|e| io_err(Path::new("stdout"), "flush", e))?;
            return Ok(records.len());
        }
        let n = records.len();
        self.with_output(move |out, config| out.append(&bytes, n, None, &config.path))
            .await?;
        Ok(n)
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        if self.config.is_stdout() {
            let _ = ctx;
            let written = self.write_batch(page.records()).await?;
            return Ok(PageCommit::new(written, Durability::Rows));
        }
        let bytes = encode(page.records());
        let n = page.records().len();
        let checkpoint = page.checkpoint().cloned();
        let committed = self
            .with_output(move |out, config| {
                let has_checkpoint = checkpoint.is_some();
                out.append(&bytes, n, checkpoint, &config.path)?;
                if has_checkpoint && out.uncommitted_records >= config.commit_records {
                    return out.commit_to_resume_point(config);
                }
                Ok(false)
            })
            .await?;
        let durability = if committed {
            Durability::RowsAndCheckpoint
        } else {
            Durability::Buffered
        };
        Ok(PageCommit::new(n, durability))
    }

    async fn flush(&self) -> Result<()> {
        if self.config.is_stdout() {
            return Ok(());
        }
        self.with_output(|out, config| out.commit_to_resume_point(config).map(|_| ()))
            .await
    }

    async fn load_checkpoint(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        if self.config.is_stdout() {
            return Ok(None);
        }
        let config = self.config.clone();
        let pipeline = pipeline.to_owned();
        let (output, checkpoint) = tokio::task::spawn_blocking(move || open(&config, &pipeline))
            .await
            .map_err(FaucetError::custom)??;
        *self.output.lock().unwrap_or_else(|e| e.into_inner()) = Some(output);
        Ok(checkpoint)
    }

    async fn finish(&self, outcome: RunOutcome) -> Result<()> {
        if self.config.is_stdout() {
            return Ok(());
        }
        let committed = if outcome == RunOutcome::Completed {
            // A completed run keeps every byte, with the last checkpoint
            // (the pipeline's completion marker).
            self.with_output(|out, config| {
                if out.len > out.committed_len || out.last_checkpoint.is_some() {
                    let checkpoint = out.last_checkpoint.clone();
                    out.commit(out.len, checkpoint, config)?;
                }
                Ok(())
            })
            .await
        } else {
            Ok(())
        };
        // The run is over: close the output and release its lock.
        self.output.lock().unwrap_or_else(|e| e.into_inner()).take();
        committed
    }

    async fn clear_checkpoint(&self, pipeline: &str) -> Result<()> {
        if self.config.is_stdout() {
            return Ok(());
        }
        let config = self.config.clone();
        let pipeline = pipeline.to_owned();
        tokio::task::spawn_blocking(move || clear(&config, &pipeline))
            .await
            .map_err(FaucetError::custom)?
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(JsonlSinkConfig))
    }

    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        if self.config.is_stdout() {
            report.pass("writable");
            return Ok(report);
        }
        let dir = match self.config.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match std::fs::create_dir_all(&dir).and_then(|()| tempfile_probe(&dir)) {
            Ok(()) => report.pass("writable"),
            Err(e) => report.fail(
                "writable",
                format!("cannot write in {}: {e}", dir.display()),
            ),
        };
        Ok(report)
    }

    /// Atomic checkpoints for a file; never `idempotent`: the sink appends,
    /// so writing a record again stores it twice (and a completed run is not
    /// read again into it unless asked).
    fn capabilities(&self) -> SinkCapabilities {
        if self.config.is_stdout() {
            SinkCapabilities::default()
        } else {
            SinkCapabilities::default().atomic_checkpoints()
        }
    }

    fn name(&self) -> &str {
        "jsonl"
    }
}

/// Creates and removes a probe file in `dir`.
fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".faucet-probe-{}", std::process::id()));
    File::create(&probe)?;
    std::fs::remove_file(probe)
}
