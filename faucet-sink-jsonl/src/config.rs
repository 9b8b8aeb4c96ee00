//! Configuration of the JSON Lines sink.

use std::path::PathBuf;

use faucet_core::schemars::JsonSchema;
use faucet_core::serde::{Deserialize, Serialize};

use crate::names::PathTemplate;

/// Where and how the JSON Lines sink writes records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct JsonlSinkConfig {
    /// File to append records to, one JSON document per line; `-` writes to
    /// standard output (which cannot be rolled back, so stdout runs are not
    /// resumable). A path holding `{stream}` (`out/{stream}.jsonl`) writes
    /// one file per stream of a source that reads several, with the
    /// stream's name in place of `{stream}`: letters, digits, `-`, `_` and
    /// `.` as they are, every other byte (`/`, `%`, NUL, a leading `.`) as
    /// `%XX`, so a name never leaves the directory. A plain path takes one
    /// stream. Parent directories are created. Default: `-`.
    #[serde(default = "default_path")]
    pub path: PathBuf,

    /// Where the sink keeps its checkpoint and the committed length of the
    /// file (of every file, for a `{stream}` path: one state file for all
    /// streams). Default: the output path with `.faucet-state.json`
    /// appended, `{stream}` read as `faucet-streams`
    /// (`out/faucet-streams.jsonl.faucet-state.json`).
    #[serde(default)]
    pub state_path: Option<PathBuf>,

    /// Records written between commits. A commit flushes, fsyncs the file
    /// and atomically records its length with the checkpoint; larger values
    /// are faster, smaller ones replay less after a crash (nothing is ever
    /// duplicated: a resume truncates uncommitted bytes). Default: `20000`.
    #[serde(default = "default_commit_records")]
    pub commit_records: usize,

    /// Whether commits fsync the file and the state. Turning this off is
    /// faster and survives a process crash, but not a power loss.
    /// Default: `true`.
    #[serde(default = "default_true")]
    pub fsync: bool,
}

fn default_path() -> PathBuf {
    PathBuf::from("-")
}

fn default_commit_records() -> usize {
    20_000
}

fn default_true() -> bool {
    true
}

impl Default for JsonlSinkConfig {
    fn default() -> Self {
        Self {
            path: default_path(),
            state_path: None,
            commit_records: default_commit_records(),
            fsync: true,
        }
    }
}

impl JsonlSinkConfig {
    /// A config writing to `path` with every other field at its default,
    /// the same defaults a pipeline file gets:
    ///
    /// ```
    /// # use faucet_sink_jsonl::JsonlSinkConfig;
    /// use faucet_core::serde_json::{from_value, json};
    /// let parsed: JsonlSinkConfig = from_value(json!({"path": "out/records.jsonl"})).unwrap();
    /// assert_eq!(parsed, JsonlSinkConfig::new("out/records.jsonl"));
    /// assert_eq!(parsed.commit_records, 20_000);
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            ..Self::default()
        }
    }

    /// Whether `path` holds `{stream}`: one file per stream.
    pub fn is_per_stream(&self) -> bool {
        PathTemplate::of(&self.path).is_some()
    }

    /// Whether the output is standard output.
    pub fn is_stdout(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The state file path, explicit or derived from `path`.
    pub fn state_path(&self) -> PathBuf {
        self.state_path.clone().unwrap_or_else(|| {
            let path = PathTemplate::of(&self.path)
                .map_or_else(|| self.path.clone(), |t| t.with("faucet-streams"));
            let mut name = path.into_os_string();
            name.push(".faucet-state.json");
            PathBuf::from(name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_documented() {
        let schema = faucet_core::schemars::schema_for!(JsonlSinkConfig);
        let missing = faucet_core::schema::undocumented_properties(&schema.to_value());
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = faucet_core::parse_config::<JsonlSinkConfig>(
            faucet_core::serde_json::json!({"pth": "x"}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("pth"), "{err}");
    }

    #[test]
    fn state_path_defaults_next_to_the_output() {
        let config = JsonlSinkConfig::new("out/a.jsonl");
        assert_eq!(
            config.state_path(),
            PathBuf::from("out/a.jsonl.faucet-state.json")
        );
        let config = JsonlSinkConfig::new("out/{stream}.jsonl");
        assert!(config.is_per_stream());
        assert_eq!(
            config.state_path(),
            PathBuf::from("out/faucet-streams.jsonl.faucet-state.json")
        );
    }
}
