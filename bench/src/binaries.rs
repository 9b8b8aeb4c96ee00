//! Where the binaries under test are.
//!
//! `env!("CARGO_BIN_EXE_faucet")` only exists inside the `faucet-cli`
//! package, and Cargo cannot depend on another package's binary on stable.
//! So the tests here use `target/<profile>/faucet` of this workspace's
//! target directory (`CARGO_TARGET_DIR` when set), and run `cargo build -p
//! faucet-cli --bin faucet` first when that file is missing or older than
//! any source file of the crates it is built from. In CI, `cargo test
//! --workspace` has already built it (for faucet-cli's own tests) before
//! any test runs, so no second build happens. `FAUCET_BIN` (and
//! `FAUCET_FIXTURE_BIN`) name a binary to use instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use anyhow::{Context, bail};

/// Cargo profile of the binaries to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `target/debug`, built by `cargo build`.
    Debug,
    /// `target/release`, built by `cargo build --release`.
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Release => "release",
        }
    }
}

/// The workspace root (the parent of `bench/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Crates whose sources the `faucet` binary (and the fixture server) are
/// built from.
const SOURCE_CRATES: [&str; 8] = [
    "faucet-cli",
    "faucet-core",
    "faucet-common-http",
    "faucet-source-rest",
    "faucet-sink-jsonl",
    "faucet-sink-postgres",
    "faucet-serve",
    "faucet-testkit",
];

/// The `faucet` binary, built first if missing or stale (see the module
/// docs). Builds at most once per process.
pub fn faucet(profile: Profile) -> anyhow::Result<PathBuf> {
    binary("FAUCET_BIN", "faucet-cli", "faucet", profile)
}

/// The `faucet-fixture-server` binary, built first if missing or stale.
pub fn fixture_server(profile: Profile) -> anyhow::Result<PathBuf> {
    binary(
        "FAUCET_FIXTURE_BIN",
        "faucet-testkit",
        "faucet-fixture-server",
        profile,
    )
}

fn binary(env: &str, package: &str, bin: &str, profile: Profile) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(PathBuf::from(path));
    }
    // One build at a time, and each binary once per process.
    static BUILT: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Mutex::default)
        .lock()
        .expect("build lock");
    let path = target_dir().join(profile.dir()).join(bin);
    if built.contains(&path) {
        return Ok(path);
    }
    if !is_fresh(&path) {
        build(package, bin, profile)?;
    }
    if !path.is_file() {
        bail!("{} does not exist after building it", path.display());
    }
    built.push(path.clone());
    Ok(path)
}

fn build(package: &str, bin: &str, profile: Profile) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "-p", package, "--bin", bin]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot run cargo to build {bin}"))?;
    if !out.status.success() {
        bail!(
            "`cargo build -p {package} --bin {bin}` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Whether `binary` exists and is newer than every source file of the
/// crates it is built from.
fn is_fresh(binary: &Path) -> bool {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    let root = workspace_root();
    let newest = SOURCE_CRATES
        .iter()
        .filter_map(|krate| newest_mtime(&root.join(krate)))
        .max();
    newest.is_none_or(|newest| newest <= built)
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = dir.join("Cargo.toml").metadata().ok()?.modified().ok();
    let mut stack = vec![dir.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                newest = newest.max(Some(modified));
            }
        }
    }
    newest
}
