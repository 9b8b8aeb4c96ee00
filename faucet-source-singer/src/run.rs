//! One sync run: the task that starts the tap, reads its stdout in large
//! chunks, parses each line and sends pages in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use faucet_core::serde_json::{self, Value};
use faucet_core::{FaucetError, Page, Record, Result, SourceContext};
use tokio::io::AsyncReadExt;
use tokio::process::ChildStdout;
use tokio::sync::mpsc;

use crate::batch;
use crate::config::SingerSourceConfig;
use crate::launch;
use crate::mask::Masker;
use crate::pages::{Pager, ResumePoint};
use crate::process::Tap;
use crate::protocol::{self, Message};

/// Bytes read from the tap's stdout at a time.
const CHUNK: usize = 1 << 20;

/// The longest part of a malformed line an error shows.
const SHOWN: usize = 80;

/// Runs the tap and sends its pages to `tx`; ends after an error.
pub(crate) async fn run(
    config: Arc<SingerSourceConfig>,
    masker: Masker,
    ctx: SourceContext,
    tx: mpsc::Sender<Result<Page>>,
) {
    if let Err(err) = sync(&config, &masker, &ctx, &tx).await {
        let _ = tx.send(Err(err)).await;
    }
}

/// Why reading stopped early.
enum Stop {
    /// The pipeline dropped the stream: stop quietly.
    Gone,
    Failed(FaucetError),
}

impl From<FaucetError> for Stop {
    fn from(e: FaucetError) -> Self {
        Stop::Failed(e)
    }
}

async fn sync(
    config: &SingerSourceConfig,
    masker: &Masker,
    ctx: &SourceContext,
    tx: &mpsc::Sender<Result<Page>>,
) -> Result<()> {
    let resume = ResumePoint::from_checkpoint(ctx.resume_from.as_ref())?;
    let prepared = launch::sync(config, masker, &resume.state).await?;
    let (mut tap, stdout) = Tap::spawn(&prepared.launch, masker)?;
    let mut reader = Reader {
        tap: &mut tap,
        masker,
        pager: Pager::new(
            resume,
            ctx.streams.clone(),
            config.page_records,
            Duration::from_millis(config.page_max_ms),
        )
        .with_full_table_restarts(config.full_table_restarts),
        idle: Duration::from_secs(config.idle_timeout_secs),
        line: 0,
        tx,
        ctx,
    };
    match reader.read(stdout).await {
        Ok(()) => {}
        Err(Stop::Gone) => {
            tap.stop().await;
            return Ok(());
        }
        Err(Stop::Failed(err)) => {
            tap.stop().await;
            return Err(err);
        }
    }
    let status = tap
        .wait(Duration::from_secs(config.idle_timeout_secs))
        .await?;
    if !status.success() {
        return Err(tap.failure(status));
    }
    drop(prepared);
    Ok(())
}

struct Reader<'a> {
    tap: &'a mut Tap,
    masker: &'a Masker,
    pager: Pager,
    idle: Duration,
    /// Lines of stdout read so far.
    line: u64,
    tx: &'a mpsc::Sender<Result<Page>>,
    ctx: &'a SourceContext,
}

