//! The transform stage: a task of its own between the producer and the
//! consumer, applying every transform to each page in order and passing
//! the page on with its checkpoint, also when no record is left.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{FaucetError, Result};
use crate::page::Page;
use crate::record::Record;
use crate::transform::{DeadLetter, OnError, Transform};

/// One transform of a pipeline, with its place and policy.
#[derive(Clone)]
pub(crate) struct Stage {
    pub(crate) transform: Arc<dyn Transform>,
    pub(crate) on_error: OnError,
}

impl Stage {
    /// `transforms[2] (filter)`: how messages name the stage.
    fn label(&self, index: usize) -> String {
        format!("transforms[{index}] ({})", self.transform.name())
    }
}

/// Skipped records logged one by one before the log thins out.
const LOGGED_SKIPS: u64 = 10;

/// Counts the stage keeps for the report.
#[derive(Debug, Default)]
pub(crate) struct StageCounts {
    /// Records dropped because a transform failed on them under
    /// `on_error: skip`.
    pub(crate) skipped: AtomicU64,
    /// Records handed to the sink's dead letters under
    /// `on_error: dead_letter`.
    pub(crate) dead_lettered: AtomicU64,
}

/// Applies `stages` to every page from `rx` and sends the result to `tx`,
/// in order. Returns `true` when every page was passed on until `rx`
/// closed; `false` when the consumer went away first.
pub(crate) async fn run_stage(
    stages: Arc<[Stage]>,
    counts: Arc<StageCounts>,
    mut rx: mpsc::Receiver<Result<Page>>,
    tx: mpsc::Sender<Result<Page>>,
) -> bool {
    let mut page_index = 0u64;
    let mut schemas = SchemaCache::default();
    while let Some(item) = rx.recv().await {
        let item = item.and_then(|page| {
            let page = schemas.map(&stages, page);
            apply_all(&stages, &counts, page, page_index)
        });
        page_index += 1;
        let failed = item.is_err();
        // After an error the run fails: nothing more is passed on.
        if tx.send(item).await.is_err() || failed {
            return false;
        }
    }
    true
}

/// Output schemas already computed, by the declared schema they came
/// from (the same `Arc` for every page of a stream).
#[derive(Default)]
struct SchemaCache {
    entries: Vec<(Arc<Value>, Arc<Value>)>,
}

/// Streams a run remembers schemas for; a source declaring more is only
/// slower (the output schema is computed again).
const CACHED_SCHEMAS: usize = 64;

impl SchemaCache {
    /// The page with its declared schema replaced by what the records are
    /// after every stage, so a sink creating tables from it (column types)
    /// sees the transformed shape.
    fn map(&mut self, stages: &[Stage], page: Page) -> Page {
        let Some(input) = page.schema().cloned() else {
            return page;
        };
        if let Some((_, output)) = self.entries.iter().find(|(i, _)| Arc::ptr_eq(i, &input)) {
            return page.with_schema(Arc::clone(output));
        }
        let output = Arc::new(output_schema(stages, &input));
        if self.entries.len() == CACHED_SCHEMAS {
            self.entries.remove(0);
        }
        self.entries.push((input, Arc::clone(&output)));
        page.with_schema(output)
    }
}

/// The schema of records of `input` after every stage, in order. A stage
/// that panics on it leaves no schema the sink could trust: it gets an
/// empty object schema (`{}`, anything), so the sink samples records.
fn output_schema(stages: &[Stage], input: &Value) -> Value {
    let mut schema = input.clone();
    for stage in stages {
        match catch_unwind(AssertUnwindSafe(|| stage.transform.output_schema(&schema))) {
            Ok(next) => schema = next,
            Err(_) => return Value::Object(Default::default()),
        }
    }
    schema
}

