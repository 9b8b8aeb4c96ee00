//! Building a pipeline file's connectors through the registry.

use faucet_core::{Registry, Sink, Source};

use super::FileErrors;
use super::load::{PipelineFile, config_error, join};

/// A pipeline file's source and sink, built (no I/O done yet).
pub(crate) struct Connectors {
    /// The source.
    pub(crate) source: Box<dyn Source>,
    /// The sink.
    pub(crate) sink: Box<dyn Sink>,
}

/// Builds both connectors, reporting the errors of both with their paths
/// in the file (`source.pagination.kind: …`).
pub(crate) fn build(file: &PipelineFile, registry: &Registry) -> Result<Connectors, FileErrors> {
    let mut errors = Vec::new();
    let mut note = |section: &str, err: faucet_core::FaucetError| {
        let (path, message) = config_error(err);
        errors.push((join(section, &path), message));
    };
    let source = registry
        .build_source(&file.source.kind, file.source.config.clone())
        .map_err(|e| note("source", e))
        .ok();
    let sink = registry
        .build_sink(&file.sink.kind, file.sink.config.clone())
        .map_err(|e| note("sink", e))
        .ok();
    match (source, sink) {
        (Some(source), Some(sink)) => Ok(Connectors { source, sink }),
        _ => Err(FileErrors {
            file: file.path.display().to_string(),
            errors,
        }),
    }
}
