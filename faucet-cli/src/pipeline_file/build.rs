//! Building a pipeline file's connectors through the registry.

use faucet_core::{FaucetError, OnError, Registry, Sink, Source, Transform};
use serde_json::Value;

use super::every_error::build_all;
use super::paths::{join, pointer};
use super::sections::Sections;
use super::spec::ConnectorSpec;
use super::substitute::Retyped;

/// A pipeline file's source, transforms and sink, built (no I/O done yet).
pub(crate) struct Connectors {
    /// The source.
    pub(crate) source: Box<dyn Source>,
    /// The transforms, in file order, each with its `on_error` policy.
    pub(crate) transforms: Vec<(Box<dyn Transform>, OnError)>,
    /// The sink.
    pub(crate) sink: Box<dyn Sink>,
}

/// Builds the connectors whose sections parsed and had no substitution
/// errors (a value left as `${VAR}` would only add a confusing error),
/// adding their errors with paths in the file (`source.pagination.kind`,
/// `transforms[2].where`).
pub(crate) fn build(
    sections: &Sections,
    registry: &Registry,
    typed: &[Retyped],
    errors: &mut Vec<(String, String)>,
) -> Option<Connectors> {
    let source = section(
        sections.source.as_ref(),
        "source",
        typed,
        errors,
        |kind, c| registry.build_source(kind, c),
    );
    let mut transforms = Vec::with_capacity(sections.transforms.len());
    for (i, spec) in sections.transforms.iter().enumerate() {
        let connector = spec.as_ref().map(|spec| &spec.connector);
        let prefix = format!("transforms[{i}]");
        let built = section(connector, &prefix, typed, errors, |kind, c| {
            registry.build_transform(kind, c)
        });
        transforms.push(built.zip(spec.as_ref().map(|spec| spec.on_error)));
    }
    let sink = section(sections.sink.as_ref(), "sink", typed, errors, |kind, c| {
        registry.build_sink(kind, c)
    });
    Some(Connectors {
        source: source?,
        transforms: transforms.into_iter().collect::<Option<_>>()?,
        sink: sink?,
    })
}

/// Builds one section (`source`, `sink`, `transforms[2]`) when it parsed
/// and no error was found inside it yet, recording every config error at
/// its path under `prefix`.
fn section<T>(
    spec: Option<&ConnectorSpec>,
    prefix: &str,
    typed: &[Retyped],
    errors: &mut Vec<(String, String)>,
    build: impl Fn(&str, Value) -> Result<T, FaucetError>,
) -> Option<T> {
    let spec = spec?;
    let inside = format!("{prefix}.");
    if errors
        .iter()
        .any(|(path, _)| path == prefix || path.starts_with(&inside))
    {
        return None;
    }
    let build = |config| retrying(config, prefix, typed, |config| build(&spec.kind, config));
    build_all(spec.config.clone(), prefix, build, errors)
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
        let FaucetError::Config { path, message, .. } = &err else {
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
