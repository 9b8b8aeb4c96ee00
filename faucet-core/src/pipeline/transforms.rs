//! The transform stage: a task of its own between the producer and the
//! consumer, applying every transform to each page in order and passing
//! the page on with its checkpoint, also when no record is left.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    while let Some(item) = rx.recv().await {
        let item = item.and_then(|page| apply_all(&stages, &counts, page, page_index));
        page_index += 1;
        let failed = item.is_err();
        // After an error the run fails: nothing more is passed on.
        if tx.send(item).await.is_err() || failed {
            return false;
        }
    }
    true
}

/// Every stage over one page; the page keeps its checkpoint, bytes and
/// total, and remembers how many records the source gave.
fn apply_all(stages: &[Stage], counts: &StageCounts, page: Page, page_index: u64) -> Result<Page> {
    let source_records = page.len() as u64;
    let (records, rest) = page.split_records();
    // Positions refer to the source's records: a record split into several
    // keeps its source index in messages.
    let mut current: Vec<(usize, Record)> = records.into_iter().enumerate().collect();
    let mut dead = Vec::new();
    for (index, stage) in stages.iter().enumerate() {
        let mut next = Vec::with_capacity(current.len());
        let mut out = Vec::new();
        for (position, record) in current {
            out.clear();
            // Kept only when a failure may send it to the dead letters.
            let original = (stage.on_error == OnError::DeadLetter).then(|| record.clone());
            match apply_one(stage, record, &mut out) {
                Ok(()) => next.extend(out.drain(..).map(|r| (position, r))),
                Err(cause) => {
                    let panicked = cause.is_panic();
                    let stage_label = stage.label(index);
                    let at = format!("page {page_index}, record {position}");
                    match (stage.on_error, original) {
                        (OnError::Skip, _) if !panicked => {
                            let err = transform_error(stage_label, at, cause);
                            let skipped = counts.skipped.fetch_add(1, Ordering::Relaxed) + 1;
                            // The first few in full, then one line per
                            // thousand: a bad field in every record must
                            // not flood the log.
                            if skipped <= LOGGED_SKIPS || skipped.is_multiple_of(1_000) {
                                tracing::warn!(
                                    error = %err,
                                    skipped,
                                    "Skipped a record a transform failed on"
                                );
                            }
                        }
                        (OnError::DeadLetter, Some(record)) if !panicked => {
                            counts.dead_lettered.fetch_add(1, Ordering::Relaxed);
                            dead.push(DeadLetter {
                                stage: stage_label,
                                position: at,
                                reason: cause.to_string(),
                                record,
                            });
                        }
                        _ => return Err(transform_error(stage_label, at, cause)),
                    }
                }
            }
        }
        current = next;
    }
    let records = current.into_iter().map(|(_, r)| r).collect();
    Ok(rest
        .with_records(records)
        .with_source_records(source_records)
        .with_dead_letters(dead))
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
