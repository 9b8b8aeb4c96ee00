//! Shared helpers of the faucet-cli integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
