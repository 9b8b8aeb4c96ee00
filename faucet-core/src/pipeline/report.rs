//! What a run did: counters, outcome and the delivery guarantee in force.

use std::time::Duration;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::FaucetError;
use crate::outcome::RunOutcome;
use crate::page::Checkpoint;

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
    /// Records received from the source (before any transform).
    pub records_read: u64,
    /// Records handed to the sink and accepted by it; some may not be
    /// committed yet (see `records_committed`). Transforms that filter or
    /// split records make this differ from `records_read`.
    pub records_written: u64,
    /// Records dropped because a transform failed on them under
    /// `on_error: skip`.
    pub records_skipped: u64,
    /// Records a transform failed on that went to the sink's dead letters
    /// under `on_error: dead_letter`, with their page.
    pub records_dead_lettered: u64,
    /// Records known to be durable: committed by the sink, or written by a
    /// sink that commits every page. The figure to trust after a failure.
    pub records_committed: u64,
    /// Records the sink accepted that were never committed (rolled back
    /// with a failed transaction, or never flushed). Set when the run ends;
    /// 0 while it runs.
    pub records_uncommitted: u64,
    /// How many records the source says the stream holds, when it said
    /// (the largest figure announced in the run).
    pub expected_total: Option<u64>,
    /// Pages committed to the sink.
    pub pages: u64,
    /// Bytes the source reported reading.
    pub bytes: u64,
    /// Time since the run started.
    pub elapsed: Duration,
    /// The same counts for each named stream of a source that reads
    /// several ([`Page::stream`](crate::Page::stream)); empty for a
    /// single-stream source. Streams the run does not write have no entry.
    pub streams: BTreeMap<String, StreamProgress>,
}

/// One stream's counters within [`Progress::streams`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StreamProgress {
    /// Records received from the source for this stream.
    pub records_read: u64,
    /// Records of this stream the sink accepted.
    pub records_written: u64,
    /// Records of this stream known to be durable.
    pub records_committed: u64,
    /// Pages of this stream committed to the sink.
    pub pages: u64,
    /// How many records the source says this stream holds, when it said.
    pub expected_total: Option<u64>,
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
    /// Where the run started, and why.
    pub resume: Resume,
    /// The last checkpoint made durable by this run, if any.
    pub last_checkpoint: Option<Checkpoint>,
    /// The guarantee in force.
    pub guarantee: DeliveryGuarantee,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Retries the source made, by cause (`"429"`, `"503"`, `"timeout"`,
    /// …).
    pub retries: BTreeMap<String, u64>,
    /// Why the run failed, when it did.
    pub error: Option<ErrorSummary>,
}

/// Where a run started, and why: the words a summary prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resume {
    /// No checkpoint was stored: a first run.
    Fresh,
    /// A previous run stopped before the end; this one resumed after its
    /// last durable checkpoint.
    Resumed {
        /// The checkpoint resumed after.
        after: Checkpoint,
    },
    /// Asked to start over ([`Pipeline::with_restart`](crate::Pipeline::with_restart)),
    /// whatever was stored.
    Restarted,
    /// The last run completed, and the sink is idempotent (upsert,
    /// replace), so this run read everything again.
    StartedOver {
        /// When the previous run completed (seconds since the Unix epoch).
        completed_at_unix: u64,
    },
    /// The run did not start (its checkpoint could not be read, the
    /// pipeline is already running, or it completed and cannot be read
    /// again without duplicates): nothing was read.
    NotStarted,
    /// The last run completed, and the incremental source continued after
    /// its final checkpoint: only new records are read.
    Continued {
        /// The final checkpoint of the completed run.
        after: Checkpoint,
        /// When the previous run completed (seconds since the Unix epoch).
        completed_at_unix: u64,
    },
}

impl std::fmt::Display for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fresh => f.write_str("started fresh (no checkpoint stored)"),
            Self::Resumed { after } => write!(f, "resumed after checkpoint {after}"),
            Self::Restarted => f.write_str("restarted from the beginning, as asked"),
            Self::NotStarted => f.write_str("did not start"),
            Self::StartedOver { .. } => {
                f.write_str("started over: the last run completed and the sink is idempotent")
            }
            Self::Continued { after, .. } => write!(
                f,
                "continued after the completed run's checkpoint {after} (new records only)"
            ),
        }
    }
}

/// Why a run failed, in a form reports can carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorSummary {
    /// The error's kind ([`FaucetError::kind`]).
    pub kind: &'static str,
    /// The message and its chain of causes, joined by `: `. Connectors
    /// keep secrets out of their errors, so this holds none.
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

impl ErrorSummary {
    /// Summarises `err` with its chain of causes.
    pub fn of(err: &FaucetError) -> Self {
        let mut message = err.to_string();
        let mut cause = std::error::Error::source(err);
        while let Some(inner) = cause {
            let text = inner.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = inner.source();
        }
        Self {
            kind: err.kind(),
            message,
            retryable: err.is_retryable(),
        }
    }
}
