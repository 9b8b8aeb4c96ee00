//! The JSON Lines sink: the [`Sink`] implementation over [`Output`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use faucet_core::connector::*;
use tokio::io::AsyncWriteExt;

use crate::config::JsonlSinkConfig;
use crate::io::io_err;
use crate::names::PLACEHOLDER;
use crate::output::Output;
use crate::state::clear;

/// Appends records to a file, one file per stream, or stdout, as JSON
/// Lines.
///
/// Writing to files is exactly-once for resumable sources: every commit
/// fsyncs the files, then atomically replaces a small state file holding
/// each file's committed length and the checkpoint of the last page inside
/// them. When a run starts, every file is truncated back to its length, so
/// bytes written after the last commit (by a crashed or failed run)
/// disappear and the source resumes right after the committed records.
#[derive(Debug)]
pub struct JsonlSink {
    config: JsonlSinkConfig,
    per_stream: bool,
    output: Arc<Mutex<Option<Output>>>,
    /// The stream a plain `path` receives in this run, once known.
    only_stream: Mutex<Option<String>>,
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
        let per_stream = config.is_per_stream();
        if per_stream && config.path.file_name().is_none() {
            return Err(FaucetError::config(
                "path",
                "must name a file (e.g. out/{stream}.jsonl)",
            ));
        }
        Ok(Self {
            config,
            per_stream,
            output: Arc::new(Mutex::new(None)),
            only_stream: Mutex::new(None),
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

    /// Checks that a page with records may be written where it would go:
    /// a plain `path` takes one stream, a `{stream}` path needs a name.
    fn check_stream(&self, stream: Option<&str>, records: usize) -> Result<()> {
        if records == 0 {
            return Ok(());
        }
        match (self.per_stream, stream) {
            (true, None) => Err(FaucetError::config(
                "path",
                format!(
                    "`{PLACEHOLDER}` writes one file per stream, but the source names no \
                     stream: use a plain path"
                ),
            )),
            (false, Some(stream)) => {
                let mut only = self.only_stream.lock().unwrap_or_else(|e| e.into_inner());
                match only.as_deref() {
                    None => *only = Some(stream.to_owned()),
                    Some(first) if first == stream => {}
                    Some(first) => {
                        return Err(FaucetError::config(
                            "path",
                            format!(
                                "{} receives stream `{stream}` after `{first}`, and one file \
                                 holds one stream: put `{PLACEHOLDER}` in path to write a file \
                                 per stream (e.g. out/{PLACEHOLDER}.jsonl)",
                                self.config.path.display()
                            ),
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn write_stdout(&self, bytes: &[u8]) -> Result<()> {
        let mut stdout = tokio::io::stdout();
        stdout
            .write_all(bytes)
            .await
            .map_err(|e| io_err(Path::new("stdout"), "write", e))?;
        stdout
            .flush()
            .await
            .map_err(|e| io_err(Path::new("stdout"), "flush", e))
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

#[async_trait]
impl Sink for JsonlSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let n = records.len();
        self.check_stream(None, n)?;
        let bytes = encode(records);
        if self.config.is_stdout() {
            self.write_stdout(&bytes).await?;
            return Ok(n);
        }
        self.with_output(move |out, config| out.append(None, &bytes, n, None, config))
            .await?;
        Ok(n)
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        let _ = ctx;
        self.check_stream(page.stream(), page.len())?;
        let bytes = encode(page.records());
        let n = page.records().len();
        if self.config.is_stdout() {
            self.write_stdout(&bytes).await?;
            return Ok(PageCommit::new(n, Durability::Rows));
        }
        let checkpoint = page.checkpoint().cloned();
        let stream = page.stream().filter(|_| self.per_stream).map(str::to_owned);
        let committed = self
            .with_output(move |out, config| {
                let has_checkpoint = checkpoint.is_some();
                out.append(stream.as_deref(), &bytes, n, checkpoint, config)?;
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
        self.only_stream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if self.config.is_stdout() {
            return Ok(None);
        }
        let config = self.config.clone();
        let pipeline = pipeline.to_owned();
        let (output, checkpoint) =
            tokio::task::spawn_blocking(move || Output::open(&config, &pipeline))
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
            self.with_output(|out, config| out.commit_all(config)).await
        } else {
            Ok(())
        };
        // The run is over: close the output and release its locks.
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
        // A `{stream}` in a directory name: check the first fixed parent.
        let dir = fixed_ancestor(&dir);
        match std::fs::create_dir_all(&dir).and_then(|()| tempfile_probe(&dir)) {
            Ok(()) => report.pass("writable"),
            Err(e) => report.fail(
                "writable",
                format!("cannot write in {}: {e}", dir.display()),
            ),
        };
        Ok(report)
    }

    /// Atomic checkpoints for files, and streams routed to a file each
    /// (a plain path takes one stream and says how to write more); never
    /// `idempotent`: the sink appends, so writing a record again stores it
    /// twice (and a completed run is not read again into it unless asked).
    fn capabilities(&self) -> SinkCapabilities {
        let capabilities = SinkCapabilities::default().streams();
        if self.config.is_stdout() {
            capabilities
        } else {
            capabilities.atomic_checkpoints()
        }
    }

    fn name(&self) -> &str {
        "jsonl"
    }
}

/// The longest ancestor of `dir` without the `{stream}` placeholder.
fn fixed_ancestor(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|a| !a.to_string_lossy().contains(PLACEHOLDER))
        .filter(|a| !a.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Creates and removes a probe file in `dir`.
fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".faucet-probe-{}", std::process::id()));
    std::fs::File::create(&probe)?;
    std::fs::remove_file(probe)
}
