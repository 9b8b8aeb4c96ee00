//! Shared helpers of the faucet-cli integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub(crate) mod shop;

/// The `faucet` binary, run in `dir` with a clean variable environment
/// for the names tests use.
pub(crate) fn faucet(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("faucet").expect("the faucet binary is built");
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("TOKEN")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Runs `faucet validate FILE` in `dir` to completion.
pub(crate) fn validate(dir: &Path, file: &Path) -> std::process::Output {
    faucet(dir)
        .arg("validate")
        .arg(file)
        .output()
        .expect("faucet validate runs")
}

/// Writes `text` to `dir/name` and returns the path.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// Stdout of a finished command as text.
pub(crate) fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr of a finished command as text.
pub(crate) fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The workspace root (the parent of this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("faucet-cli sits in the workspace")
        .to_path_buf()
}

/// Runs a command to completion off the async runtime (the fixture server
/// in this process keeps serving meanwhile).
pub(crate) async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run faucet"))
        .await
        .expect("join")
}

/// The `id` of every line of a JSON Lines file, in order.
pub(crate) fn jsonl_ids(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("bad line {line:?} in {}: {e}", path.display()));
            record["id"].as_u64().expect("record has an id")
        })
        .collect()
}

/// Number of complete lines in a file (0 when it does not exist).
pub(crate) fn line_count(path: &Path) -> usize {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// A REST (page numbers, `per_page`) → JSON Lines pipeline against
/// `base_url`, committing every `per_page` records.
pub(crate) fn rest_to_jsonl(base_url: &str, per_page: u64, out: &Path) -> String {
    format!(
        "source:\n  type: rest\n  base_url: \"{base_url}\"\n  path: /records/page\n  records: data\n  \
         concurrency: 1\n  pagination: {{kind: page_number, size_param: per_page, size: {per_page}}}\n\
         sink:\n  type: jsonl\n  path: \"{}\"\n  commit_records: {per_page}\n",
        out.display()
    )
}

/// Sends `signal` (e.g. `INT`) to process `pid`.
pub(crate) fn send_signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits until `ready()` holds, checking every 20 ms, for at most `secs`.
pub(crate) async fn wait_until(secs: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
