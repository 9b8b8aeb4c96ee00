//! One run: a [`Pipeline`] on a task of its own.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use faucet_core::{FileStateStore, Pipeline, RunOutcome, RunReport};
use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::observer::RunObserver;
use super::record::RunRecord;
use super::{Runs, Save};
use crate::loader::LoadedPipeline;
use crate::run_log::Route;

/// Runs `loaded` to its end, cancellation or failure, keeping run `id`'s
/// record up to date.
pub(super) async fn run(
    runs: Arc<Runs>,
    id: String,
    loaded: LoadedPipeline,
    cancel: CancellationToken,
    restart: bool,
) {
    let observer = Arc::new(RunObserver {
        runs: Arc::clone(&runs),
        id: id.clone(),
    });
    let settings = loaded.settings;
    let mut pipeline = Pipeline::new(loaded.source, loaded.sink)
        .with_name(loaded.name)
        .with_channel_depth(settings.channel_depth)
        .with_limit(settings.limit)
        .with_streams(settings.streams)
        .with_observer(observer)
        .with_cancel(cancel)
        .with_restart(restart);
    if let Some(dir) = settings.state_dir {
        pipeline = pipeline.with_state_store(Arc::new(FileStateStore::new(dir)));
    }
    for (transform, on_error) in loaded.transforms {
        pipeline = pipeline.transform_with(transform, on_error);
    }
    tracing::info!(run = %id, pipeline = pipeline.name(), "Run started.");
    // Events inside the span (the connectors' log lines) go to the run's
    // event log while the route is open.
    let route = Route::open(&runs, &id);
    let ran = AssertUnwindSafe(pipeline.run_with_report())
        .catch_unwind()
        .instrument(route.span())
        .await;
    drop(route);
    match ran {
        Ok((report, _err)) => {
            let level = if report.error.is_some() {
                "error"
            } else {
                "info"
            };
            runs.log(&id, level, |masker| masker.text(&ended(&report)));
            runs.update(&id, Save::Always, |record: &mut RunRecord, masker| {
                record.finish(&report, masker);
            });
            tracing::info!(run = %id, outcome = ?report.outcome, "Run ended.");
        }
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            runs.log(&id, "error", |masker| {
                masker.text(&format!("Run failed on a panic: {message}"))
            });
            runs.update(&id, Save::Always, |record: &mut RunRecord, masker| {
                record.panicked(&masker.text(&message));
            });
            tracing::error!(run = %id, "Run ended on a panic.");
        }
    }
}

/// The last log line of a run.
fn ended(report: &RunReport) -> String {
    let counts = format!(
        "{} records committed in {} pages",
        report.progress.records_committed, report.progress.pages
    );
    match (report.outcome, &report.error) {
        (_, Some(error)) => format!("Run failed ({counts}): {}", error.message),
        (RunOutcome::Cancelled, None) => format!("Run cancelled at a page boundary ({counts})."),
        (RunOutcome::LimitReached, None) => format!("Run reached its record limit ({counts})."),
        _ => format!("Run completed ({counts})."),
    }
}

/// The text of a panic's payload, when it has one.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}
