//! The minimal [`PipelineLoader`]: a JSON spec built through the registry.

use std::path::PathBuf;

use faucet_core::{FaucetError, OnError, Registry};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::loader::{LoadedPipeline, PipelineLoader, PipelineSettings, Spec, SpecError};
use crate::mask::{Masker, secrets_in};

/// The minimal loader: a JSON spec whose connector sections are built
/// through the [`Registry`].
///
/// ```json
/// {
///   "name": "orders",
///   "source": {"type": "rest", "base_url": "https://api.example.com"},
///   "transforms": [{"type": "filter", "on_error": "skip", "where": "x > 1"}],
///   "sink": {"type": "jsonl", "path": "out/orders.jsonl"},
///   "state": {"dir": ".faucet/state"},
///   "settings": {"channel_depth": 4, "limit": 1000}
/// }
/// ```
///
/// `source` and `sink` are required, and `name` unless the spec was read
/// from a file (the name is then the file's, without its extension). Values at keys named like
/// credentials (`token`, `password`, `api_key`, …) are the pipeline's
/// secrets, masked in everything the server says. It substitutes no
/// environment variables and reads no YAML: the `faucet` CLI's loader
/// does both.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLoader;

/// The top level of a JSON spec.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSpec {
    #[serde(default)]
    name: Option<String>,
    source: Value,
    sink: Value,
    #[serde(default)]
    transforms: Vec<Value>,
    #[serde(default)]
    state: Option<StateSpec>,
    #[serde(default)]
    settings: SettingsSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateSpec {
    dir: PathBuf,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsSpec {
    #[serde(default)]
    channel_depth: Option<usize>,
    #[serde(default)]
    limit: Option<u64>,
}

impl PipelineLoader for JsonLoader {
    fn load(&self, spec: Spec<'_>, registry: &Registry) -> Result<LoadedPipeline, Vec<SpecError>> {
        let spec_file = spec.file;
        let value: Value = serde_json::from_str(spec.text)
            .map_err(|err| vec![SpecError::new("", format!("not a JSON spec: {err}"))])?;
        let mut secrets = Vec::new();
        secrets_in(&value, &mut secrets);
        let masker = Masker::new(&secrets);
        let spec: JsonSpec = serde_path_to_error(value, &masker)?;
        let mut errors = Vec::new();
        let source = section(&spec.source, "source", &masker, &mut errors, |t, c| {
            registry.build_source(t, c)
        });
        let mut transforms = Vec::new();
        for (i, item) in spec.transforms.iter().enumerate() {
            let prefix = format!("transforms[{i}]");
            let mut item = item.clone();
            let on_error = take_on_error(&mut item, &prefix, &mut errors);
            let built = section(&item, &prefix, &masker, &mut errors, |t, c| {
                registry.build_transform(t, c)
            });
            if let Some(built) = built {
                transforms.push((built, on_error));
            }
        }
        let sink = section(&spec.sink, "sink", &masker, &mut errors, |t, c| {
            registry.build_sink(t, c)
        });
        let file_name = spec_file_stem(spec_file);
        let name = spec.name.or(file_name).unwrap_or_default();
        if name.trim().is_empty() {
            errors.push(SpecError::new("name", "missing: name the pipeline"));
        }
        let (Some(source), Some(sink), true) = (source, sink, errors.is_empty()) else {
            return Err(errors);
        };
        let mut settings = PipelineSettings::default();
        settings.channel_depth = spec
            .settings
            .channel_depth
            .unwrap_or(settings.channel_depth);
        settings.limit = spec.settings.limit;
        settings.state_dir = spec.state.map(|s| s.dir);
        let mut loaded = LoadedPipeline::new(name, source, sink)
            .with_settings(settings)
            .with_secrets(secrets);
        for (transform, on_error) in transforms {
            loaded = loaded.with_transform(transform, on_error);
        }
        Ok(loaded)
    }
}

/// The file name without its extension, the default pipeline name.
fn spec_file_stem(file: Option<&std::path::Path>) -> Option<String> {
    Some(file?.file_stem()?.to_string_lossy().into_owned())
}

/// Parses the top level, naming the path of a bad value.
fn serde_path_to_error(value: Value, masker: &Masker) -> Result<JsonSpec, Vec<SpecError>> {
    faucet_core::parse_config(value).map_err(|err| vec![spec_error("", &err, masker)])
}

/// Splits a connector section into its `type` and config and builds it.
fn section<T>(
    value: &Value,
    prefix: &str,
    masker: &Masker,
    errors: &mut Vec<SpecError>,
    build: impl Fn(&str, Value) -> faucet_core::Result<T>,
) -> Option<T> {
    let Value::Object(map) = value else {
        errors.push(SpecError::new(
            prefix,
            "expected an object with a `type` key",
        ));
        return None;
    };
    let mut config: Map<String, Value> = map.clone();
    let kind = match config.remove("type") {
        Some(Value::String(kind)) => kind,
        _ => {
            let path = format!("{prefix}.type");
            errors.push(SpecError::new(path, "missing: name a registered connector"));
            return None;
        }
    };
    match build(&kind, Value::Object(config)) {
        Ok(built) => Some(built),
        Err(err) => {
            errors.push(spec_error(prefix, &err, masker));
            None
        }
    }
}

/// Removes a transform's `on_error` key and parses it.
fn take_on_error(item: &mut Value, prefix: &str, errors: &mut Vec<SpecError>) -> OnError {
    let Some(value) = item.as_object_mut().and_then(|m| m.remove("on_error")) else {
        return OnError::default();
    };
    serde_json::from_value(value).unwrap_or_else(|err| {
        errors.push(SpecError::new(
            format!("{prefix}.on_error"),
            err.to_string(),
        ));
        OnError::default()
    })
}

/// A build error as a spec error under `prefix`, masked.
fn spec_error(prefix: &str, err: &FaucetError, masker: &Masker) -> SpecError {
    let (path, message) = match err {
        FaucetError::Config { path, message, .. } => (path.as_str(), message.clone()),
        other => ("", other.to_string()),
    };
    let path = match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    };
    SpecError::new(path, masker.text(&message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::connector::*;

    struct Nothing;
    #[async_trait]
    impl Source for Nothing {
        async fn fetch(&self, _: &SourceContext) -> Result<Vec<Record>> {
            Ok(Vec::new())
        }
    }
    #[async_trait]
    impl Sink for Nothing {
        async fn write_batch(&self, records: &[Record]) -> Result<usize> {
            Ok(records.len())
        }
    }

    /// Config of the test connectors.
    #[derive(Deserialize, JsonSchema)]
    #[serde(crate = "faucet_core::serde", deny_unknown_fields)]
    #[schemars(crate = "faucet_core::schemars")]
    #[allow(dead_code)]
    struct NothingConfig {
        /// A number.
        #[serde(default)]
        size: u64,
        /// A secret.
        #[serde(default)]
        token: Option<String>,
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        registry.register_source("nothing", "Reads nothing.", |_: NothingConfig| Ok(Nothing));
        registry.register_sink("nothing", "Writes nothing.", |_: NothingConfig| Ok(Nothing));
        registry
    }

    #[test]
    fn a_good_spec_builds_with_its_settings_and_secrets() {
        let spec = r#"{"name": "p", "source": {"type": "nothing", "token": "tok-12345"},
            "sink": {"type": "nothing"}, "settings": {"limit": 5}, "state": {"dir": "st"}}"#;
        let loaded = JsonLoader.load(Spec::new(spec), &registry()).unwrap();
        assert_eq!(loaded.name, "p");
        assert_eq!(loaded.settings.limit, Some(5));
        assert_eq!(loaded.settings.state_dir, Some(PathBuf::from("st")));
        assert_eq!(loaded.secrets, ["tok-12345"]);
    }

    #[test]
    fn every_bad_section_is_reported_with_its_path_and_no_secret() {
        let spec = r#"{"name": "p", "source": {"type": "nothing", "size": "big", "token": "tok-12345"},
            "sink": {"type": "missing"}}"#;
        let errors = JsonLoader.load(Spec::new(spec), &registry()).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].path, "source.size");
        assert_eq!(errors[1].path, "sink.type");
        assert!(errors[1].message.contains("unknown sink type `missing`"));
        let unknown = JsonLoader.load(
            Spec::new(r#"{"name": "p", "source": {}, "sink": {}, "x": 1}"#),
            &registry(),
        );
        assert!(
            unknown.unwrap_err()[0]
                .message
                .contains("unknown field `x`")
        );
    }

    #[test]
    fn a_spec_from_a_file_is_named_after_it_unless_it_names_itself() {
        let text = r#"{"source": {"type": "nothing"}, "sink": {"type": "nothing"}}"#;
        let file = std::path::Path::new("pipes/orders.json");
        let loaded = JsonLoader
            .load(Spec::from_file(text, file), &registry())
            .unwrap();
        assert_eq!(loaded.name, "orders");
        let errors = JsonLoader.load(Spec::new(text), &registry()).unwrap_err();
        assert_eq!(
            errors,
            [SpecError::new("name", "missing: name the pipeline")]
        );
    }

    #[test]
    fn text_that_is_not_json_is_one_error() {
        let errors = JsonLoader
            .load(Spec::new("name: p"), &registry())
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.starts_with("not a JSON spec"),
            "{errors:?}"
        );
    }
}
