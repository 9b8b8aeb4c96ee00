//! Reading a pipeline file: text → YAML → substitution → sections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use faucet_core::parse_config;
use serde_json::{Map, Value};

use super::spec::{ConnectorSpec, Settings, StateSpec};
use super::substitute::Substituter;
use super::{FileErrors, dotenv};

/// Where variables come from besides the environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// A `.env` file to read; when `None`, `./.env` is read if it exists.
    pub(crate) env_file: Option<PathBuf>,
}

/// A pipeline file, read and split, with connector configs not yet parsed.
#[derive(Debug, Clone)]
pub(crate) struct PipelineFile {
    /// The file as the user named it.
    pub(crate) path: PathBuf,
    /// The pipeline's name (its state key).
    pub(crate) name: String,
    /// The `source:` section.
    pub(crate) source: ConnectorSpec,
    /// The `sink:` section.
    pub(crate) sink: ConnectorSpec,
    /// The `state:` section.
    pub(crate) state: Option<StateSpec>,
    /// The `settings:` section.
    pub(crate) settings: Settings,
}

const TOP_LEVEL_KEYS: [&str; 5] = ["name", "source", "sink", "state", "settings"];

/// Reads, substitutes and splits the pipeline file at `path`. Every
/// problem found is reported at once, each with its path in the file.
pub(crate) fn load(path: &Path, options: &LoadOptions) -> Result<PipelineFile, FileErrors> {
    let fail = |path_in_file: &str, message: String| FileErrors {
        file: path.display().to_string(),
        errors: vec![(path_in_file.to_owned(), message)],
    };
    let raw = std::fs::read_to_string(path).map_err(|e| fail("", format!("cannot read: {e}")))?;
    let dotenv = read_dotenv(options).map_err(|e| fail("", format!("{e:#}")))?;
    let mut value: Value =
        serde_yaml_ng::from_str(&raw).map_err(|e| fail("", format!("not valid YAML: {e}")))?;
    let lookup = |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    };
    let mut errors: Vec<(String, String)> = Substituter::new(&lookup, &raw)
        .apply(&mut value)
        .into_iter()
        .map(|e| (e.path, e.message))
        .collect();
    let sections = split(value, &mut errors);
    match sections {
        Some((name, source, sink, state, settings)) if errors.is_empty() => Ok(PipelineFile {
            path: path.to_owned(),
            name: name.unwrap_or_else(|| default_name(path)),
            source,
            sink,
            state,
            settings,
        }),
        _ => Err(FileErrors {
            file: path.display().to_string(),
            errors,
        }),
    }
}

type Sections = (
    Option<String>,
    ConnectorSpec,
    ConnectorSpec,
    Option<StateSpec>,
    Settings,
);

/// Splits the top level into its sections, collecting every error.
fn split(value: Value, errors: &mut Vec<(String, String)>) -> Option<Sections> {
    let Value::Object(mut map) = value else {
        errors.push((
            String::new(),
            "expected a mapping with `source` and `sink` sections".into(),
        ));
        return None;
    };
    for key in map.keys() {
        if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
            errors.push((
                key.clone(),
                format!(
                    "unknown key, expected one of `{}`",
                    TOP_LEVEL_KEYS.join("`, `")
                ),
            ));
        }
    }
    let name = section(&mut map, "name", errors);
    let state = section(&mut map, "state", errors);
    let settings = section::<Settings>(&mut map, "settings", errors);
    let source = connector(&mut map, "source", errors);
    let sink = connector(&mut map, "sink", errors);
    Some((
        name?,
        source?,
        sink?,
        state?,
        settings.map(Option::unwrap_or_default)?,
    ))
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
                errors.push(config_error(err.at_path(key)));
                None
            }
        },
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

/// `(path, message)` of a config error, or the whole error for others.
pub(crate) fn config_error(err: faucet_core::FaucetError) -> (String, String) {
    match err {
        faucet_core::FaucetError::Config { path, message } => (path, message),
        other => (String::new(), other.to_string()),
    }
}

/// `prefix.path`, or `prefix` alone.
pub(crate) fn join(prefix: &str, path: &str) -> String {
    match path {
        "" => prefix.to_owned(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => format!("{prefix}.{p}"),
    }
}

fn read_dotenv(options: &LoadOptions) -> anyhow::Result<BTreeMap<String, String>> {
    match &options.env_file {
        Some(file) => dotenv::read(file),
        None if Path::new(".env").is_file() => dotenv::read(Path::new(".env")),
        None => Ok(BTreeMap::new()),
    }
}

fn default_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| faucet_core::DEFAULT_PIPELINE_NAME.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<PipelineFile, FileErrors> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.yaml");
        std::fs::write(&path, text).unwrap();
        let env = dir.path().join("test.env");
        std::fs::write(&env, "FROM_DOTENV=out.jsonl\n").unwrap();
        load(
            &path,
            &LoadOptions {
                env_file: Some(env),
            },
        )
    }

    #[test]
    fn splits_sections_and_defaults_the_name() {
        let file = load_text(
            "source: {type: rest, base_url: 'http://x'}\nsink: {type: jsonl, path: '${FROM_DOTENV}'}\n",
        )
        .unwrap();
        assert_eq!(file.name, "users");
        assert_eq!(file.source.kind, "rest");
        assert_eq!(file.source.config["base_url"], "http://x");
        assert_eq!(file.sink.config["path"], "out.jsonl");
        assert_eq!(file.settings.channel_depth, 4);
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let err = load_text(
            "sorce: {}\nsink: {path: x}\nsettings: {channel_depth: many}\nname: '${NOT_SET_ANYWHERE}'\n",
        )
        .unwrap_err();
        let text = err.to_string();
        for expected in [
            "name: environment variable `NOT_SET_ANYWHERE` is not set",
            "sorce: unknown key",
            "settings.channel_depth: invalid type",
            "source: missing",
            "sink.type: missing",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
    }

    #[test]
    fn yaml_syntax_errors_give_the_line() {
        let err = load_text("source: [\n").unwrap_err().to_string();
        assert!(
            err.contains("not valid YAML") && err.contains("line"),
            "{err}"
        );
    }
}
