//! What the server asks of whoever knows the pipeline file format: turn
//! a spec into built connectors, or into errors with their paths.
//!
//! The server does not parse pipeline files itself, so that the binary
//! that owns the format (the `faucet` CLI) can depend on this crate, and a
//! third-party binary can bring a format of its own.

use std::fmt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use faucet_core::{
    CheckReport, DEFAULT_CHANNEL_DEPTH, OnError, Registry, Sink, Source, StreamSelection, Transform,
};
use serde::Serialize;

/// One problem in a spec: where it is (`source.pagination.kind`, empty
/// for the whole spec) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, faucet_core::schemars::JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub struct SpecError {
    /// The path of the offending value, e.g. `sink.path`; empty when the
    /// problem is the spec as a whole.
    pub path: String,
    /// What is wrong, with no secret in it.
    pub message: String,
}

impl SpecError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A spec to load: its text, and the file it was read from when the
/// server read it from its pipelines directory (`POST /runs?pipeline=…`).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Spec<'a> {
    /// The spec's text, as sent or as read.
    pub text: &'a str,
    /// The file the text was read from, if any: a loader may name the
    /// pipeline after it when the spec names none.
    pub file: Option<&'a Path>,
}

impl<'a> Spec<'a> {
    /// A spec sent in a request body.
    pub fn new(text: &'a str) -> Self {
        Self { text, file: None }
    }

    /// A spec read from `file`.
    pub fn from_file(text: &'a str, file: &'a Path) -> Self {
        Self {
            text,
            file: Some(file),
        }
    }
}

/// How a built pipeline runs: the pipeline file's `settings` and `state`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PipelineSettings {
    /// Pages that may wait between the source and the sink.
    /// Default: [`DEFAULT_CHANNEL_DEPTH`].
    pub channel_depth: usize,
    /// Stop after this many records. Default: no limit.
    pub limit: Option<u64>,
    /// Directory of checkpoint files for sinks that do not keep their own
    /// ([`FileStateStore`](faucet_core::FileStateStore)). Default: none.
    pub state_dir: Option<PathBuf>,
    /// The streams the run writes. Default: every stream.
    pub streams: StreamSelection,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            channel_depth: DEFAULT_CHANNEL_DEPTH,
            limit: None,
            state_dir: None,
            streams: StreamSelection::all(),
        }
    }
}

/// A spec turned into connectors, ready to run (no I/O done yet).
#[non_exhaustive]
pub struct LoadedPipeline {
    /// The pipeline's name: its state key, and the key of the
    /// one-run-at-a-time rule.
    pub name: String,
    /// The source.
    pub source: Box<dyn Source>,
    /// The transforms, in order, each with its policy for records it fails
    /// on.
    pub transforms: Vec<(Box<dyn Transform>, OnError)>,
    /// The sink.
    pub sink: Box<dyn Sink>,
    /// How the pipeline runs.
    pub settings: PipelineSettings,
    /// Values of the spec that are secrets (tokens, passwords): the server
    /// masks them in every response, event and run record.
    pub secrets: Vec<String>,
}

impl LoadedPipeline {
    /// A pipeline named `name` from `source` to `sink`, with no transforms,
    /// default settings and no secrets.
    pub fn new(name: impl Into<String>, source: Box<dyn Source>, sink: Box<dyn Sink>) -> Self {
        Self {
            name: name.into(),
            source,
            transforms: Vec::new(),
            sink,
            settings: PipelineSettings::default(),
            secrets: Vec::new(),
        }
    }

    /// Adds a transform after those already added.
    #[must_use]
    pub fn with_transform(mut self, transform: Box<dyn Transform>, on_error: OnError) -> Self {
        self.transforms.push((transform, on_error));
        self
    }

