//! The `Sink` implementation: the only part of the crate that does I/O.

mod catalog;
mod commit;
mod connect;
mod grants;
mod lock;
mod marker;
pub(crate) mod merge;
mod prepare;
mod replay;
mod session;
mod table;
mod txn;
mod verify;
mod writer;

use std::fmt;
use std::sync::Arc;

use faucet_core::connector::*;
use tokio::sync::Mutex;

use crate::config::{PostgresSinkConfig, Settings, StreamRules, WriteMode, redact_url};
use writer::Writer;

/// Loads records into a PostgreSQL table (or a table per stream) with
/// binary `COPY`, committing rows and the pipeline's checkpoint in one
/// transaction.
///
/// Build it with [`PostgresSink::new`] (validation only, no I/O); it
/// connects when the pipeline first calls
/// [`load_checkpoint`](Sink::load_checkpoint) or commits a page.
pub struct PostgresSink {
    config: PostgresSinkConfig,
    settings: Settings,
    rules: Arc<StreamRules>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The run's connections (`Writer`), once connected.
    session: Option<Writer>,
    /// Why the sink refuses to go on: an earlier failure rolled back rows
    /// the pipeline was told are buffered.
    poisoned: Option<String>,
}

impl fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSink")
            .field("url", &redact_url(&self.settings.url))
            .field("table", &self.settings.table)
            .field("mode", &self.settings.mode)
            .finish_non_exhaustive()
    }
}

impl PostgresSink {
    /// Validates `config` (names, mode and key, budgets, every stream
    /// under `streams`) without touching the network. Errors are
    /// [`FaucetError::Config`] naming the field.
    pub fn new(config: PostgresSinkConfig) -> Result<Self> {
        let mut settings = Settings::new(config.clone())?;
        let rules = StreamRules::new(&config)?;
        settings.upserts |= rules.mapped().any(|(_, s)| s.mode == WriteMode::Upsert);
        Ok(Self {
            config,
            settings,
            rules: Arc::new(rules),
            inner: Mutex::new(Inner::default()),
        })
    }

    /// The configuration this sink was built from.
    pub fn config(&self) -> &PostgresSinkConfig {
        &self.config
    }

    /// Whether some table of the sink is in replace mode.
    fn replaces(&self) -> bool {
        self.settings.mode == WriteMode::Replace
            || self
                .rules
                .mapped()
                .any(|(_, s)| s.mode == WriteMode::Replace)
    }

    /// The open session, connecting first if needed; `lock`: a new
    /// session takes the pipeline's run lock.
    async fn session<'a>(
        &self,
        inner: &'a mut Inner,
        pipeline: &str,
        lock: bool,
    ) -> Result<&'a mut Writer> {
        if let Some(why) = &inner.poisoned {
            return Err(FaucetError::sink_error(format!(
                "an earlier failure rolled back uncommitted rows ({why}); rerun the pipeline to resume from its last checkpoint"
            )));
        }
        if inner.session.is_none() {
            let rules = self.rules.clone();
            inner.session = Some(Writer::open(&self.settings, rules, pipeline, lock).await?);
        }
        Ok(inner.session.as_mut().expect("just opened"))
    }
}

/// Ends the run's session, releasing the pipeline lock at once (a
/// dropped connection releases it only when the server notices).
async fn release(inner: &mut Inner) {
    if let Some(session) = inner.session.take() {
        session.release().await;
    }
}

/// Drops the session after a failure inside a transaction, so nothing
/// after it can commit on top of lost rows.
fn poison<T>(inner: &mut Inner, result: Result<T>) -> Result<T> {
    if let Err(err) = &result {
        inner.session = None;
        inner.poisoned = Some(err.to_string());
    }
    result
}

#[async_trait]
impl Sink for PostgresSink {
    /// Writes and commits `records` (no checkpoint): durable on return.
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let page = Page::new(records.to_vec());
        let ctx = CommitContext::new(faucet_core::DEFAULT_PIPELINE_NAME, 0);
        let commit = self.commit_page(&page, &ctx).await?;
        self.flush().await?;
        Ok(commit.written)
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        let mut inner = self.inner.lock().await;
        let session = self.session(&mut inner, &ctx.pipeline, false).await?;
        let result = session
            .commit_page(&self.settings, page, ctx.page_index)
            .await;
        poison(&mut inner, result)
    }

    async fn flush(&self) -> Result<()> {
        let mut inner = self.inner.lock().await;
        if let Some(why) = &inner.poisoned {
            return Err(FaucetError::sink_error(format!("cannot flush: {why}")));
        }
        let Some(session) = inner.session.as_mut() else {
            return Ok(());
        };
        let result = session.commit(&self.settings).await;
        poison(&mut inner, result)
    }

    async fn load_checkpoint(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        let mut inner = self.inner.lock().await;
        // A new run starts clean.
        release(&mut inner).await;
        *inner = Inner::default();
        let session = self.session(&mut inner, pipeline, true).await?;
        let checkpoint = session.load_checkpoint().await?;
        tracing::info!(
            pipeline,
            resume = checkpoint.is_some(),
            "Read the stored checkpoint"
        );
        Ok(checkpoint)
    }

    async fn finish(&self, outcome: RunOutcome) -> Result<()> {
        let mut inner = self.inner.lock().await;
        let Some(session) = inner.session.as_mut() else {
            return Ok(());
        };
        session.rollback().await;
        let mut result = Ok(());
        if outcome == RunOutcome::Completed && self.replaces() {
            result = session.swap(&self.settings).await;
        }
        release(&mut inner).await;
        poison(&mut inner, result)
    }

    /// Deletes the pipeline's row from the state table (its table marker
    /// and the rows stay).
    async fn clear_checkpoint(&self, pipeline: &str) -> Result<()> {
        let mut inner = self.inner.lock().await;
        release(&mut inner).await;
        *inner = Inner::default();
        let session = self.session(&mut inner, pipeline, true).await?;
        session.clear_checkpoint().await?;
        release(&mut inner).await;
        tracing::info!(pipeline, "Cleared the stored checkpoint");
        Ok(())
    }

    fn config_schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(PostgresSinkConfig))
    }

    async fn check(&self) -> Result<CheckReport> {
        Ok(check::run(&self.settings, &self.rules).await)
    }

    fn capabilities(&self) -> SinkCapabilities {
        // Upsert and replace leave the same table when rows are written
        // again; append would hold them twice (so one appending stream
        // makes the sink not idempotent).
        // Dead letters of transforms go to the dead-letter table, committed
        // with their page. Streams are routed to tables of their own (or
        // refused, naming `table`, when it is one table).
        let caps = SinkCapabilities::default()
            .atomic_checkpoints()
            .dead_letters()
            .streams();
        let mut modes =
            std::iter::once(self.settings.mode).chain(self.rules.mapped().map(|(_, s)| s.mode));
        match modes.all(|m| m != WriteMode::Append) {
            true => caps.idempotent(),
            false => caps,
        }
    }

    fn idempotent_for(&self, stream: &str) -> bool {
        // A stream under `streams` has its own mode; any other stream
        // (of a `{stream}` template, or the one of a plain table) the sink's.
        let mode = self
            .rules
            .mapped_settings(stream)
            .map_or(self.settings.mode, |s| s.mode);
        mode != WriteMode::Append
    }

    fn name(&self) -> &str {
        "postgres"
    }
}

mod check;
