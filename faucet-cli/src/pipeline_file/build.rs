//! Building a pipeline file's connectors through the registry.

use faucet_core::{FaucetError, Registry, Sink, Source};

use super::sections::{Sections, join};

/// A pipeline file's source and sink, built (no I/O done yet).
pub(crate) struct Connectors {
    /// The source.
    pub(crate) source: Box<dyn Source>,
    /// The sink.
    pub(crate) sink: Box<dyn Sink>,
}

/// Builds the connectors whose sections parsed and had no substitution
/// errors (a value left as `${VAR}` would only add a confusing error),
/// adding their errors with paths in the file (`source.pagination.kind`).
pub(crate) fn build(
    sections: &Sections,
    registry: &Registry,
    errors: &mut Vec<(String, String)>,
) -> Option<Connectors> {
    let clean = |prefix: &str, errors: &[(String, String)]| {
        !errors
            .iter()
            .any(|(path, _)| path == prefix || path.starts_with(&format!("{prefix}.")))
    };
    let source = match &sections.source {
        Some(spec) if clean("source", errors) => registry
            .build_source(&spec.kind, spec.config.clone())
            .map_err(|e| errors.push(located("source", e)))
            .ok(),
        _ => None,
    };
    let sink = match &sections.sink {
        Some(spec) if clean("sink", errors) => registry
            .build_sink(&spec.kind, spec.config.clone())
            .map_err(|e| errors.push(located("sink", e)))
            .ok(),
        _ => None,
    };
    Some(Connectors {
        source: source?,
        sink: sink?,
    })
}

/// An error as `(path in the file, message)`: a config error's path under
/// `section`, anything else at `section` itself.
pub(crate) fn located(section: &str, err: FaucetError) -> (String, String) {
    match err {
        FaucetError::Config { path, message } => (join(section, &path), message),
        other => (section.to_owned(), other.to_string()),
    }
}
