//! Pages of several streams: each stream's counters, and the guard that
//! keeps a one-stream sink from mixing streams.

use std::collections::BTreeMap;

use super::report::{Progress, StreamProgress};
use crate::error::{FaucetError, Result};
use crate::page::Page;

/// Counts pages per named stream, including records a sink holds
/// uncommitted until its next commit.
#[derive(Debug, Default)]
pub(super) struct PerStream {
    /// Records per stream written in pages the sink holds uncommitted.
    pending: BTreeMap<String, u64>,
}

impl PerStream {
    /// Counts a page read from the source, before it reaches the sink.
    /// Pages of streams the run does not write were emptied before the
    /// channel and have no entry.
    pub(super) fn read(progress: &mut Progress, page: &Page) {
        let Some(stream) = page.stream() else { return };
        if page.is_empty() && page.source_records() == 0 && !progress.streams.contains_key(stream) {
            // An empty page (a checkpoint only, or a stream not selected)
            // does not make a stream appear.
            return;
        }
        let entry = entry(progress, stream);
        entry.records_read += page.source_records();
        if let Some(total) = page.expected_total() {
            entry.expected_total = Some(entry.expected_total.unwrap_or(0).max(total));
        }
    }

    /// Counts `written` records of `stream`'s page, committed or held.
    pub(super) fn written(
        &mut self,
        progress: &mut Progress,
        stream: Option<&str>,
        written: u64,
        committed: bool,
    ) {
        if committed {
            self.commit(progress);
        }
        let Some(stream) = stream else { return };
        if written == 0 && !progress.streams.contains_key(stream) {
            return;
        }
        let entry = entry(progress, stream);
        entry.records_written += written;
        entry.pages += 1;
        if committed {
            entry.records_committed += written;
        } else {
            *self.pending.entry(stream.to_owned()).or_default() += written;
        }
    }

    /// Counts every held record as committed.
    pub(super) fn commit(&mut self, progress: &mut Progress) {
        for (stream, held) in std::mem::take(&mut self.pending) {
            entry(progress, &stream).records_committed += held;
        }
    }
}

fn entry<'a>(progress: &'a mut Progress, stream: &str) -> &'a mut StreamProgress {
    progress.streams.entry(stream.to_owned()).or_default()
}

/// Fails a run whose pages name a second stream when the sink writes one
/// stream only ([`SinkCapabilities::streams`](crate::SinkCapabilities)
/// off): mixing two streams' records in one table or file would be silent
/// corruption.
#[derive(Debug)]
pub(super) struct StreamGuard {
    routes: bool,
    sink: String,
    first: Option<String>,
}

impl StreamGuard {
    pub(super) fn new(routes: bool, sink: &str) -> Self {
        Self {
            routes,
            sink: sink.to_owned(),
            first: None,
        }
    }

    /// Admits `page`, or names the two streams the sink cannot tell apart.
    pub(super) fn admit(&mut self, page: &Page) -> Result<()> {
        if self.routes || page.is_empty() {
            return Ok(());
        }
        let Some(stream) = page.stream() else {
            return Ok(());
        };
        match &self.first {
            None => {
                self.first = Some(stream.to_owned());
                Ok(())
            }
            Some(first) if first == stream => Ok(()),
            Some(first) => Err(FaucetError::config(
                "sink",
                format!(
                    "`{}` writes one stream, and the source gave records of stream `{first}` \
                     and then of `{stream}`: select one stream (--streams {first}) or configure \
                     the sink to write each stream apart (e.g. a `{{stream}}` template in its \
                     table or path)",
                    self.sink
                ),
            )),
        }
    }
}
