//! Reading a pipeline file: text → YAML → substitution → sections →
//! connectors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use faucet_core::Registry;
use serde_json::Value;

use super::build::{Connectors, build};
use super::locate::locate;
use super::placeholders::find_unfilled;
use super::sections::{Sections, split};
use super::spec::{ConnectorSpec, Settings, StateSpec, TransformSpec};
use super::substitute::Substituter;
use super::{FileErrors, dotenv};

/// Where variables come from besides the environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// A `.env` file to read; when `None`, `./.env` is read if it exists.
    pub(crate) env_file: Option<PathBuf>,
}

/// A pipeline file, read and split.
#[derive(Debug, Clone)]
pub(crate) struct PipelineFile {
    /// The pipeline's name (its state key).
    pub(crate) name: String,
    /// The `source:` section.
    pub(crate) source: ConnectorSpec,
    /// The `transforms:` items, in order.
    pub(crate) transforms: Vec<TransformSpec>,
    /// The `sink:` section.
    pub(crate) sink: ConnectorSpec,
    /// The `streams:` selection (`None`: every stream).
    pub(crate) streams: Option<Vec<String>>,
    /// The `state:` section.
    pub(crate) state: Option<StateSpec>,
    /// The `settings:` section.
    pub(crate) settings: Settings,
}

/// Reads, substitutes and splits the pipeline file at `path`, and builds
/// its connectors through `registry` (no I/O). Every problem found is
/// reported at once, each with its path in the file.
pub(crate) fn load(
    path: &Path,
    options: &LoadOptions,
    registry: &Registry,
) -> Result<(PipelineFile, Connectors), FileErrors> {
    let fail = |message: String| FileErrors {
        file: path.display().to_string(),
        errors: vec![(String::new(), message)],
    };
    let raw = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let dotenv = read_dotenv(options).map_err(|e| fail(format!("{e:#}")))?;
    let lookup = |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    };
    let text = Text {
        raw: &raw,
        file: path.display().to_string(),
        default_name: default_name(path),
    };
    load_text(&text, &lookup, registry)
}

/// Pipeline text and how to name it.
pub(crate) struct Text<'a> {
    /// The YAML or JSON text.
    pub(crate) raw: &'a str,
    /// What messages call it (the file as the user named it).
    pub(crate) file: String,
    /// The pipeline's name when the text sets none.
    pub(crate) default_name: String,
}

/// [`load`] of text already read, `${VAR}` looked up with `lookup`.
pub(crate) fn load_text(
    text: &Text<'_>,
    lookup: &dyn Fn(&str) -> Option<String>,
    registry: &Registry,
) -> Result<(PipelineFile, Connectors), FileErrors> {
    let raw = text.raw;
    let fail = |message: String| FileErrors {
        file: text.file.clone(),
        errors: vec![(String::new(), message)],
    };
    let mut value = parse_yaml(raw).map_err(fail)?;
    let substituter = Substituter::new(lookup, raw);
    let mut errors: Vec<(String, String)> = substituter
        .apply(&mut value)
        .into_iter()
        .map(|e| (e.path, e.message))
        .collect();
    let typed = substituter.into_typed();
    find_unfilled(&value, "", &mut errors);
    let sections = split(value, &mut errors);
    let connectors = build(&sections, registry, &typed, &mut errors);
    match (sections, connectors) {
        (
            Sections {
                name: Some(name),
                source: Some(source),
                sink: Some(sink),
                transforms,
                streams: Some(streams),
                state: Some(state),
                settings: Some(settings),
            },
            Some(connectors),
        ) if errors.is_empty() => {
            let name = name.unwrap_or_else(|| text.default_name.clone());
            let file = PipelineFile {
                name,
                source,
                transforms: transforms.into_iter().flatten().collect(),
                sink,
                streams,
                state,
                settings,
            };
            Ok((file, connectors))
        }
        _ => Err(FileErrors {
            file: text.file.clone(),
            errors: with_locations(raw, errors),
        }),
    }
}

/// YAML (or JSON) text as JSON, with anchors, aliases and `<<` merge keys
/// resolved, by serde-saphyr (pure Rust on a YAML 1.2 parser that passes
/// the YAML test suite; serde_yaml_ng, used before, rests on the archived
/// unsafe-libyaml).
fn parse_yaml(raw: &str) -> Result<Value, String> {
    // The parser's message quotes the offending lines; only its first line
    // (position and reason) is kept, so a literal secret nearby is never
    // echoed.
    serde_saphyr::from_str::<Value>(raw).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        format!("not valid YAML: {}", first.trim_start_matches("error: "))
    })
}

/// Each message with the line and column of its path in `raw`, when
/// found; a missing key is shown at its parent.
fn with_locations(raw: &str, errors: Vec<(String, String)>) -> Vec<(String, String)> {
    errors
        .into_iter()
        .map(|(path, message)| {
            let at = locate(raw, &path).or_else(|| {
                let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
                (message.starts_with("missing") && !parent.is_empty())
                    .then(|| locate(raw, parent))
                    .flatten()
            });
            match at {
                Some((line, column)) => (path, format!("{message} (line {line}, column {column})")),
                None => (path, message),
            }
        })
        .collect()
}

fn read_dotenv(options: &LoadOptions) -> anyhow::Result<BTreeMap<String, String>> {
    match &options.env_file {
        Some(file) => dotenv::read(file),
        None if Path::new(".env").is_file() => dotenv::read(Path::new(".env")),
        None => Ok(BTreeMap::new()),
    }
}

pub(crate) fn default_name(path: &Path) -> String {
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
            &crate::connectors::builtin(),
        )
        .map(|(file, _)| file)
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
    fn anchors_and_merge_keys_are_resolved() {
        let file = load_text(
            "x-common: &common {type: rest, base_url: 'http://a'}\nsource:\n  <<: *common\n  path: /p\nsink: {type: jsonl}\n",
        )
        .unwrap();
        assert_eq!(file.source.kind, "rest");
        assert_eq!(file.source.config["base_url"], "http://a");
        assert_eq!(file.source.config["path"], "/p");
    }

    #[test]
    fn yaml_syntax_errors_give_the_line() {
        let err = load_text("source: [\n").unwrap_err().to_string();
        assert!(
            err.contains("not valid YAML") && err.contains("line"),
            "{err}"
        );
        // The offending text is not quoted back: it may hold a secret.
        let err = load_text("sink: {type: jsonl}\nsource: {token: s3cr3t, [\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
