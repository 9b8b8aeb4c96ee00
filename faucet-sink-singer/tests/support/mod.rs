//! What the tests share: the real Singer targets, and reading what they
//! wrote.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use faucet_core::serde_json::{self, Value, json};
use faucet_sink_singer::SingerSinkConfig;

/// target-jsonl 0.1.4 from the package registry (a cached virtualenv).
pub fn target_jsonl() -> PathBuf {
    faucet_testkit::python::tool("target-jsonl", "0.1.4", "target-jsonl")
}

/// meltanolabs-target-postgres 0.8.1 from the package registry.
pub fn target_postgres() -> PathBuf {
    faucet_testkit::python::tool("meltanolabs-target-postgres", "0.8.1", "target-postgres")
}

/// A sink config for target-jsonl writing `<dir>/out/<stream>.jsonl`,
/// keeping its state in `<dir>/state`.
pub fn jsonl_config(dir: &Path) -> SingerSinkConfig {
    let mut config = SingerSinkConfig::new(target_jsonl().to_string_lossy());
    config.config = json!({
        "destination_path": dir.join("out").to_string_lossy(),
        "do_timestamp_file": false,
    })
    .as_object()
    .cloned()
    .unwrap();
    config.state_dir = dir.join("state");
    config.idle_timeout_secs = 60;
    config
}

/// The JSON values of a JSON Lines file, one per line; none when the file
/// does not exist.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}
