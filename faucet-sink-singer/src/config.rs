//! Configuration of the Singer sink: which target to run and how.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use faucet_core::schemars::JsonSchema;
use faucet_core::serde::{Deserialize, Serialize};
use faucet_core::serde_json::{Map, Value};

use crate::mask::Masker;

/// Which Singer target the sink feeds, and how.
///
/// The target is `executable` (a path, or a name looked up on `PATH`), or,
/// with `pip_url`, the executable of that name in a virtualenv the sink
/// creates on first use with the system `python3 -m venv` and keeps under
/// `venvs_dir`.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct SingerSinkConfig {
    /// The target's executable: a path or a name on `PATH`
    /// (`target-postgres`); with `pip_url`, the name of an executable the
    /// package installs.
    pub executable: String,

    /// Arguments given to the target before `--config <file>`.
    /// Default: none.
    #[serde(default)]
    pub args: Vec<String>,

    /// What `pip install` installs into the target's own virtualenv
    /// (`meltanolabs-target-postgres==0.8.1`, a git URL, several
    /// requirements separated by spaces). The virtualenv is made once with
    /// the system `python3 -m venv` and reused while `pip_url` is
    /// unchanged. Default: none (`executable` is run as it is).
    #[serde(default)]
    pub pip_url: Option<String>,

    /// Where managed virtualenvs are kept, one folder per `pip_url`.
    /// Default: `venvs` under `state_dir`.
    #[serde(default)]
    pub venvs_dir: Option<PathBuf>,

    /// The target's own settings, written to a file only the current user
    /// can read (mode 0600) and passed as `--config <file>`; the file is
    /// removed when the target exits. Values at keys named like
    /// credentials (`password`, `token`, `private_key`, …) and passwords
    /// in URLs are masked in every log line and error. Default: `{}`.
    #[serde(default)]
    pub config: Map<String, Value>,

    /// Environment variables set for the target, on top of faucet's own.
    /// Values of variables named like credentials are masked in logs and
    /// errors. Default: none.
    #[serde(default)]
    pub env: BTreeMap<String, String>,

    /// The fields that identify a record, per stream, sent as the
    /// `key_properties` of the stream's `SCHEMA` message: a target that
    /// upserts (target-postgres does when a stream has key properties)
    /// then keeps one row per key. A stream not listed takes the key the
    /// source declared with the page's schema (`x-key-properties` or
    /// `key_properties` in it), else none. Default: none.
    #[serde(default)]
    pub key_properties: BTreeMap<String, Vec<String>>,

    /// The stream name given to pages that name none (a single-stream
    /// source). Default: the pipeline's name.
    #[serde(default)]
    pub stream: Option<String>,

    /// Whether the target keeps one copy of a record written twice: set it
    /// when the target upserts by the key properties of every stream it
    /// receives. Then a run after a crash (which may send records the
    /// target had already committed) leaves no duplicates, the pipeline
    /// reports exactly-once delivery, and a completed pipeline may be run
    /// again from the start. Default: `false`.
    #[serde(default)]
    pub idempotent: bool,

    /// Where the sink keeps the last state the target confirmed, one file
    /// per pipeline (`<state_dir>/<pipeline>.json`), and the managed
    /// virtualenvs. Default: `.faucet/singer`.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,

    /// The longest the sink waits on the target while it neither reads
    /// its input, writes a line, nor exits (a large batch being loaded
    /// counts as waiting); after that the target is stopped and the run
    /// fails. Default: `300`.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,

    /// Seconds between SIGTERM and SIGKILL when the target's process group
    /// is stopped (a failed or abandoned run, an idle target).
    /// Default: `10`.
    #[serde(default = "default_terminate_grace_secs")]
    pub terminate_grace_secs: u64,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from(".faucet/singer")
}

fn default_idle_timeout_secs() -> u64 {
    300
}

fn default_terminate_grace_secs() -> u64 {
    10
}

