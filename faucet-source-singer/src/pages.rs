//! Cutting the tap's messages into pages, and the checkpoint each page
//! carries.
//!
//! The checkpoint is the tap's latest `STATE` value and, per stream, how
//! many of its records after that state are in pages already:
//! `{"singer_state": S, "records_after_state": {"users": 120}}`. A resumed
//! run starts the tap with `--state S` and drops the first `n` records of
//! each stream (the tap re-emits the records after `S` in the same order).
//! Counting per stream lets each stream's records wait in a page of their
//! own, however the tap interleaves streams, and still resume exactly.
//!
//! A `STATE` closes every pending page (in the order of their first
//! records); the last carries the new state, or an empty page does when
//! none was pending.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faucet_core::serde_json::{Map, Value, json};
use faucet_core::{Checkpoint, FaucetError, Page, Record, Result, StreamSelection};

const STATE_KEY: &str = "singer_state";
const COUNTS_KEY: &str = "records_after_state";

/// Where a run starts: the state for `--state`, and the records to drop.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ResumePoint {
    /// The tap's state; `Null` for none.
    pub(crate) state: Value,
    /// Per stream, records after `state` already delivered.
    pub(crate) counts: BTreeMap<String, u64>,
}

impl ResumePoint {
    /// Reads a stored checkpoint back; `None` is a first run.
    pub(crate) fn from_checkpoint(checkpoint: Option<&Checkpoint>) -> Result<Self> {
        let Some(checkpoint) = checkpoint else {
            return Ok(Self::default());
        };
        let bad = || {
            FaucetError::config(
                "checkpoint",
                format!(
                    "the stored checkpoint is not a Singer source's \
                     ({{\"{STATE_KEY}\": …, \"{COUNTS_KEY}\": {{…}}}}): run with --restart"
                ),
            )
        };
        let Value::Object(map) = checkpoint.as_value() else {
            return Err(bad());
        };
        let state = map.get(STATE_KEY).cloned().ok_or_else(bad)?;
        let mut counts = BTreeMap::new();
        if let Some(c) = map.get(COUNTS_KEY) {
            for (stream, n) in c.as_object().ok_or_else(bad)? {
                counts.insert(stream.clone(), n.as_u64().ok_or_else(bad)?);
            }
        }
        Ok(Self { state, counts })
    }
}

/// One stream's pending records.
#[derive(Debug)]
struct Pending {
    name: Arc<str>,
    schema: Arc<Value>,
    records: Vec<Record>,
    bytes: u64,
    /// When the first pending record arrived, and its message number.
    first: Option<(Instant, u64)>,
    /// The tap restarts this stream from its beginning whatever the state:
    /// its records count from the stream's start, not from the state.
    restarts: bool,
}

/// Turns messages into pages.
#[derive(Debug)]
pub(crate) struct Pager {
    state: Value,
    /// Records after `state` in pages handed out, per stream.
    emitted: BTreeMap<String, u64>,
    /// Records still to drop on resume, per stream.
    skip: BTreeMap<String, u64>,
    streams: HashMap<String, Pending>,
    selection: StreamSelection,
    page_records: usize,
    page_max: Duration,
    /// Whether full-table streams restart from their beginning on resume.
    full_table_restarts: bool,
    seq: u64,
    ready: VecDeque<Page>,
}

impl Pager {
    pub(crate) fn new(
        resume: ResumePoint,
        selection: StreamSelection,
        page_records: usize,
        page_max: Duration,
    ) -> Self {
        Self {
            state: resume.state,
            emitted: resume.counts.clone(),
            skip: resume.counts,
            streams: HashMap::new(),
            selection,
            page_records: page_records.max(1),
            page_max,
            full_table_restarts: false,
            seq: 0,
            ready: VecDeque::new(),
        }
    }

    /// Counts the records of full-table streams (a `SCHEMA` without
    /// `bookmark_properties`) from the stream's start: the tap restarts
    /// them from their beginning whatever the state.
    pub(crate) fn with_full_table_restarts(mut self, on: bool) -> Self {
        self.full_table_restarts = on;
        self
    }

    /// A `SCHEMA` message: pages of the stream after it carry `schema`
    /// with `x-key-properties` and `x-bookmark-properties` added.
    pub(crate) fn schema(
        &mut self,
        stream: &str,
        mut schema: Value,
        key_properties: Vec<String>,
        bookmark_properties: Vec<String>,
    ) {
        let restarts = self.full_table_restarts && bookmark_properties.is_empty();
        if let Value::Object(map) = &mut schema {
            map.insert("x-key-properties".to_owned(), json!(key_properties));
            map.insert(
                "x-bookmark-properties".to_owned(),
                json!(bookmark_properties),
            );
        }
        self.flush(stream);
        let schema = Arc::new(schema);
        match self.streams.get_mut(stream) {
            Some(pending) => {
                pending.schema = schema;
                pending.restarts = restarts;
            }
            None => {
                let pending = Pending {
                    name: Arc::from(stream),
                    schema,
                    records: Vec::new(),
                    bytes: 0,
                    first: None,
                    restarts,
                };
                self.streams.insert(stream.to_owned(), pending);
            }
        }
    }

