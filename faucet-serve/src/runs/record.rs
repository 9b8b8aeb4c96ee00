//! What the server knows and keeps about a run.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use faucet_core::schemars::JsonSchema;
use faucet_core::{Progress, RunOutcome, RunReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mask::Masker;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "faucet_core::schemars")]
pub enum RunState {
    /// Accepted, not started yet.
    Queued,
    /// Reading and writing.
    Running,
    /// The source was read to its end (or the record limit was reached)
    /// and everything is durable.
    Completed,
    /// The run failed; what was committed before the failure stays so.
    Failed,
    /// Cancelled: it stopped at a page boundary with its checkpoint kept.
    Cancelled,
    /// The server stopped (a crash, `kill -9`) while the run was running;
    /// a new run of the pipeline resumes after its last durable
    /// checkpoint.
    Interrupted,
}

impl RunState {
    /// Whether the run is over.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }

    /// The name used in JSON and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }
}

/// One stream's counters within [`RunCounts::streams`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub struct StreamCounts {
    /// Records read from the source for this stream.
    pub records_read: u64,
    /// Records of this stream the sink accepted.
    pub records_written: u64,
    /// Records of this stream known to be durable.
    pub records_committed: u64,
    /// Pages of this stream committed.
    pub pages: u64,
    /// How many records the source says this stream holds, when it said.
    pub expected_total: Option<u64>,
}

/// A run's counters so far (after its last committed page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub struct RunCounts {
    /// Records read from the source (before transforms).
    pub records_read: u64,
    /// Records the sink accepted.
    pub records_written: u64,
    /// Records known to be durable.
    pub records_committed: u64,
    /// Records transforms skipped.
    pub records_skipped: u64,
    /// Pages committed.
    pub pages: u64,
    /// Bytes the source read.
    pub bytes: u64,
    /// How many records the source says there are, when it said.
    pub expected_total: Option<u64>,
    /// The same counts per stream, for a source that reads several.
    pub streams: BTreeMap<String, StreamCounts>,
}

impl From<&Progress> for RunCounts {
    fn from(p: &Progress) -> Self {
        let streams = p.streams.iter().map(|(name, s)| {
            let counts = StreamCounts {
                records_read: s.records_read,
                records_written: s.records_written,
                records_committed: s.records_committed,
                pages: s.pages,
                expected_total: s.expected_total,
            };
            (name.clone(), counts)
        });
        Self {
            records_read: p.records_read,
            records_written: p.records_written,
            records_committed: p.records_committed,
            records_skipped: p.records_skipped,
            pages: p.pages,
            bytes: p.bytes,
            expected_total: p.expected_total,
            streams: streams.collect(),
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub struct RunError {
    /// The error's kind (`config`, `http`, `sink`, …; `panic` when a
    /// connector panicked).
    pub kind: String,
    /// The message and its causes, secrets masked.
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

/// A run, as `GET /runs/{id}` shows it and the run store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub struct RunRecord {
    /// The run's id.
    pub id: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// SHA-256 of the spec text, hex.
    pub spec_sha256: String,
    /// Where the run is.
    pub state: RunState,
    /// Whether it stopped at the spec's record limit (state `completed`).
    #[serde(default)]
    pub limit_reached: bool,
    /// When the run was accepted, milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it started.
    pub started_at_ms: Option<u64>,
    /// When it ended.
    pub finished_at_ms: Option<u64>,
    /// Counters so far.
    pub counts: RunCounts,
    /// Retries the source made, by cause.
    #[serde(default)]
    pub retries: BTreeMap<String, u64>,
    /// Where the run started (`started fresh`, `resumed after …`).
    pub resume: Option<String>,
    /// The last checkpoint this run made durable: where the next run of
    /// the pipeline resumes. Secrets masked.
    pub last_checkpoint: Option<Value>,
    /// Why it failed, when it did.
    pub error: Option<RunError>,
}

impl RunRecord {
    /// A run accepted now.
    pub(crate) fn queued(id: String, pipeline: String, spec_sha256: String) -> Self {
        Self {
            id,
            pipeline,
            spec_sha256,
            state: RunState::Queued,
            limit_reached: false,
            created_at_ms: now_ms(),
            started_at_ms: None,
            finished_at_ms: None,
            counts: RunCounts::default(),
            retries: BTreeMap::new(),
            resume: None,
            last_checkpoint: None,
            error: None,
        }
    }

    /// Takes the end of the run from its report.
    pub(crate) fn finish(&mut self, report: &RunReport, masker: &Masker) {
        self.state = match report.outcome {
            RunOutcome::Completed | RunOutcome::LimitReached => RunState::Completed,
            RunOutcome::Cancelled => RunState::Cancelled,
            _ => RunState::Failed,
        };
        self.limit_reached = report.outcome == RunOutcome::LimitReached;
        self.finished_at_ms = Some(now_ms());
        self.counts = RunCounts::from(&report.progress);
        self.retries = report.retries.clone();
        self.resume = Some(masker.text(&report.resume.to_string()));
        if let Some(checkpoint) = &report.last_checkpoint {
            let mut value = checkpoint.as_value().clone();
            masker.json(&mut value);
            self.last_checkpoint = Some(value);
        }
        self.error = report.error.as_ref().map(|e| RunError {
            kind: e.kind.to_owned(),
            message: masker.text(&e.message),
            retryable: e.retryable,
        });
    }
}

impl RunRecord {
    /// Ends the run as failed on a connector's panic, with the counts of
    /// its last committed page.
    pub(crate) fn panicked(&mut self, message: &str) {
        self.state = RunState::Failed;
        self.finished_at_ms = Some(now_ms());
        self.error = Some(RunError {
            kind: "panic".to_owned(),
            message: format!("the run stopped on a panic: {message}"),
            retryable: false,
        });
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