    /// Sets how the pipeline runs.
    #[must_use]
    pub fn with_settings(mut self, settings: PipelineSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the values to mask in everything the server says.
    #[must_use]
    pub fn with_secrets(mut self, secrets: Vec<String>) -> Self {
        self.secrets = secrets;
        self
    }
}

impl fmt::Debug for LoadedPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPipeline")
            .field("name", &self.name)
            .field("source", &self.source.name())
            .field("transforms", &self.transforms.len())
            .field("sink", &self.sink.name())
            .field("settings", &self.settings)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// The result of `POST /pipelines/check`: each connector's checklist.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineCheck {
    /// The pipeline's name.
    pub name: String,
    /// Whether no check failed.
    pub passed: bool,
    /// The source's checklist.
    pub source: CheckReport,
    /// The sink's checklist.
    pub sink: CheckReport,
}

/// Turns pipeline specs (the body of `POST /pipelines/validate`, `/check`
/// and `/runs`) into built pipelines.
///
/// Required: [`load`](PipelineLoader::load). [`check`](PipelineLoader::check)
/// defaults to running the source's and the sink's own checks.
///
/// The `faucet` CLI implements it with its pipeline-file reader (YAML or
/// JSON, `${VAR}` substitution, every error at once); [`JsonLoader`](crate::JsonLoader)
/// is the minimal one.
///
/// # Example
///
/// ```
/// use faucet_core::Registry;
/// use faucet_serve::{LoadedPipeline, PipelineLoader, Spec, SpecError};
///
/// /// Knows one pipeline, named by the whole spec text.
/// struct OneName;
///
/// impl PipelineLoader for OneName {
///     fn load(&self, spec: Spec<'_>, registry: &Registry) -> Result<LoadedPipeline, Vec<SpecError>> {
///         let fail = |e: faucet_core::FaucetError| vec![SpecError::new("", e.to_string())];
///         let name = spec.text.trim();
///         let source = registry.build_source(name, serde_json::json!({})).map_err(fail)?;
///         let sink = registry.build_sink("jsonl", serde_json::json!({})).map_err(fail)?;
///         Ok(LoadedPipeline::new(name, source, sink))
///     }
/// }
///
/// let errors = OneName.load(Spec::new("nothing"), &Registry::new()).unwrap_err();
/// assert!(errors[0].message.contains("unknown source type"));
/// ```
#[async_trait]
pub trait PipelineLoader: Send + Sync {
    /// Parses `spec` and builds its connectors through `registry`, or
    /// returns every problem found, each with its path. Messages must hold
    /// no secret. Must not do I/O beyond reading local files the spec
    /// names (building is also how a spec is validated). Specs come from
    /// callers over the network: a loader that substitutes environment
    /// variables should allow only those the server's operator listed.
    fn load(&self, spec: Spec<'_>, registry: &Registry) -> Result<LoadedPipeline, Vec<SpecError>>;

    /// Checks that a built pipeline can work (reachable, authorised).
    /// Default: the source's and the sink's own
    /// [`check`](faucet_core::Source::check); a check that errors is one
    /// failed item named `check`.
    async fn check(&self, pipeline: &LoadedPipeline) -> PipelineCheck {
        let source = checklist(pipeline.source.check().await);
        let sink = checklist(pipeline.sink.check().await);
        PipelineCheck {
            name: pipeline.name.clone(),
            passed: source.passed() && sink.passed(),
            source,
            sink,
        }
    }
}

fn checklist(result: faucet_core::Result<CheckReport>) -> CheckReport {
    result.unwrap_or_else(|err| {
        let mut report = CheckReport::new();
        report.fail("check", err.to_string());
        report
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + ?Sized>() {}

    #[test]
    fn the_loader_is_object_safe_send_and_sync() {
        assert_send_sync::<dyn PipelineLoader>();
        assert_send_sync::<Box<dyn PipelineLoader>>();
        assert_send_sync::<LoadedPipeline>();
    }

    #[test]
    fn a_spec_error_names_its_path() {
        assert_eq!(
            SpecError::new("sink.path", "missing").to_string(),
            "sink.path: missing"
        );
        assert_eq!(SpecError::new("", "not JSON").to_string(), "not JSON");
    }
}
