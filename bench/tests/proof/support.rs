//! Shared support of the proof tests: running `faucet`, fixtures, and
//! exactly-once assertions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use faucet_bench::binaries::{self, Profile};
use faucet_bench::dataset::{Digest, expected_digest};
use faucet_bench::pipeline;
use faucet_bench::process::{Child, Exit};
use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use serde_json::Value;

/// The longest any single `faucet` invocation may take in these tests.
pub(crate) const RUN_DEADLINE: Duration = Duration::from_secs(120);

/// The debug `faucet` binary, built if missing or stale, pinned for this
/// test process: a hard link (else a copy) under `target/tmp`, so that a
/// rebuild in the shared target directory while the tests run cannot swap
/// the binary under a running test. Links of finished test processes are
/// removed.
pub(crate) fn faucet_bin() -> PathBuf {
    static PINNED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PINNED
        .get_or_init(|| {
            let built = binaries::faucet(Profile::Debug)
                .unwrap_or_else(|e| panic!("cannot get the faucet binary: {e:#}"));
            let dir = binaries::target_dir().join("tmp");
            std::fs::create_dir_all(&dir).expect("create target/tmp");
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let finished = name
                    .strip_prefix("faucet-proof-")
                    .is_some_and(|pid| !Path::new("/proc").join(pid).exists());
                if finished {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            let pinned = dir.join(format!("faucet-proof-{}", std::process::id()));
            let _ = std::fs::remove_file(&pinned);
            if std::fs::hard_link(&built, &pinned).is_err() {
                std::fs::copy(&built, &pinned)
                    .unwrap_or_else(|e| panic!("cannot copy {}: {e}", built.display()));
            }
            pinned
        })
        .clone()
}

/// A directory of one test's files.
pub(crate) fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("faucet-proof-")
        .tempdir()
        .expect("temporary directory")
}

/// Writes `pipeline` to `dir/pipeline.yaml` and returns the path.
pub(crate) fn write_pipeline(dir: &Path, pipeline: &Value) -> PathBuf {
    let path = dir.join("pipeline.yaml");
    pipeline::write(&path, pipeline).expect("write the pipeline file");
    path
}

/// Starts `faucet ARGS…` with the environment given.
pub(crate) fn spawn_faucet(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(faucet_bin());
    cmd.args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Child::spawn(&mut cmd).expect("start faucet")
}

/// Runs `faucet run FILE` to its end (at most [`RUN_DEADLINE`]) off the
/// async runtime.
pub(crate) async fn run_faucet(file: &Path) -> Exit {
    faucet(&["run".as_ref(), file.as_os_str()], &[]).await
}

/// Runs `faucet ARGS…` to its end off the async runtime.
pub(crate) async fn faucet(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Exit {
    let child = spawn_faucet(args, env);
    tokio::task::spawn_blocking(move || child.wait(RUN_DEADLINE).expect("wait for faucet"))
        .await
        .expect("join")
}

/// Waits for a child off the async runtime.
pub(crate) async fn wait(child: Child, deadline: Duration) -> Exit {
    tokio::task::spawn_blocking(move || child.wait(deadline).expect("wait for faucet"))
        .await
        .expect("join")
}

/// Asserts a run exited 0 without panicking.
#[track_caller]
pub(crate) fn assert_ok(exit: &Exit, what: &str) {
    assert!(
        !exit.panicked(),
        "{what}: faucet panicked: {}",
        exit.describe()
    );
    assert!(exit.success(), "{what}: faucet failed: {}", exit.describe());
}

/// Asserts that `got` holds records `1..=n` exactly once, as served.
#[track_caller]
pub(crate) fn assert_exactly_once(got: &Digest, n: u64, what: &str) {
    let want = expected_digest(n);
    assert_eq!(got.count, n, "{what}: wrong number of records: {got}");
    assert_eq!(got.distinct_ids, n, "{what}: duplicated ids: {got}");
    assert_eq!(
        got, &want,
        "{what}: payload differs from the source's: {got} vs {want}"
    );
}

/// A fixture server of `records` records, `page_size` per page, waiting
/// `latency_ms` before each response.
pub(crate) async fn fixture(records: u64, page_size: u64, latency_ms: u64) -> FixtureServer {
    FixtureServer::start(
        FixtureConfig::new(records)
            .with_page_size(page_size)
            .with_latency(Duration::from_millis(latency_ms)),
    )
    .await
    .expect("start the fixture server")
}

/// Fails the test when a future runs longer than `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = T>,
) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {limit:?}"),
    }
}
