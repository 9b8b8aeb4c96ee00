//! `faucet run`: builds a pipeline file's connectors and runs them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use faucet_core::{
    CancellationToken, FaucetError, FileStateStore, Observer, Pipeline, Registry, RunOutcome,
    Source, StreamSelection,
};

use crate::cli::{Format, ProgressMode, RunArgs};
use crate::exit::{Exit, UsageError};
use crate::pipeline_file::{self, Connectors, LoadOptions, PipelineFile};
use crate::progress::ProgressView;
use crate::report_file::{Fanout, ReportFile, ReportStdout};
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
    /// Ignore any stored checkpoint and read everything again.
    pub(crate) restart: bool,
    /// The streams to write (overrides the file's `streams:`).
    pub(crate) streams: Option<Vec<String>>,
    /// How the final summary is printed.
    pub(crate) format: Format,
}

/// `faucet run PIPELINE`.
pub(crate) async fn run(args: RunArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.file.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.file.pipeline, &options, registry)?;
    if args.dry_run {
        return dry_run::run(
            &file,
            built,
            args.limit,
            args.streams.as_deref().or(file.streams.as_deref()),
        )
        .await;
    }
    let options = RunOptions {
        limit: args.limit,
        state: args.state,
        progress: args.progress,
        report: args.report,
        restart: args.restart,
        streams: args.streams,
        format: args.format.format,
    };
    if options.format == Format::Json && writes_stdout(&file) {
        return Err(UsageError(
            "--format json prints the report on stdout, where this sink writes its records: \
             use --report FILE instead"
                .to_owned(),
        )
        .into());
    }
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
    let mut view = ProgressView::new(options.progress);
    if options.format == Format::Json {
        view = view.without_summary();
    }
    let mut observers: Vec<Arc<dyn Observer>> = vec![Arc::new(view)];
    if let Some(path) = &options.report {
        observers.push(Arc::new(ReportFile::new(path.clone())));
    }
    if options.format == Format::Json {
        observers.push(Arc::new(ReportStdout));
    }
    let selection = match (&options.streams, &file.streams) {
        (Some(names), _) => Some((names, "--streams")),
        (None, Some(names)) => Some((names, "the file's `streams:`")),
        (None, None) => None,
    };
    if let Some((names, origin)) = selection {
        check_selection(&*built.source, names, origin).await?;
    }
    let mut pipeline = Pipeline::new(built.source, built.sink);
    if let Some((names, _)) = selection {
        pipeline = pipeline.with_streams(StreamSelection::only(names.iter().cloned()));
    }
    for (transform, on_error) in built.transforms {
        pipeline = pipeline.transform_with(transform, on_error);
    }
    let mut pipeline = pipeline
        .with_name(file.name.clone())
        .with_channel_depth(file.settings.channel_depth)
        .with_limit(options.limit.or(file.settings.limit))
        .with_cancel(token)
        .with_restart(options.restart)
        .with_observer(Arc::new(Fanout(observers)));
    let state_dir = options
        .state
        .clone()
        .or_else(|| file.state.as_ref().map(|s| s.dir.clone()));
    if let Some(dir) = state_dir {
        pipeline = pipeline.with_state_store(Arc::new(FileStateStore::new(dir)));
    }
    let (report, error) = pipeline.run_with_report().await;
    if let Some(err) = error {
        return Err(explain(err, &file.name));
    }
    Ok(match report.outcome {
        RunOutcome::Cancelled => Exit::Interrupted,
        RunOutcome::Failed => Exit::Failed,
        _ => Exit::Ok,
    })
}

/// Whether the file's sink writes records to standard output (the JSON
/// Lines sink's `path: -`, its default).
fn writes_stdout(file: &PipelineFile) -> bool {
    file.sink.kind == "jsonl"
        && file
            .sink
            .config
            .get("path")
            .is_none_or(|path| path.as_str() == Some("-"))
}

/// Refuses a selection naming a stream the source does not list, naming
/// the streams it does. A source that cannot list its streams, or fails to
/// now, is left to judge the names itself when the run starts.
async fn check_selection(
    source: &dyn Source,
    names: &[String],
    origin: &str,
) -> anyhow::Result<()> {
    // Names the config tells are checked without a request; otherwise
    // the source's discover lists them.
    let known = match source.stream_names() {
        Some(known) => known,
        None => match source.discover().await {
            Ok(streams) => streams.into_iter().map(|s| s.name).collect(),
            Err(FaucetError::Unsupported { .. }) => return Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, "Cannot list the source's streams to check the selection.");
                return Ok(());
            }
        },
    };
    let unknown: Vec<&str> = names
        .iter()
        .filter(|name| !known.contains(name))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let listed: Vec<&str> = known.iter().map(String::as_str).collect();
    Err(UsageError(format!(
        "{origin} names {} `{}` that the source does not read; its streams are: {} \
         (see `faucet discover`)",
        if unknown.len() == 1 {
            "a stream"
        } else {
            "streams"
        },
        unknown.join("`, `"),
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        },
    ))
    .into())
}

/// A run's error with what to do about it.
fn explain(err: FaucetError, pipeline: &str) -> anyhow::Error {
    let hint = match &err {
        FaucetError::Completed { streams, .. } if !streams.is_empty() => {
            "write those streams with `mode: upsert` (by their primary key) in the sink's \
             `streams:` map, give their resources an `incremental:` key, or leave them out \
             with `--streams`; `faucet run --restart` reads everything again on purpose"
        }
        FaucetError::Completed { .. } => {
            "`faucet run --restart` reads everything again and appends it a second time; \
             for repeatable loads use `mode: upsert` or `mode: replace` in the sink, or an \
             `incremental:` source"
        }
        FaucetError::AlreadyRunning { .. } => {
            "wait for that run to end (or stop it), then run again; \
             two runs of one pipeline at once would race for the same checkpoint"
        }
        _ => return anyhow::Error::new(err).context(format!("pipeline `{pipeline}` failed")),
    };
    anyhow::Error::new(Hinted {
        message: err.to_string(),
        hint,
    })
}

/// An error message followed by what to do about it.
#[derive(Debug)]
struct Hinted {
    message: String,
    hint: &'static str,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.\n  hint: {}", self.message, self.hint)
    }
}

impl std::error::Error for Hinted {}
