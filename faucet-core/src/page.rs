//! Pages of records and the checkpoints that let a source resume.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One record: a JSON value, usually an object.
pub type Record = Value;

/// The position after which a source can resume: a cursor, an offset, a
/// next link, the largest replication key seen, or any JSON the source
/// understands. Opaque to the pipeline and to sinks, which only store it.
///
/// `Checkpoint::new(Value::Null)` is a valid checkpoint meaning "start from
/// the beginning next time", which a full-refresh source emits when it
/// finishes so the next run reads everything again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Checkpoint(Value);

impl Checkpoint {
    /// Wraps a JSON value as a checkpoint.
    pub fn new(value: Value) -> Self {
        Self(value)
    }

    /// The checkpoint's JSON value.
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// Unwraps the JSON value.
    pub fn into_value(self) -> Value {
        self.0
    }
}

impl From<Value> for Checkpoint {
    fn from(value: Value) -> Self {
        Self(value)
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A batch of records as a source produced it, with the checkpoint that is
/// valid once these records (and every page before them) are durable.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Page {
    /// The records, in source order.
    pub records: Vec<Record>,
    /// Where to resume once this page is durable; `None` when the source
    /// cannot resume from here.
    pub checkpoint: Option<Checkpoint>,
    /// Bytes the source read to produce this page (for reports); 0 when
    /// unknown.
    pub bytes: u64,
    /// How many records the source says the whole stream holds (a total in
    /// the body, `X-Total-Count`, `Content-Range`), when it says; progress
    /// displays use it to show what is left.
    pub expected_total: Option<u64>,
}

impl Page {
    /// A page of records with no checkpoint.
    pub fn new(records: Vec<Record>) -> Self {
        Self {
            records,
            checkpoint: None,
            bytes: 0,
            expected_total: None,
        }
    }

    /// Sets the checkpoint that holds once this page is durable.
    #[must_use]
    pub fn with_checkpoint(mut self, checkpoint: impl Into<Checkpoint>) -> Self {
        self.checkpoint = Some(checkpoint.into());
        self
    }

    /// Sets how many records the source says the whole stream holds.
    #[must_use]
    pub fn with_expected_total(mut self, total: u64) -> Self {
        self.expected_total = Some(total);
        self
    }

    /// Sets the number of bytes read to produce this page.
    #[must_use]
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.bytes = bytes;
        self
    }

    /// Number of records in the page.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the page holds no records (it may still carry a checkpoint).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
