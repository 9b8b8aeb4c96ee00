//! The shape of a pipeline file.

use std::path::PathBuf;

use faucet_core::OnError;
use faucet_core::schemars::{self, JsonSchema};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A faucet pipeline file: where records come from, where they go, and
/// how the run keeps its place.
///
/// Only its schema is used: the loader parses the sections one by one, so
/// that it can report every problem at once.
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipelineSpec {
    /// The pipeline's name: the key its checkpoint is stored under, so two
    /// pipelines writing to the same database need different names.
    /// Default: the file name without its extension.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Where records come from: `type` names a registered source (see
    /// `faucet connectors`); the other keys are that source's config (see
    /// `faucet schema source TYPE`).
    pub(crate) source: Value,
    /// Where records go: `type` names a registered sink; the other keys
    /// are that sink's config (see `faucet schema sink TYPE`).
    pub(crate) sink: Value,
    /// What happens to records between the source and the sink, in order:
    /// each item's `type` names a registered transform (see `faucet
    /// connectors`), `on_error` says what a record the transform fails on
    /// does (`fail` the run, or `skip` the record and count it), and the
    /// other keys are that transform's config (see `faucet schema
    /// transform TYPE`). Default: none (records pass unchanged).
    #[serde(default)]
    pub(crate) transforms: Vec<Value>,
    /// The streams to write, for a source that reads several (see `faucet
    /// discover`); the others are not written, though a selected child
    /// stream's parents are still read to find its requests. `faucet run
    /// --streams a,b` overrides it. Default: every stream.
    #[serde(default)]
    pub(crate) streams: Option<Vec<String>>,
    /// Where checkpoints are kept for sinks that do not keep their own
    /// (`--state DIR` overrides it). Default: none (such runs start over).
    #[serde(default)]
    pub(crate) state: Option<StateSpec>,
    /// How the pipeline runs.
    #[serde(default)]
    pub(crate) settings: Settings,
}

/// Checkpoint storage for sinks that do not keep their own.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateSpec {
    /// Directory holding one `<pipeline name>.json` checkpoint file per
    /// pipeline, written crash-safely.
    pub(crate) dir: PathBuf,
}

/// Pipeline settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Settings {
    /// Pages that may wait between the source and the sink: fetching runs
    /// ahead of writing by up to this many pages, and memory is bounded by
    /// it times the page size. Default: `4`.
    #[serde(default = "default_channel_depth")]
    pub(crate) channel_depth: usize,
    /// Stop after this many records (`--limit` overrides it). Default: no
    /// limit.
    #[serde(default)]
    pub(crate) limit: Option<u64>,
}

fn default_channel_depth() -> usize {
    faucet_core::DEFAULT_CHANNEL_DEPTH
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            channel_depth: default_channel_depth(),
            limit: None,
        }
    }
}

/// A connector section: its `type` and the rest of its keys as config.
#[derive(Debug, Clone)]
pub(crate) struct ConnectorSpec {
    /// The registered type name.
    pub(crate) kind: String,
    /// The connector's own config (every key but `type`).
    pub(crate) config: Value,
}

impl ConnectorSpec {
    /// Splits a `source:` or `sink:` section; errors are `(path, message)`
    /// relative to the section.
    pub(crate) fn from_value(value: Value) -> Result<Self, (String, String)> {
        let Value::Object(mut map) = value else {
            return Err((
                String::new(),
                format!(
                    "expected a mapping with a `type` key, found {}",
                    kind_of(&value)
                ),
            ));
        };
        let kind = match map.remove("type") {
            Some(Value::String(kind)) => kind,
            Some(other) => {
                return Err((
                    "type".into(),
                    format!("expected a connector name, found {}", kind_of(&other)),
                ));
            }
            None => {
                return Err((
                    "type".into(),
                    "missing: name the connector (see `faucet connectors`)".into(),
                ));
            }
        };
        Ok(Self {
            kind,
            config: Value::Object(Map::from_iter(map)),
        })
    }
}

/// A `transforms:` item: the transform's section and its policy for
/// records it fails on.
#[derive(Debug, Clone)]
pub(crate) struct TransformSpec {
    /// The registered type name and the transform's own config (every key
    /// but `type` and `on_error`).
    pub(crate) connector: ConnectorSpec,
    /// What a record the transform fails on does.
    pub(crate) on_error: OnError,
}

impl TransformSpec {
    /// Splits a `transforms:` item; errors are `(path, message)` relative
    /// to the item.
    pub(crate) fn from_value(value: Value) -> Result<Self, (String, String)> {
        let mut connector = ConnectorSpec::from_value(value)?;
        let on_error = match connector
            .config
            .as_object_mut()
            .and_then(|map| map.remove("on_error"))
        {
            None | Some(Value::Null) => OnError::default(),
            Some(value) => serde_json::from_value(value).map_err(|err| {
                let message = err.to_string();
                let message = if message.contains("expected") {
                    message
                } else {
                    format!("{message}: expected `fail`, `skip` or `dead_letter`")
                };
                ("on_error".to_owned(), message)
            })?,
        };
        Ok(Self {
            connector,
            on_error,
        })
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The schema of the top level, for `faucet schema` (connector sections
/// are filled in from the registry there).
pub(crate) fn top_level_schema() -> schemars::Schema {
    schemars::schema_for!(PipelineSpec)
}
