//! `faucet run --report FILE`: the run's report as JSON, for schedulers
//! and scripts, written when the run ends, however it ends.

use std::path::PathBuf;
use std::sync::Arc;

use faucet_core::{Checkpoint, DeliveryGuarantee, Observer, Progress, RunReport};

use crate::secrets;

/// Writes the [`RunReport`] as JSON to a file when the run ends.
#[derive(Debug)]
pub(crate) struct ReportFile {
    path: PathBuf,
}

impl ReportFile {
    /// A report written to `path` (replaced atomically).
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl Observer for ReportFile {
    fn on_finish(&self, report: &RunReport) {
        let json = match serde_json::to_string_pretty(report) {
            Ok(json) => secrets::redact(&json).into_owned() + "\n",
            Err(err) => {
                tracing::error!(error = %err, "Cannot encode the run report");
                return;
            }
        };
        if let Err(err) = faucet_core::write_file_atomically(&self.path, json.as_bytes(), false) {
            tracing::error!(path = %self.path.display(), error = %err, "Cannot write the run report");
        }
    }
}

/// Prints the [`RunReport`] as JSON on stdout when the run ends
/// (`faucet run --format json`).
#[derive(Debug)]
pub(crate) struct ReportStdout;

impl Observer for ReportStdout {
    fn on_finish(&self, report: &RunReport) {
        match serde_json::to_string_pretty(report) {
            Ok(json) => {
                if let Err(err) = crate::stdout::line(&secrets::redact(&json)) {
                    tracing::error!(error = %err, "Cannot print the run report");
                }
            }
            Err(err) => tracing::error!(error = %err, "Cannot encode the run report"),
        }
    }
}

/// Passes every callback to each observer in turn.
pub(crate) struct Fanout(pub(crate) Vec<Arc<dyn Observer>>);

impl Observer for Fanout {
    fn on_start(
        &self,
        pipeline: &str,
        resumed_from: Option<&Checkpoint>,
        guarantee: DeliveryGuarantee,
    ) {
        self.0
            .iter()
            .for_each(|o| o.on_start(pipeline, resumed_from, guarantee));
    }

    fn on_page(&self, progress: &Progress) {
        self.0.iter().for_each(|o| o.on_page(progress));
    }

    fn on_checkpoint(&self, checkpoint: &Checkpoint) {
        self.0.iter().for_each(|o| o.on_checkpoint(checkpoint));
    }

    fn on_finish(&self, report: &RunReport) {
        self.0.iter().for_each(|o| o.on_finish(report));
    }
}