impl SingerSinkConfig {
    /// A config running `executable` with every other field at its
    /// default, the same defaults a pipeline file gets:
    ///
    /// ```
    /// # use faucet_sink_singer::SingerSinkConfig;
    /// use faucet_core::serde_json::{from_value, json};
    /// let parsed: SingerSinkConfig = from_value(json!({"executable": "target-jsonl"})).unwrap();
    /// assert_eq!(parsed, SingerSinkConfig::new("target-jsonl"));
    /// assert_eq!(parsed.idle_timeout_secs, 300);
    /// ```
    pub fn new(executable: impl Into<String>) -> Self {
        Self {
            executable: executable.into(),
            args: Vec::new(),
            pip_url: None,
            venvs_dir: None,
            config: Map::new(),
            env: BTreeMap::new(),
            key_properties: BTreeMap::new(),
            stream: None,
            idempotent: false,
            state_dir: default_state_dir(),
            idle_timeout_secs: default_idle_timeout_secs(),
            terminate_grace_secs: default_terminate_grace_secs(),
        }
    }

    /// The folder of managed virtualenvs, explicit or under `state_dir`.
    pub fn venvs_dir(&self) -> PathBuf {
        self.venvs_dir
            .clone()
            .unwrap_or_else(|| self.state_dir.join("venvs"))
    }

    /// What masks this config's secrets in text.
    pub(crate) fn masker(&self) -> Masker {
        Masker::of(&self.config, &self.env)
    }
}

impl fmt::Debug for SingerSinkConfig {
    /// The config with every secret value masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masker = self.masker();
        let config = Value::Object(self.config.clone()).to_string();
        let config = masker.mask(&config);
        let env: BTreeMap<&str, String> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), masker.mask(v).into_owned()))
            .collect();
        f.debug_struct("SingerSinkConfig")
            .field("executable", &self.executable)
            .field("args", &self.args)
            .field("pip_url", &self.pip_url.as_deref().map(|p| masker.mask(p)))
            .field("venvs_dir", &self.venvs_dir)
            .field("config", &config)
            .field("env", &env)
            .field("key_properties", &self.key_properties)
            .field("stream", &self.stream)
            .field("idempotent", &self.idempotent)
            .field("state_dir", &self.state_dir)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .field("terminate_grace_secs", &self.terminate_grace_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::serde_json::json;

    #[test]
    fn every_field_is_documented() {
        let schema = faucet_core::schemars::schema_for!(SingerSinkConfig);
        let missing = faucet_core::schema::undocumented_properties(&schema.to_value());
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err =
            faucet_core::parse_config::<SingerSinkConfig>(json!({"executable": "t", "arg": ["x"]}))
                .unwrap_err()
                .to_string();
        assert!(err.contains("arg"), "{err}");
    }

    #[test]
    fn debug_masks_secrets_in_config_env_and_urls() {
        let config: SingerSinkConfig = faucet_core::serde_json::from_value(json!({
            "executable": "target-postgres",
            "config": {"host": "db", "password": "hunter2-pw",
                       "sqlalchemy_url": "postgresql://me:url-secret@db/x",
                       "nested": {"api_key": "k-123456"}},
            "env": {"TARGET_TOKEN": "tok-abcdef", "PLAIN": "visible"},
        }))
        .unwrap();
        let shown = format!("{config:?}");
        for secret in ["hunter2-pw", "url-secret", "k-123456", "tok-abcdef"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("visible") && shown.contains("host"),
            "{shown}"
        );
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn defaults_are_those_of_a_pipeline_file() {
        let parsed: SingerSinkConfig =
            faucet_core::serde_json::from_value(json!({"executable": "target-jsonl"})).unwrap();
        assert_eq!(parsed.state_dir, PathBuf::from(".faucet/singer"));
        assert_eq!(parsed.venvs_dir(), PathBuf::from(".faucet/singer/venvs"));
        assert_eq!(parsed.terminate_grace_secs, 10);
        assert!(!parsed.idempotent);
    }
}
