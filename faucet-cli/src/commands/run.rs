//! `faucet run`: builds a pipeline file's connectors and runs them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use faucet_core::{CancellationToken, FileStateStore, Observer, Pipeline, RunOutcome};

use crate::cli::{ProgressMode, RunArgs};
use crate::connectors;
use crate::exit::Exit;
use crate::pipeline_file::{self, Connectors, LoadOptions, PipelineFile};
use crate::progress::ProgressView;
use crate::report_file::{Fanout, ReportFile};
use crate::signals;

use super::dry_run;

/// How to run a loaded pipeline file.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// Record limit (overrides the file's).
    pub(crate) limit: Option<u64>,
    /// State directory (overrides the file's).
    pub(crate) state: Option<PathBuf>,
    /// How progress is shown.
    pub(crate) progress: ProgressMode,
    /// Where to write the JSON run report.
    pub(crate) report: Option<PathBuf>,
}

/// `faucet run PIPELINE`.
pub(crate) async fn run(args: RunArgs) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.file.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.file.pipeline, &options, &connectors::builtin())?;
    if args.dry_run {
        return dry_run::run(&file, built, args.limit).await;
    }
    let options = RunOptions {
        limit: args.limit,
        state: args.state,
        progress: args.progress,
        report: args.report,
    };
    execute(&file, built, &options).await
}

/// Runs built connectors as `file` says, until the end, the limit, an
/// error or Ctrl-C.
pub(crate) async fn execute(
    file: &PipelineFile,
    built: Connectors,
    options: &RunOptions,
) -> anyhow::Result<Exit> {
    let token = CancellationToken::new();
    signals::cancel_on_signal(token.clone()).context("cannot install the Ctrl-C handler")?;
    let mut observers: Vec<Arc<dyn Observer>> = vec![Arc::new(ProgressView::new(options.progress))];
    if let Some(path) = &options.report {
        observers.push(Arc::new(ReportFile::new(path.clone())));
    }
    let mut pipeline = Pipeline::new(built.source, built.sink)
        .with_name(file.name.clone())
        .with_channel_depth(file.settings.channel_depth)
        .with_limit(options.limit.or(file.settings.limit))
        .with_cancel(token)
        .with_observer(Arc::new(Fanout(observers)));
    let state_dir = options
        .state
        .clone()
        .or_else(|| file.state.as_ref().map(|s| s.dir.clone()));
    if let Some(dir) = state_dir {
        pipeline = pipeline.with_state_store(Arc::new(FileStateStore::new(dir)));
    }
    let report = pipeline
        .run()
        .await
        .with_context(|| format!("pipeline `{}` failed", file.name))?;
    Ok(match report.outcome {
        RunOutcome::Cancelled => Exit::Interrupted,
        RunOutcome::Failed => Exit::Failed,
        _ => Exit::Ok,
    })
}
