//! The `Sink` trait: where records go.

use std::sync::Arc;

use async_trait::async_trait;

use crate::check::{CheckReport, SinkCapabilities};
use crate::error::{FaucetError, Result};
use crate::outcome::RunOutcome;
use crate::page::{Checkpoint, Page};
use crate::record::Record;

/// What a sink is told with each page.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CommitContext {
    /// The pipeline's name: the key under which a sink that stores
    /// checkpoints keeps this pipeline's state.
    pub pipeline: String,
    /// Zero-based index of the page in this run.
    pub page_index: u64,
}

impl CommitContext {
    /// A context for page `page_index` of pipeline `pipeline`.
    pub fn new(pipeline: impl Into<String>, page_index: u64) -> Self {
        Self {
            pipeline: pipeline.into(),
            page_index,
        }
    }
}

/// How durable a page is once [`Sink::commit_page`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// The rows are durable; the pipeline must store the checkpoint in its
    /// `StateStore` (at-least-once: a crash before that replays the page).
    Rows,
    /// The rows and the page's checkpoint are durable together, atomically
    /// (exactly-once).
    RowsAndCheckpoint,
    /// The rows are buffered (e.g. in an open transaction). The next
    /// [`Sink::flush`], or a later commit that returns
    /// `RowsAndCheckpoint`, makes them and the latest checkpoint durable
    /// together.
    Buffered,
}

/// The result of [`Sink::commit_page`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageCommit {
    /// Records written (or buffered) from the page.
    pub written: usize,
    /// How durable the page now is.
    pub durability: Durability,
}

impl PageCommit {
    /// `written` records with the given durability.
    pub fn new(written: usize, durability: Durability) -> Self {
        Self {
            written,
            durability,
        }
    }
}

/// Where records go.
///
/// **Required:** [`write_batch`](Sink::write_batch).
///
/// **Defaulted:**
/// - [`flush`](Sink::flush): nothing to flush, `Ok(())`.
/// - [`commit_page`](Sink::commit_page): `write_batch`, then `flush`, then
///   [`Durability::Rows`] so the pipeline stores the checkpoint itself.
/// - [`load_checkpoint`](Sink::load_checkpoint): `None` (the sink keeps no
///   state; the pipeline asks its `StateStore`).
/// - [`finish`](Sink::finish): nothing, `Ok(())`.
/// - [`config_schema`](Sink::config_schema): `None`.
/// - [`check`](Sink::check): a checklist with one skipped item.
/// - [`capabilities`](Sink::capabilities): all off.
/// - [`idempotent_for`](Sink::idempotent_for): `capabilities().idempotent`.
/// - [`name`](Sink::name): the Rust type name.
///
/// A sink that stores checkpoints atomically with rows overrides
/// `commit_page`, `load_checkpoint` and `flush`, and declares
/// [`SinkCapabilities::atomic_checkpoints`].
///
/// Methods take `&self`; a sink with mutable state keeps it behind a lock.
///
/// # Example
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use faucet_core::connector::*;
///
/// #[derive(Default)]
/// struct Counter(AtomicUsize);
///
/// #[async_trait]
/// impl Sink for Counter {
///     async fn write_batch(&self, records: &[Record]) -> Result<usize> {
///         self.0.fetch_add(records.len(), Ordering::Relaxed);
///         Ok(records.len())
///     }
/// }
/// ```
#[async_trait]
pub trait Sink: Send + Sync {
    /// Writes records and returns how many were written.
    async fn write_batch(&self, records: &[Record]) -> Result<usize>;

    /// Makes everything written so far durable. Default: `Ok(())`.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// Writes one page and, where the sink can, stores its checkpoint in
    /// the same atomic unit. Default: [`write_batch`](Sink::write_batch),
    /// [`flush`](Sink::flush), and [`Durability::Rows`].
    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        let _ = ctx;
        let written = self.write_batch(page.records()).await?;
        self.flush().await?;
        Ok(PageCommit::new(written, Durability::Rows))
    }

    /// The last checkpoint this sink stored for `pipeline`, read when a run
    /// starts. A sink may also prepare itself here (open a file, roll back
    /// bytes written after its last checkpoint). Default: `Ok(None)`.
    async fn load_checkpoint(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        let _ = pipeline;
        Ok(None)
    }

    /// Called once at the end of a run, after the final flush, with how the
    /// run ended. A replace-mode sink swaps its table in here on
    /// [`RunOutcome::Completed`]. Default: `Ok(())`.
    async fn finish(&self, outcome: RunOutcome) -> Result<()> {
        let _ = outcome;
        Ok(())
    }

    /// Forgets the checkpoint this sink keeps for `pipeline` (the rows
    /// stay), so the pipeline's next run starts from the beginning.
    /// Clearing a pipeline with no checkpoint succeeds.
    ///
    /// Default: [`FaucetError::Unsupported`]: a sink that keeps no
    /// checkpoints has none to clear.
    async fn clear_checkpoint(&self, pipeline: &str) -> Result<()> {
        let _ = pipeline;
        Err(FaucetError::Unsupported {
            connector: self.name().to_owned(),
            operation: "clearing a checkpoint".to_owned(),
        })
    }

    /// The JSON Schema of this connector's configuration. Default: `None`.
    fn config_schema(&self) -> Option<schemars::Schema> {
        None
    }

    /// Checks that the sink can work (reachable, writable), as a named
    /// checklist. Default: one skipped item saying the sink has no checks.
    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        report.skip("check", format!("{} implements no checks", self.name()));
        Ok(report)
    }

    /// What the sink supports. Default: nothing.
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::default()
    }

    /// Whether writing a record of `stream` twice leaves one copy. A sink
    /// that writes each stream its own way (upsert one table, append
    /// another) answers per stream. Default:
    /// [`capabilities().idempotent`](SinkCapabilities::idempotent).
    fn idempotent_for(&self, stream: &str) -> bool {
        let _ = stream;
        self.capabilities().idempotent
    }

    /// A short name for messages and reports. Default: the Rust type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

macro_rules! forward_sink {
    ($($wrapper:ty),+) => {$(
        #[async_trait]
        impl<T: Sink + ?Sized> Sink for $wrapper {
            async fn write_batch(&self, records: &[Record]) -> Result<usize> {
                (**self).write_batch(records).await
            }
            async fn flush(&self) -> Result<()> {
                (**self).flush().await
            }
            async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
                (**self).commit_page(page, ctx).await
            }
            async fn load_checkpoint(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
                (**self).load_checkpoint(pipeline).await
            }
            async fn finish(&self, outcome: RunOutcome) -> Result<()> {
                (**self).finish(outcome).await
            }
            async fn clear_checkpoint(&self, pipeline: &str) -> Result<()> {
                (**self).clear_checkpoint(pipeline).await
            }
            fn config_schema(&self) -> Option<schemars::Schema> {
                (**self).config_schema()
            }
            async fn check(&self) -> Result<CheckReport> {
                (**self).check().await
            }
            fn capabilities(&self) -> SinkCapabilities {
                (**self).capabilities()
            }
            fn idempotent_for(&self, stream: &str) -> bool {
                (**self).idempotent_for(stream)
            }
            fn name(&self) -> &str {
                (**self).name()
            }
        }
    )+};
}

forward_sink!(&T, Box<T>, Arc<T>);