impl Reader<'_> {
    /// Reads stdout to its end, sending pages as they are cut.
    async fn read(&mut self, mut stdout: ChildStdout) -> Result<(), Stop> {
        let mut buf = BytesMut::with_capacity(CHUNK);
        let mut last_output = Instant::now();
        loop {
            if buf.capacity() - buf.len() < CHUNK / 4 {
                buf.reserve(CHUNK);
            }
            let now = Instant::now();
            let quiet = last_output.elapsed().min(self.tap.since_stderr());
            let mut wait = self.idle.saturating_sub(quiet);
            if let Some(due) = self.pager.next_due(now) {
                wait = wait.min(due);
            }
            let wait = wait.max(Duration::from_millis(5));
            let read = tokio::select! {
                _ = self.ctx.cancel.cancelled() => return Err(FaucetError::Cancelled.into()),
                read = tokio::time::timeout(wait, stdout.read_buf(&mut buf)) => read,
            };
            match read {
                Err(_) => {
                    self.pager.tick(Instant::now());
                    self.send_ready(&mut last_output).await?;
                    let quiet = last_output.elapsed().min(self.tap.since_stderr());
                    if quiet >= self.idle {
                        return Err(self.idle_error().into());
                    }
                }
                Ok(Err(e)) => {
                    let message = format!("cannot read the tap `{}`'s stdout: {e}", self.tap.name);
                    return Err(FaucetError::source_error(message).with_source(e).into());
                }
                Ok(Ok(0)) => break,
                Ok(Ok(_)) => {
                    last_output = Instant::now();
                    if let Some(end) = memchr::memrchr(b'\n', &buf) {
                        let chunk = buf.split_to(end + 1).freeze();
                        self.lines(&chunk)?;
                    }
                    self.pager.tick(Instant::now());
                    self.send_ready(&mut last_output).await?;
                }
            }
        }
        if !buf.is_empty() {
            // A last line without its line break.
            let chunk = buf.split().freeze();
            self.lines(&chunk)?;
        }
        self.pager.finish();
        self.send_ready(&mut last_output).await
    }

    fn idle_error(&self) -> FaucetError {
        FaucetError::source_error(format!(
            "the tap `{}` wrote nothing for {}s (idle_timeout_secs); it was stopped. \
             Its last stderr lines:\n{}",
            self.tap.name,
            self.idle.as_secs(),
            self.tap.tail_text()
        ))
    }

    /// Handles every line of `chunk` (complete lines, or the tail).
    fn lines(&mut self, chunk: &Bytes) -> Result<()> {
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(chunk.len()));
        for end in ends {
            if start >= chunk.len() {
                break;
            }
            let line = &chunk[start..end];
            start = end + 1;
            self.line += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.message(chunk, line)?;
        }
        Ok(())
    }

    fn message(&mut self, chunk: &Bytes, line: &[u8]) -> Result<()> {
        let message = protocol::parse(line).map_err(|e| self.malformed(line, &e))?;
        match message {
            Message::Record { stream, record } => {
                let record = Record::from_raw(chunk, record);
                self.pager
                    .record(&stream, record, line.len() as u64)
                    .map_err(|e| self.decode(e))
            }
            Message::Schema {
                stream,
                schema,
                key_properties,
                bookmark_properties,
            } => {
                let schema: Value = serde_json::from_str(schema.get())
                    .map_err(|e| self.malformed(line, &e.to_string()))?;
                self.pager
                    .schema(&stream, schema, key_properties, bookmark_properties);
                Ok(())
            }
            Message::State { value } => {
                let value: Value = serde_json::from_str(value.get())
                    .map_err(|e| self.malformed(line, &e.to_string()))?;
                self.pager.state(value);
                Ok(())
            }
            Message::ActivateVersion { stream } => {
                tracing::debug!(tap = %self.tap.name, %stream, "Ignoring an ACTIVATE_VERSION message");
                Ok(())
            }
            Message::Batch {
                stream,
                encoding,
                manifest,
            } => {
                let records = batch::read(&encoding, &manifest)?;
                for record in records {
                    let bytes = record.raw_json().map_or(0, <[u8]>::len) as u64;
                    self.pager
                        .record(&stream, record, bytes)
                        .map_err(|e| self.decode(e))?;
                }
                Ok(())
            }
            Message::Other { kind } => {
                tracing::debug!(tap = %self.tap.name, kind = %kind, "Ignoring a message of unknown type");
                Ok(())
            }
        }
    }

    fn malformed(&self, line: &[u8], why: &str) -> FaucetError {
        let mut end = line.len().min(SHOWN);
        while end < line.len() && !is_char_boundary(line, end) {
            end -= 1;
        }
        let shown = self.masker.mask_bytes(&line[..end]);
        let more = if end < line.len() { "…" } else { "" };
        self.decode(format!(
            "not a Singer message ({}); the line starts: {shown}{more}",
            self.masker.mask(why)
        ))
    }

    fn decode(&self, message: String) -> FaucetError {
        FaucetError::decode(
            format!("the tap `{}`, stdout line {}", self.tap.name, self.line),
            message,
        )
    }

    /// Sends the pages the pager has cut; `Gone` when nobody listens.
    /// Time spent waiting for the pipeline to take a page is not the
    /// tap's idleness (its writes were blocked meanwhile): a wait moves
    /// `last_output` to its end.
    async fn send_ready(&mut self, last_output: &mut Instant) -> Result<(), Stop> {
        let pages: Vec<Page> = self.pager.take_ready().collect();
        for page in pages {
            let started = Instant::now();
            tokio::select! {
                _ = self.ctx.cancel.cancelled() => return Err(FaucetError::Cancelled.into()),
                sent = self.tx.send(Ok(page)) => sent.map_err(|_| Stop::Gone)?,
            }
            if started.elapsed() > Duration::from_millis(50) {
                *last_output = (*last_output).max(Instant::now());
            }
        }
        Ok(())
    }
}

fn is_char_boundary(bytes: &[u8], i: usize) -> bool {
    // A UTF-8 continuation byte is 0b10xx_xxxx.
    bytes.get(i).is_none_or(|b| (*b as i8) >= -0x40)
}
