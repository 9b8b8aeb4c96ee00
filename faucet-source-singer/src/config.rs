//! Configuration of the Singer source: serde and JSON Schema, no I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use faucet_core::schemars::JsonSchema;
use faucet_core::serde::{Deserialize, Serialize};
use faucet_core::serde_json::{Map, Value};

use crate::mask::Masker;

/// How to run a Singer tap and how to cut its output into pages.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct SingerSourceConfig {
    /// The tap's executable: a path, or a name looked up on `PATH`. With
    /// `pip_url`, the name of an executable of the managed virtualenv
    /// (`tap-postgres`).
    pub executable: String,

    /// Arguments given to the tap before the Singer flags (`--config`,
    /// `--catalog`, `--state`). Default: none.
    #[serde(default)]
    pub args: Vec<String>,

    /// What to `pip install` into a virtualenv managed by faucet
    /// (`meltanolabs-tap-postgres==0.10.0`, or several requirements
    /// separated by spaces, as Meltano's `pip_url`). The virtualenv is made
    /// on first use with the system `python3 -m venv`, under `venvs_dir`,
    /// and reused while `pip_url` stays the same. Default: none (run
    /// `executable` as it is).
    #[serde(default)]
    pub pip_url: Option<String>,

    /// Where managed virtualenvs live, one folder per `pip_url` (named by
    /// a hash of it). Default: `.faucet/venvs`.
    #[serde(default = "default_venvs_dir")]
    pub venvs_dir: PathBuf,

    /// The tap's own configuration, written to a file readable only by
    /// this user (mode 0600) that is given as `--config` and deleted when
    /// the tap ends. Values under secret-looking keys (`password`,
    /// `token`, `client_secret`, …) are masked in every log line and
    /// error faucet prints, including the tap's own output. Default: `{}`.
    #[serde(default)]
    pub config: Map<String, Value>,

    /// The catalog given to the tap as `catalog_flag`: a Singer catalog
    /// inline (`{"streams": [...]}`) or the path of a catalog file.
    /// Default: none (with `select`, the tap's `--discover` output).
    #[serde(default)]
    pub catalog: Option<SingerCatalog>,

    /// The streams to read, by `tap_stream_id` or `stream` name. The
    /// catalog (`catalog`, or the tap's `--discover` output) is given to
    /// the tap with exactly these streams selected (`selected: true` on
    /// the stream and in its `breadcrumb: []` metadata) and the others
    /// deselected. Default: none (the catalog as it is, or, without one,
    /// whatever the tap reads by default).
    #[serde(default)]
    pub select: Option<Vec<String>>,

    /// Extra environment variables for the tap (values of secret-looking
    /// names are masked like `config`'s). Default: none.
    #[serde(default)]
    pub env: BTreeMap<String, String>,

    /// Records of one stream per page: a page is cut when it holds this
    /// many. Default: `5000`.
    #[serde(default = "default_page_records")]
    pub page_records: usize,

    /// Longest time a record waits in a page before the page is cut, in
    /// milliseconds (a slow tap's records still reach the sink). Default:
    /// `1000`.
    #[serde(default = "default_page_max_ms")]
    pub page_max_ms: u64,

    /// Seconds the tap may go without writing a line (on stdout or
    /// stderr) before the run fails and the tap is stopped. Default:
    /// `300`.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,

    /// Seconds between SIGTERM and SIGKILL when the tap is stopped
    /// (cancelled run, idle timeout, dropped source). Default: `5`.
    #[serde(default = "default_kill_grace_secs")]
    pub kill_grace_secs: u64,

    /// The flag that gives the tap its state file. Default: `--state`.
    #[serde(default = "default_state_flag")]
    pub state_flag: String,

    /// The flag that gives the tap its catalog file (`--properties` for
    /// some older taps). Default: `--catalog`.
    #[serde(default = "default_catalog_flag")]
    pub catalog_flag: String,

    /// Whether the tap's state makes a rerun incremental: after a
    /// completed run, the next one starts the tap with the final state
    /// and reads only what is new. Set it for taps that read by
    /// replication key. Default: `false` (a completed run is read again
    /// only with `--restart` or into an idempotent sink).
    #[serde(default)]
    pub incremental: bool,

    /// Whether the tap restarts a full-table stream (one whose `SCHEMA`
    /// message has no `bookmark_properties`) from its beginning on every
    /// run, whatever the state, as Singer SDK taps do. Then the records of
    /// such a stream are counted from the stream's start instead of from
    /// the latest `STATE`, and a resumed run drops exactly the records
    /// already delivered: exactly once for full-table streams too, even
    /// into an appending sink. Leave it off for a tap that resumes
    /// full-table streams mid-way (by primary key, say): records would be
    /// lost. Off, a resumed full-table stream is delivered at least once.
    /// Default: `false`.
    #[serde(default)]
    pub full_table_restarts: bool,

    /// With `incremental`, the streams the tap reads in full on every run
    /// (full-table replication): a rerun after a completed run is refused
    /// unless the sink writes them idempotently. Default: none.
    #[serde(default)]
    pub full_refresh_streams: Vec<String>,
}

