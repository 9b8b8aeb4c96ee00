//! Splitting a pipeline file's top level into its sections.

use faucet_core::parse_config;
use serde_json::{Map, Value};

use super::paths::{join, located};
use super::spec::{ConnectorSpec, Settings, StateSpec, TransformSpec};

const TOP_LEVEL_KEYS: [&str; 7] = [
    "name",
    "source",
    "transforms",
    "streams",
    "sink",
    "state",
    "settings",
];

/// The top-level sections; `None` where a section has errors.
pub(crate) struct Sections {
    /// `name:` (itself optional).
    pub(crate) name: Option<Option<String>>,
    /// `source:`.
    pub(crate) source: Option<ConnectorSpec>,
    /// `sink:`.
    pub(crate) sink: Option<ConnectorSpec>,
    /// `transforms:` items, in order; `None` for an item with errors (the
    /// list itself absent: empty).
    pub(crate) transforms: Vec<Option<TransformSpec>>,
    /// `streams:` (itself optional).
    pub(crate) streams: Option<Option<Vec<String>>>,
    /// `state:` (itself optional).
    pub(crate) state: Option<Option<StateSpec>>,
    /// `settings:`, defaulted when absent.
    pub(crate) settings: Option<Settings>,
}

/// Splits the top level into its sections, collecting every error. Keys
/// starting with `x-` are ignored: they hold YAML anchors to reuse.
pub(crate) fn split(value: Value, errors: &mut Vec<(String, String)>) -> Sections {
    let Value::Object(mut map) = value else {
        errors.push((
            String::new(),
            "expected a mapping with `source` and `sink` sections".into(),
        ));
        return Sections {
            name: None,
            source: None,
            sink: None,
            transforms: Vec::new(),
            streams: None,
            state: None,
            settings: None,
        };
    };
    for key in map.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            errors.push((
                key.clone(),
                format!(
                    "unknown key, expected one of `{}`",
                    TOP_LEVEL_KEYS.join("`, `")
                ),
            ));
        }
    }
    Sections {
        name: section(&mut map, "name", errors),
        streams: streams(&mut map, errors),
        state: section(&mut map, "state", errors),
        settings: section::<Settings>(&mut map, "settings", errors).map(Option::unwrap_or_default),
        source: connector(&mut map, "source", errors),
        sink: connector(&mut map, "sink", errors),
        transforms: transforms(&mut map, errors),
    }
}

/// Parses an optional section; `Some(None)` when absent, `None` on error.
fn section<T: serde::de::DeserializeOwned>(
    map: &mut Map<String, Value>,
    key: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<Option<T>> {
    match map.remove(key) {
        None | Some(Value::Null) => Some(None),
        Some(value) => match parse_config::<T>(value) {
            Ok(parsed) => Some(Some(parsed)),
            Err(err) => {
                errors.push(located(key, err));
                None
            }
        },
    }
}

/// The `streams:` list: stream names, at least one.
fn streams(
    map: &mut Map<String, Value>,
    errors: &mut Vec<(String, String)>,
) -> Option<Option<Vec<String>>> {
    let names = section::<Vec<String>>(map, "streams", errors)?;
    match names {
        Some(names) if names.is_empty() => {
            errors.push((
                "streams".to_owned(),
                "an empty list writes nothing: name at least one stream (see `faucet discover`), \
                 or remove the key to write every stream"
                    .to_owned(),
            ));
            None
        }
        Some(names) if names.iter().any(String::is_empty) => {
            errors.push(("streams".to_owned(), "a stream name is empty".to_owned()));
            None
        }
        names => Some(names),
    }
}

fn connector(
    map: &mut Map<String, Value>,
    key: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<ConnectorSpec> {
    let Some(value) = map.remove(key) else {
        errors.push((
            key.to_owned(),
            format!("missing: every pipeline needs a `{key}` section"),
        ));
        return None;
    };
    ConnectorSpec::from_value(value)
        .map_err(|(path, message)| errors.push((join(key, &path), message)))
        .ok()
}

/// The `transforms:` list, each item split into its type, policy and
/// config; errors at `transforms[i]…`.
fn transforms(
    map: &mut Map<String, Value>,
    errors: &mut Vec<(String, String)>,
) -> Vec<Option<TransformSpec>> {
    let items = match map.remove("transforms") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push((
                "transforms".to_owned(),
                "expected a list of transforms, each a mapping with a `type` key".to_owned(),
            ));
            return Vec::new();
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            TransformSpec::from_value(item)
                .map_err(|(path, message)| {
                    errors.push((join(&format!("transforms[{i}]"), &path), message))
                })
                .ok()
        })
        .collect()
}
