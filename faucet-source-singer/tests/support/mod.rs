//! Shared by the integration tests: real taps (from the package registry,
//! or small Python scripts written by a test), output readers and a log
//! capture.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use faucet_core::serde_json::{self, Value};
use faucet_source_singer::SingerSourceConfig;

/// tap-jsonl 0.3.1 from the package registry, in a cached virtualenv.
pub fn tap_jsonl() -> PathBuf {
    faucet_testkit::python::tool("tap-jsonl", "0.3.1", "tap-jsonl")
}

/// meltanolabs-tap-postgres 0.10.0, in a cached virtualenv.
pub fn tap_postgres() -> PathBuf {
    faucet_testkit::python::tool("meltanolabs-tap-postgres", "0.10.0", "tap-postgres")
}

/// Prelude of script taps: argument parsing and message helpers.
const PRELUDE: &str = r#"import json, os, sys, time
args = sys.argv[1:]
def arg(flag):
    return args[args.index(flag) + 1] if flag in args else None
def load(flag, default):
    path = arg(flag)
    return json.load(open(path)) if path else default
CONFIG = load("--config", {})
STATE = load("--state", None)
def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
def schema(stream, props, key=()):
    emit({"type": "SCHEMA", "stream": stream, "schema": {"type": "object", "properties": props}, "key_properties": list(key)})
def record(stream, rec):
    emit({"type": "RECORD", "stream": stream, "record": rec})
def state(value):
    emit({"type": "STATE", "value": value})
"#;

/// Writes an executable Python tap: the prelude, then `body`.
pub fn script_tap(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "#!/usr/bin/env python3").unwrap();
    file.write_all(PRELUDE.as_bytes()).unwrap();
    file.write_all(body.as_bytes()).unwrap();
    drop(file);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A config running `tap` with small pages (so runs have many).
pub fn config_for(tap: &Path) -> SingerSourceConfig {
    let mut config = SingerSourceConfig::new(tap.display().to_string());
    config.page_records = 100;
    config
}

/// Every line of a JSON Lines file, parsed.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Log output captured for one test (current-thread runtimes run every
/// task of the test on the thread the capture is set on).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures every event at `debug` and above until the guard drops.
    pub fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether a process with `pid` still runs (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
