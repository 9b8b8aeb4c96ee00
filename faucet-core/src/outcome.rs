//! How a run ended: what the pipeline reports and what a sink's
//! `finish` is told. Below both, so neither imports the other.

use serde::Serialize;

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