    /// A `RECORD` message of `bytes` bytes. `Err` with the message to show
    /// when the stream has had no `SCHEMA`.
    pub(crate) fn record(
        &mut self,
        stream: &str,
        record: Record,
        bytes: u64,
    ) -> std::result::Result<(), String> {
        self.seq += 1;
        let Some(pending) = self.streams.get_mut(stream) else {
            return Err(format!(
                "a RECORD of stream `{stream}` before any SCHEMA message for it"
            ));
        };
        if let Some(left) = self.skip.get_mut(stream).filter(|n| **n > 0) {
            *left -= 1;
            return Ok(());
        }
        if !self.selection.selects(Some(stream)) {
            return Ok(());
        }
        if pending.first.is_none() {
            pending.first = Some((Instant::now(), self.seq));
        }
        pending.records.push(record);
        pending.bytes += bytes;
        if pending.records.len() >= self.page_records {
            self.flush(stream);
        }
        Ok(())
    }

    /// A `STATE` message: every pending page goes out, the last with the
    /// new state.
    ///
    /// On resume, a state can come while records delivered by the last
    /// run are still being dropped (the Singer SDK repeats the state it was
    /// given before its first record): those records come after the new
    /// state too, so they count as delivered after it, and are still
    /// dropped.
    ///
    /// A state equal to the current one changes nothing: the tap given
    /// it starts from the same place, so the records after it are still
    /// counted from there (Singer SDK taps repeat an unchanged state every
    /// 10,000 records of a full-table stream).
    pub(crate) fn state(&mut self, value: Value) {
        if value == self.state {
            return;
        }
        self.flush_all();
        self.state = value;
        // Restarting streams keep their count; the others count from the
        // new state the records still to drop.
        let restarting = |s: &str| self.streams.get(s).is_some_and(|p| p.restarts);
        let mut emitted: BTreeMap<String, u64> = self
            .emitted
            .iter()
            .filter(|(s, _)| restarting(s))
            .map(|(s, n)| (s.clone(), *n))
            .collect();
        for (s, n) in &self.skip {
            if *n > 0 && !restarting(s) {
                emitted.insert(s.clone(), *n);
            }
        }
        self.emitted = emitted;
        // Every record before the state is in a ready page or an earlier
        // one, so the last ready page may carry it.
        let checkpoint = self.checkpoint();
        match self.ready.back_mut() {
            Some(last) => *last = std::mem::take(last).with_checkpoint(checkpoint),
            None => self
                .ready
                .push_back(Page::new(Vec::new()).with_checkpoint(checkpoint)),
        }
    }

    /// Cuts every pending page older than `page_max_ms`.
    pub(crate) fn tick(&mut self, now: Instant) {
        let due = self.streams.values().any(|p| {
            p.first
                .is_some_and(|(at, _)| now.duration_since(at) >= self.page_max)
        });
        if due {
            self.flush_all();
        }
    }

    /// How long until a pending page is due, if one is pending.
    pub(crate) fn next_due(&self, now: Instant) -> Option<Duration> {
        self.streams
            .values()
            .filter_map(|p| p.first)
            .map(|(at, _)| (at + self.page_max).saturating_duration_since(now))
            .min()
    }

    /// The end of the tap's output: every pending page goes out.
    pub(crate) fn finish(&mut self) {
        self.flush_all();
    }

    /// Pages ready to hand out, in order.
    pub(crate) fn take_ready(&mut self) -> impl Iterator<Item = Page> + '_ {
        self.ready.drain(..)
    }

    fn flush_all(&mut self) {
        let mut order: Vec<(u64, String)> = self
            .streams
            .iter()
            .filter_map(|(name, p)| p.first.map(|(_, seq)| (seq, name.clone())))
            .collect();
        order.sort_unstable();
        for (_, name) in order {
            self.flush(&name);
        }
    }

    fn flush(&mut self, stream: &str) {
        let Some(pending) = self.streams.get_mut(stream) else {
            return;
        };
        if pending.records.is_empty() {
            return;
        }
        let records = std::mem::take(&mut pending.records);
        let bytes = std::mem::take(&mut pending.bytes);
        pending.first = None;
        let (name, schema) = (pending.name.clone(), pending.schema.clone());
        *self.emitted.entry(stream.to_owned()).or_default() += records.len() as u64;
        let page = Page::new(records)
            .with_stream(name)
            .with_schema(schema)
            .with_bytes(bytes)
            .with_checkpoint(self.checkpoint());
        self.ready.push_back(page);
    }

    fn checkpoint(&self) -> Checkpoint {
        let counts: Map<String, Value> = self
            .emitted
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| (s.clone(), json!(n)))
            .collect();
        Checkpoint::new(json!({ STATE_KEY: self.state, COUNTS_KEY: counts }))
    }
}

#[cfg(test)]
#[path = "pages_tests.rs"]
mod tests;
