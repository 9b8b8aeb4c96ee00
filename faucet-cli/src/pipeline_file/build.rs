//! Building a pipeline file's connectors through the registry.

use faucet_core::{FaucetError, Registry, Sink, Source};
use serde_json::Value;

use super::every_error::build_all;
use super::paths::{join, pointer};
use super::sections::Sections;
use super::substitute::Retyped;

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
    typed: &[Retyped],
    errors: &mut Vec<(String, String)>,
) -> Option<Connectors> {
    let clean = |prefix: &str, errors: &[(String, String)]| {
        !errors
            .iter()
            .any(|(path, _)| path == prefix || path.starts_with(&format!("{prefix}.")))
    };
    let source = match &sections.source {
        Some(spec) if clean("source", errors) => {
            let build = |config| {
                retrying(config, "source", typed, |config| {
                    registry.build_source(&spec.kind, config)
                })
            };
            build_all(spec.config.clone(), "source", build, errors)
        }
        _ => None,
    };
    let sink = match &sections.sink {
        Some(spec) if clean("sink", errors) => {
            let build = |config| {
                retrying(config, "sink", typed, |config| {
                    registry.build_sink(&spec.kind, config)
                })
            };
            build_all(spec.config.clone(), "sink", build, errors)
        }
        _ => None,
    };
    Some(Connectors {
        source: source?,
        sink: sink?,
    })
}

/// Builds a connector from `config`; when the config is refused because a
/// number or boolean that an unquoted `${VAR}` produced stands where a
/// string is wanted, puts the variable's text back and tries again. A
/// `${VAR}` in a string field is a string, whatever the variable holds.
fn retrying<T>(
    mut config: Value,
    section: &str,
    typed: &[Retyped],
    build: impl Fn(Value) -> Result<T, FaucetError>,
) -> Result<T, FaucetError> {
    let mut reverted = vec![false; typed.len()];
    loop {
        let err = match build(config.clone()) {
            Ok(built) => return Ok(built),
            Err(err) => err,
        };
        let FaucetError::Config { path, message } = &err else {
            return Err(err);
        };
        if !message.contains("expected a string") {
            return Err(err);
        }
        let at = join(section, path);
        let culprit = typed.iter().enumerate().position(|(i, t)| {
            !reverted[i]
                && (t.path == at || t.path.starts_with(&format!("{at}.")))
                && message.contains(&format!("`{}`", t.text))
        });
        let Some(i) = culprit else {
            return Err(err);
        };
        reverted[i] = true;
        let relative = &typed[i].path[section.len()..];
        match config.pointer_mut(&pointer(relative)) {
            Some(slot) => *slot = Value::String(typed[i].text.clone()),
            None => return Err(err),
        }
    }
}