/// Every stage over one page; the page keeps its checkpoint, bytes and
/// total, and remembers how many records the source gave.
///
/// Each record goes through every stage before the next record starts
/// (its outputs in order, depth first), so its text is still in the
/// cache when the next stage reads it, and no page-sized list is built
/// between stages.
fn apply_all(stages: &[Stage], counts: &StageCounts, page: Page, page_index: u64) -> Result<Page> {
    let source_records = page.len() as u64;
    let (records, rest) = page.split_records();
    let mut run = PageRun {
        stages,
        counts,
        page_index,
        out: Vec::with_capacity(records.len()),
        dead: Vec::new(),
    };
    // One buffer per stage for what it gives, reused for every record.
    let mut buffers: Vec<Vec<Record>> = stages.iter().map(|_| Vec::new()).collect();
    // Positions refer to the source's records: a record split into several
    // keeps its source index in messages.
    for (position, record) in records.into_iter().enumerate() {
        run.record(0, &mut buffers, position, record)?;
    }
    Ok(rest
        .with_records(run.out)
        .with_source_records(source_records)
        .with_dead_letters(run.dead))
}

/// The stages over the records of one page.
struct PageRun<'a> {
    stages: &'a [Stage],
    counts: &'a StageCounts,
    page_index: u64,
    /// The records after the last stage.
    out: Vec<Record>,
    dead: Vec<DeadLetter>,
}

impl PageRun<'_> {
    /// Stages `index..` over `record` (the source's record `position`),
    /// `buffers` holding one buffer for each of those stages.
    fn record(
        &mut self,
        index: usize,
        buffers: &mut [Vec<Record>],
        position: usize,
        record: Record,
    ) -> Result<()> {
        let (Some(stage), Some((given, later))) =
            (self.stages.get(index), buffers.split_first_mut())
        else {
            self.out.push(record);
            return Ok(());
        };
        given.clear();
        // Kept only when a failure may send it to the dead letters.
        let original = (stage.on_error == OnError::DeadLetter).then(|| record.clone());
        if let Err(cause) = apply_one(stage, record, given) {
            given.clear();
            return self.failed(index, position, original, cause);
        }
        for output in given.drain(..) {
            self.record(index + 1, later, position, output)?;
        }
        Ok(())
    }

    /// What stage `index`'s policy does with a record it failed on.
    fn failed(
        &mut self,
        index: usize,
        position: usize,
        original: Option<Record>,
        cause: FaucetError,
    ) -> Result<()> {
        let stage = &self.stages[index];
        let panicked = cause.is_panic();
        let stage_label = stage.label(index);
        let at = format!("page {}, record {position}", self.page_index);
        match (stage.on_error, original) {
            (OnError::Skip, _) if !panicked => {
                let err = transform_error(stage_label, at, cause);
                let skipped = self.counts.skipped.fetch_add(1, Ordering::Relaxed) + 1;
                // The first few in full, then one line per thousand: a bad
                // field in every record must not flood the log.
                if skipped <= LOGGED_SKIPS || skipped.is_multiple_of(1_000) {
                    tracing::warn!(
                        error = %err,
                        skipped,
                        "Skipped a record a transform failed on"
                    );
                }
                Ok(())
            }
            (OnError::DeadLetter, Some(record)) if !panicked => {
                self.counts.dead_lettered.fetch_add(1, Ordering::Relaxed);
                self.dead.push(DeadLetter {
                    stage: stage_label,
                    position: at,
                    reason: cause.to_string(),
                    record,
                });
                Ok(())
            }
            _ => Err(transform_error(stage_label, at, cause)),
        }
    }
}

fn transform_error(stage: String, position: String, cause: FaucetError) -> FaucetError {
    FaucetError::Transform {
        stage,
        position,
        source: Box::new(cause),
    }
}

/// One transform over one record; a panic becomes an error (a bug in the
/// transform: it fails the run whatever the policy).
fn apply_one(stage: &Stage, record: Record, out: &mut Vec<Record>) -> Result<()> {
    match catch_unwind(AssertUnwindSafe(|| stage.transform.transform(record, out))) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            Err(FaucetError::custom(Panicked(what)))
        }
    }
}

/// A transform panicked: always fatal.
#[derive(Debug)]
pub(crate) struct Panicked(String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the transform panicked: {}", self.0)
    }
}

impl std::error::Error for Panicked {}

impl FaucetError {
    /// Whether this is a transform's panic, which no policy skips.
    pub(crate) fn is_panic(&self) -> bool {
        match self {
            FaucetError::Transform { source, .. } => source.is_panic(),
            FaucetError::Custom(inner) => inner.is::<Panicked>(),
            _ => false,
        }
    }
}