/// A Singer catalog, inline or in a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", untagged)]
#[schemars(crate = "faucet_core::schemars")]
pub enum SingerCatalog {
    /// The path of a catalog file (JSON).
    Path(PathBuf),
    /// The catalog itself: `{"streams": [...]}`.
    Inline(Map<String, Value>),
}

fn default_venvs_dir() -> PathBuf {
    PathBuf::from(".faucet/venvs")
}

fn default_page_records() -> usize {
    5000
}

fn default_page_max_ms() -> u64 {
    1000
}

fn default_idle_timeout_secs() -> u64 {
    300
}

fn default_kill_grace_secs() -> u64 {
    5
}

fn default_state_flag() -> String {
    "--state".to_owned()
}

fn default_catalog_flag() -> String {
    "--catalog".to_owned()
}

impl SingerSourceConfig {
    /// A config running `executable` with every default.
    pub fn new(executable: impl Into<String>) -> Self {
        Self {
            executable: executable.into(),
            args: Vec::new(),
            pip_url: None,
            venvs_dir: default_venvs_dir(),
            config: Map::new(),
            catalog: None,
            select: None,
            env: BTreeMap::new(),
            page_records: default_page_records(),
            page_max_ms: default_page_max_ms(),
            idle_timeout_secs: default_idle_timeout_secs(),
            kill_grace_secs: default_kill_grace_secs(),
            state_flag: default_state_flag(),
            catalog_flag: default_catalog_flag(),
            incremental: false,
            full_table_restarts: false,
            full_refresh_streams: Vec::new(),
        }
    }
}

/// Written by hand: the tap's config and env may hold credentials.
impl fmt::Debug for SingerSourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let masker = Masker::of(&self.config, &self.env);
        let config = Value::Object(self.config.clone()).to_string();
        let config = masker.mask(&config);
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", masker.mask(v)))
            .collect();
        f.debug_struct("SingerSourceConfig")
            .field("executable", &self.executable)
            .field("args", &self.args)
            .field("pip_url", &self.pip_url)
            .field("config", &config)
            .field("catalog", &self.catalog.as_ref().map(|_| "…"))
            .field("select", &self.select)
            .field("env", &env)
            .field("page_records", &self.page_records)
            .field("page_max_ms", &self.page_max_ms)
            .field("idle_timeout_secs", &self.idle_timeout_secs)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::serde_json::{self, json};

    #[test]
    fn defaults_and_an_inline_or_path_catalog() {
        let c: SingerSourceConfig = serde_json::from_value(json!({"executable": "tap-x"})).unwrap();
        assert_eq!(c.page_records, 5000);
        assert_eq!(c.state_flag, "--state");
        assert_eq!(c.venvs_dir, PathBuf::from(".faucet/venvs"));
        let c: SingerSourceConfig =
            serde_json::from_value(json!({"executable": "t", "catalog": "cat.json"})).unwrap();
        assert_eq!(c.catalog, Some(SingerCatalog::Path("cat.json".into())));
        let c: SingerSourceConfig =
            serde_json::from_value(json!({"executable": "t", "catalog": {"streams": []}})).unwrap();
        assert!(matches!(c.catalog, Some(SingerCatalog::Inline(_))));
    }

    #[test]
    fn debug_masks_secret_values() {
        let mut c = SingerSourceConfig::new("tap-x");
        c.config.insert("password".into(), json!("hunter2-secret"));
        c.config.insert("host".into(), json!("db.local"));
        c.env.insert("API_TOKEN".into(), "tok-123456".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2-secret") && !shown.contains("tok-123456"),
            "{shown}"
        );
        assert!(shown.contains("db.local"), "{shown}");
    }

    #[test]
    fn every_property_is_described() {
        let schema = faucet_core::schemars::schema_for!(SingerSourceConfig);
        let value = serde_json::to_value(&schema).unwrap();
        for (name, prop) in value["properties"].as_object().unwrap() {
            assert!(
                prop.get("description").is_some(),
                "{name} has no description"
            );
        }
    }
}
