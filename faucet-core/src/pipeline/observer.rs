//! Callbacks that let a caller watch a run (a progress bar, metrics).

use super::report::{DeliveryGuarantee, Progress, RunReport};
use crate::page::Checkpoint;

/// Watches a pipeline run. Every method defaults to doing nothing.
///
/// Callbacks run inline on the pipeline's task: keep them quick (update a
/// counter or a progress bar, do not block on I/O).
///
/// # Example
///
/// ```
/// use faucet_core::{Observer, Progress};
///
/// struct PrintEvery1000;
///
/// impl Observer for PrintEvery1000 {
///     fn on_page(&self, progress: &Progress) {
///         if progress.pages % 1000 == 0 {
///             eprintln!("{} records", progress.records_written);
///         }
///     }
/// }
/// ```
pub trait Observer: Send + Sync {
    /// The run is starting, resuming after `resumed_from` if `Some`.
    fn on_start(
        &self,
        pipeline: &str,
        resumed_from: Option<&Checkpoint>,
        guarantee: DeliveryGuarantee,
    ) {
        let _ = (pipeline, resumed_from, guarantee);
    }

    /// A page was committed to the sink.
    fn on_page(&self, progress: &Progress) {
        let _ = progress;
    }

    /// A checkpoint became durable.
    fn on_checkpoint(&self, checkpoint: &Checkpoint) {
        let _ = checkpoint;
    }

    /// The run ended (in any way, failures included).
    fn on_finish(&self, report: &RunReport) {
        let _ = report;
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {}
