//! What a run did: counters, outcome and the delivery guarantee in force.

use std::time::Duration;

use serde::Serialize;

use crate::page::Checkpoint;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunOutcome {
    /// The source was read to its end and everything is durable.
    Completed,
    /// The run was cancelled; it stopped at a page boundary after making
    /// every page it wrote durable.
    Cancelled,
    /// The configured record limit was reached.
    LimitReached,
    /// The run failed; pages before the failure that became durable stay
    /// so, and their checkpoint is saved.
    Failed,
}

/// The delivery guarantee a run gives, from the source's and sink's
/// capabilities and the presence of a state store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryGuarantee {
    /// Rows and checkpoints commit atomically in the sink (or the sink is
    /// idempotent by key): after a crash, a rerun leaves every record
    /// exactly once.
    ExactlyOnce,
    /// Checkpoints are saved in a state store after the rows are durable:
    /// a crash replays at most the pages after the last save.
    AtLeastOnce,
    /// Nothing can resume this run (the source gives no checkpoints, or
    /// there is nowhere to keep them): a rerun starts from the beginning.
    NoResume,
}

impl std::fmt::Display for DeliveryGuarantee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ExactlyOnce => "exactly-once",
            Self::AtLeastOnce => "at-least-once",
            Self::NoResume => "no resume (a rerun starts over)",
        })
    }
}

/// Counters of a run so far, passed to observers after every page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Progress {
    /// Records received from the source.
    pub records_read: u64,
    /// Records the sink accepted.
    pub records_written: u64,
    /// Pages committed to the sink.
    pub pages: u64,
    /// Bytes the source reported reading.
    pub bytes: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Progress {
    /// Records written per second of elapsed time (0 before any time
    /// has passed).
    pub fn records_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.records_written as f64 / secs
        } else {
            0.0
        }
    }
}

/// The result of [`Pipeline::run`](crate::Pipeline::run).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunReport {
    /// The pipeline's name (its state key).
    pub pipeline: String,
    /// Final counters.
    pub progress: Progress,
    /// The checkpoint the run resumed after, if any.
    pub resumed_from: Option<Checkpoint>,
    /// The last checkpoint made durable by this run, if any.
    pub last_checkpoint: Option<Checkpoint>,
    /// The guarantee in force.
    pub guarantee: DeliveryGuarantee,
    /// How the run ended.
    pub outcome: RunOutcome,
}
