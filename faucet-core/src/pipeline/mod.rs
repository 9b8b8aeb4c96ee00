//! `Pipeline`: joins any source to any sink.

mod completion;
mod cut;
mod observer;
mod per_stream;
mod report;
mod resume;
mod run;
mod transforms;

pub use completion::Completion;
pub use observer::{NoopObserver, Observer};
pub use report::{DeliveryGuarantee, ErrorSummary, Progress, Resume, RunReport, StreamProgress};

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::sink::Sink;
use crate::source::Source;
use crate::state::StateStore;
use crate::streams::StreamSelection;
use crate::transform::{OnError, Transform};

/// Default number of pages that may wait between source and sink.
pub const DEFAULT_CHANNEL_DEPTH: usize = 4;

/// Default pipeline name, used as the state key when none is given.
pub const DEFAULT_PIPELINE_NAME: &str = "default";

/// Runs a source into a sink.
///
/// The source and the sink run concurrently through a bounded channel:
/// while the sink writes page *n*, the source fetches page *n + 1*, and
/// memory stays bounded by the channel depth times the page size.
///
/// A checkpoint is saved only once the rows before it are durable: either
/// by the sink itself, atomically with the rows, or in the pipeline's
/// [`StateStore`] after the sink has flushed. A run resumes after the
/// sink's checkpoint, or else the state store's.
///
/// Cancellation (see [`Pipeline::with_cancel`]) stops at a page boundary:
/// pages already written are flushed, their checkpoint saved, and the
/// report says [`RunOutcome::Cancelled`](crate::RunOutcome::Cancelled).
///
/// `S` and `K` are any [`Source`] and [`Sink`]: concrete types,
/// references, `Box<dyn Source>`, `Arc<dyn Sink>`.
pub struct Pipeline<S, K> {
    source: S,
    sink: K,
    name: String,
    channel_depth: usize,
    limit: Option<u64>,
    state: Option<Arc<dyn StateStore>>,
    observer: Option<Arc<dyn Observer>>,
    cancel: CancellationToken,
    restart: bool,
    transforms: Vec<transforms::Stage>,
    streams: StreamSelection,
}

impl<S, K> std::fmt::Debug for Pipeline<S, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name)
            .field("channel_depth", &self.channel_depth)
            .field("limit", &self.limit)
            .field("state_store", &self.state.is_some())
            .field("restart", &self.restart)
            .field("streams", &self.streams.names())
            .field(
                "transforms",
                &self
                    .transforms
                    .iter()
                    .map(|s| s.transform.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<S: Source, K: Sink> Pipeline<S, K> {
    /// A pipeline named [`DEFAULT_PIPELINE_NAME`], with a channel of
    /// [`DEFAULT_CHANNEL_DEPTH`] pages, no limit, no state store and no
    /// cancellation.
    pub fn new(source: S, sink: K) -> Self {
        Self {
            source,
            sink,
            name: DEFAULT_PIPELINE_NAME.to_owned(),
            channel_depth: DEFAULT_CHANNEL_DEPTH,
            limit: None,
            state: None,
            observer: None,
            cancel: CancellationToken::new(),
            restart: false,
            transforms: Vec::new(),
            streams: StreamSelection::all(),
        }
    }

    /// Adds a transform after those already added; a failure on a record
    /// fails the run ([`OnError::Fail`]).
    #[must_use]
    pub fn transform(self, transform: impl Transform + 'static) -> Self {
        self.transform_with(transform, OnError::Fail)
    }

    /// Adds a transform with its policy for records it fails on.
    #[must_use]
    pub fn transform_with(
        mut self,
        transform: impl Transform + 'static,
        on_error: OnError,
    ) -> Self {
        self.transforms.push(transforms::Stage {
            transform: Arc::new(transform),
            on_error,
        });
        self
    }

    /// Sets the name under which checkpoints are stored.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how many pages may wait between source and sink (at least 1).
    /// With transforms they are split between the channel into the
    /// transforms and the one out of them (half each, rounded up).
    #[must_use]
    pub fn with_channel_depth(mut self, depth: usize) -> Self {
        self.channel_depth = depth.max(1);
        self
    }

    /// Stops after `limit` records. A page cut short by the limit stores a
    /// checkpoint saying "resume before this page and drop the records
    /// already written", so a later run continues with the next record,
    /// exactly once, provided the source serves that page again in the
    /// same order.
    #[must_use]
    pub fn with_limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit;
        self
    }

    /// Keeps checkpoints in `store` for sinks that do not keep their own.
    #[must_use]
    pub fn with_state_store(mut self, store: Arc<dyn StateStore>) -> Self {
        self.state = Some(store);
        self
    }

    /// Reports progress to `observer`.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Stops the run at the next page boundary when `token` is cancelled.
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Starts from the beginning whatever checkpoint is stored: the way to
    /// read a completed append pipeline again on purpose (its records are
    /// appended a second time). Checkpoints of this run replace the stored
    /// ones as it goes.
    ///
    /// Without it, a run resumes after a stored checkpoint; after a
    /// completed run it continues an incremental source, starts over into
    /// an idempotent sink, and otherwise refuses with
    /// [`FaucetError::Completed`](crate::FaucetError::Completed) rather
    /// than append everything again.
    #[must_use]
    pub fn with_restart(mut self, restart: bool) -> Self {
        self.restart = restart;
        self
    }

    /// Writes only the streams `selection` names, for a source that reads
    /// several. The source is told (it may skip streams nothing selected
    /// needs); records of pages of other streams are dropped before the
    /// transforms, and their checkpoints still reach the sink. Default:
    /// every stream.
    #[must_use]
    pub fn with_streams(mut self, selection: StreamSelection) -> Self {
        self.streams = selection;
        self
    }

    /// The pipeline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source.
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The sink.
    pub fn sink(&self) -> &K {
        &self.sink
    }

    /// The guarantee this pipeline gives, from the connectors' capabilities
    /// and whether a state store is set.
    pub fn guarantee(&self) -> DeliveryGuarantee {
        let source = self.source.capabilities();
        let sink = self.sink.capabilities();
        if !source.resumable {
            DeliveryGuarantee::NoResume
        } else if sink.atomic_checkpoints || (sink.idempotent && self.state.is_some()) {
            DeliveryGuarantee::ExactlyOnce
        } else if self.state.is_some() {
            DeliveryGuarantee::AtLeastOnce
        } else {
            DeliveryGuarantee::NoResume
        }
    }

    /// Runs the pipeline to the end of the source, the limit, a
    /// cancellation or the first error.
    ///
    /// Returns the report on completion, cancellation or limit; on failure
    /// returns the error, after making durable (and checkpointing) every
    /// page written before it where the sink is still healthy. Observers
    /// receive the report in every case.
    pub async fn run(&self) -> Result<RunReport> {
        match self.run_with_report().await {
            (report, None) => Ok(report),
            (_, Some(err)) => Err(err),
        }
    }

    /// Runs like [`run`](Pipeline::run), and returns the report whatever
    /// happened, with the error beside it: a failed run's report holds the
    /// counts that were committed before the failure, the retries by
    /// cause, and a summary of the error ([`RunReport::error`]).
    pub async fn run_with_report(&self) -> (RunReport, Option<crate::FaucetError>) {
        run::Run::new(self).execute().await
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod rerun_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod transform_tests;
