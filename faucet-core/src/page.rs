//! Pages of records and the checkpoints that let a source resume.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::record::Record;
use crate::transform::DeadLetter;

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
///
/// Fields are private so the representation can change without breaking
/// connectors: build pages with [`Page::new`] and the `with_*` methods,
/// read them with the accessors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    records: Vec<Record>,
    checkpoint: Option<Checkpoint>,
    bytes: u64,
    expected_total: Option<u64>,
    /// Records the source gave for this page, when transforms changed the
    /// count.
    source_records: Option<u64>,
    /// Records transforms set aside, to commit with the page.
    dead_letters: Vec<DeadLetter>,
    /// The stream the page belongs to; `None` for a single-stream source.
    stream: Option<Arc<str>>,
    /// Set by the pipeline on the source's last page: the run's completion
    /// marker is committed with it.
    ends_read: bool,
    /// The JSON Schema the source declares for the page's records.
    schema: Option<Arc<Value>>,
}

impl Page {
    /// A page of records with no checkpoint.
    pub fn new(records: Vec<Record>) -> Self {
        Self {
            records,
            checkpoint: None,
            bytes: 0,
            expected_total: None,
            source_records: None,
            dead_letters: Vec::new(),
            stream: None,
            ends_read: false,
            schema: None,
        }
    }

    /// A page of records made from JSON values (what tests and simple
    /// sources build).
    pub fn from_values(values: impl IntoIterator<Item = Value>) -> Self {
        Self::new(values.into_iter().map(Record::from_value).collect())
    }

    /// Sets the checkpoint that holds once this page is durable.
    #[must_use]
    pub fn with_checkpoint(mut self, checkpoint: impl Into<Checkpoint>) -> Self {
        self.checkpoint = Some(checkpoint.into());
        self
    }

    /// Sets or clears the checkpoint.
    #[must_use]
    pub fn with_checkpoint_opt(mut self, checkpoint: Option<Checkpoint>) -> Self {
        self.checkpoint = checkpoint;
        self
    }

    /// Sets how many records the source says the whole stream holds (a
    /// total in the body, `X-Total-Count`, `Content-Range`); progress
    /// displays use it to show what is left.
    #[must_use]
    pub fn with_expected_total(mut self, total: u64) -> Self {
        self.expected_total = Some(total);
        self
    }

    /// Names the stream this page belongs to, for a source that reads
    /// several (see [`StreamStates`](crate::StreamStates)). Sinks that
    /// route streams write it to that stream's table or file; a page
    /// without a name belongs to the source's one stream.
    #[must_use]
    pub fn with_stream(mut self, stream: impl Into<Arc<str>>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// The stream this page belongs to, when the source named one.
    pub fn stream(&self) -> Option<&str> {
        self.stream.as_deref()
    }

    /// Declares the JSON Schema of the page's records, as the source knows
    /// it (a Singer `SCHEMA` message, an API's published schema). A sink
    /// that creates tables prefers it to sampling records: a column gets
    /// the declared type (`integer`, `number`, `string` with `format:
    /// date-time`, nullable unions) even when the first records are null.
    /// Pages of one stream share the schema through the `Arc`.
    #[must_use]
    pub fn with_schema(mut self, schema: Arc<Value>) -> Self {
        self.schema = Some(schema);
        self
    }

    /// The JSON Schema the source declared for the page's records, if any.
    pub fn schema(&self) -> Option<&Arc<Value>> {
        self.schema.as_ref()
    }

    /// Sets the number of bytes read to produce this page.
    #[must_use]
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.bytes = bytes;
        self
    }

    /// The records, in source order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The records, to change in place (a transform, a limit).
    pub fn records_mut(&mut self) -> &mut Vec<Record> {
        &mut self.records
    }

    /// Takes the records out, leaving the page's other parts.
    pub fn into_records(self) -> Vec<Record> {
        self.records
    }

    /// Where to resume once this page is durable; `None` when the source
    /// cannot resume from here.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// Takes the checkpoint out of the page.
    pub fn take_checkpoint(&mut self) -> Option<Checkpoint> {
        self.checkpoint.take()
    }

    /// Bytes the source read to produce this page (for reports); 0 when
    /// unknown.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// How many records the source says the whole stream holds, when it
    /// says.
    pub fn expected_total(&self) -> Option<u64> {
        self.expected_total
    }

    /// Takes the records out, leaving a page with the same checkpoint,
    /// bytes and total and no records.
    pub(crate) fn split_records(mut self) -> (Vec<Record>, Page) {
        (std::mem::take(&mut self.records), self)
    }

    /// The page with `records` in place of its own.
    pub(crate) fn with_records(mut self, records: Vec<Record>) -> Self {
        self.records = records;
        self
    }

    /// Records transforms set aside on this page under
    /// [`OnError::DeadLetter`](crate::OnError::DeadLetter): a sink that
    /// declares [`SinkCapabilities::dead_letters`](crate::SinkCapabilities)
    /// commits them with the page.
    pub fn dead_letters(&self) -> &[DeadLetter] {
        &self.dead_letters
    }

    /// Sets the page's dead letters.
    #[must_use]
    pub fn with_dead_letters(mut self, dead_letters: Vec<DeadLetter>) -> Self {
        self.dead_letters = dead_letters;
        self
    }

    /// The page without its records and total, keeping its stream,
    /// checkpoint and bytes: what reaches the sink of a stream the run
    /// does not write.
    pub(crate) fn unselected(self) -> Self {
        Self {
            records: Vec::new(),
            expected_total: None,
            ..self
        }
    }

    /// Marks the page as the source's last (or, with `false`, not).
    pub(crate) fn ending_read(mut self, ends: bool) -> Self {
        self.ends_read = ends;
        self
    }

    /// Whether the page is the source's last: the pipeline commits the
    /// completion marker as its checkpoint.
    pub(crate) fn ends_read(&self) -> bool {
        self.ends_read
    }

    /// Records the source gave for this page before transforms.
    pub(crate) fn with_source_records(mut self, n: u64) -> Self {
        self.source_records = Some(n);
        self
    }

    /// Records the source gave for this page: its length unless
    /// transforms changed it.
    pub(crate) fn source_records(&self) -> u64 {
        self.source_records.unwrap_or(self.records.len() as u64)
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
