//! Reruns and concurrent runs: a completed append pipeline is never
//! appended again by a routine rerun, `--restart` does it on purpose, an
//! upsert pipeline repeats harmlessly, and two runs of one pipeline at once
//! cannot both write.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::process::Exit;
use faucet_bench::verify;

use crate::support::*;

const RECORDS: u64 = 2_000;
const PAGE: u64 = 100;

fn rest(url: &str) -> serde_json::Value {
    RestSource::new(url, Style::PageNumber, PAGE)
        .with_concurrency(1)
        .to_value()
}

async fn run_with(file: &Path, extra: &[&str]) -> Exit {
    let mut args: Vec<&OsStr> = vec!["run".as_ref()];
    args.extend(extra.iter().map(OsStr::new));
    args.push(file.as_os_str());
    bounded(RUN_DEADLINE, "faucet run", faucet(&args, &[])).await
}

/// Asserts the rerun was refused with the words a user needs.
#[track_caller]
fn assert_refused_as_completed(exit: &Exit, pipeline: &str) {
    assert!(!exit.panicked(), "rerun panicked: {}", exit.describe());
    assert_eq!(exit.status.code(), Some(1), "rerun: {}", exit.describe());
    let said = &exit.stderr;
    assert!(
        said.contains(&format!("pipeline `{pipeline}` completed at ")),
        "the refusal names the pipeline and when it completed: {said}"
    );
    assert!(
        said.contains("--restart"),
        "the refusal names --restart: {said}"
    );
}

/// One test's REST → PostgreSQL pipeline: the fixture, the schema and
/// table it loads, and the file.
struct PgCase {
    server: faucet_testkit::fixture::FixtureServer,
    schema: faucet_testkit::postgres::TestSchema,
    table: String,
    file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl PgCase {
    async fn new(name: &str, mode: PgMode, batch_rows: u64, latency_ms: u64) -> Self {
        let server = fixture(RECORDS, PAGE, latency_ms).await;
        let pg = faucet_testkit::postgres::server();
        let schema = pg.fresh_schema().await;
        let table = format!("\"{}\".\"events\"", schema.name());
        let dir = workdir();
        let sink = pipeline::postgres_sink(pg.url(), schema.name(), "events", mode, batch_rows);
        let file = write_pipeline(
            dir.path(),
            &pipeline::pipeline(name, rest(&server.url()), sink),
        );
        Self {
            server,
            schema,
            table,
            file,
            _dir: dir,
        }
    }

    async fn digest(&self) -> faucet_bench::dataset::Digest {
        verify::pg_digest(self.schema.client(), &self.table)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_append_into_postgres_is_not_appended_again() {
    let case = PgCase::new("rerun-pg", PgMode::Append, 500, 0).await;
    let (server, file) = (&case.server, &case.file);
    assert_ok(&run_with(file, &[]).await, "the first run");
    let digest = || case.digest();
    assert_exactly_once(&digest().await, RECORDS, "after the first run");

    let requests = server.request_count();
    assert_refused_as_completed(&run_with(file, &[]).await, "rerun-pg");
    assert_eq!(
        server.request_count(),
        requests,
        "a refused rerun reads nothing"
    );
    assert_exactly_once(&digest().await, RECORDS, "after a refused rerun");

    assert_ok(&run_with(file, &["--restart"]).await, "the restarted run");
    let twice = digest().await;
    assert_eq!(
        twice.count,
        2 * RECORDS,
        "--restart appends everything again: {twice}"
    );
    assert_eq!(twice.distinct_ids, RECORDS, "{twice}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_upsert_into_postgres_repeats_harmlessly() {
    let case = PgCase::new("rerun-upsert", PgMode::Upsert, 500, 0).await;
    for run in ["the first run", "the rerun"] {
        assert_ok(&run_with(&case.file, &[]).await, run);
        assert_exactly_once(&case.digest().await, RECORDS, run);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_append_into_jsonl_is_not_appended_again() {
    let server = fixture(RECORDS, PAGE, 0).await;
    let dir = workdir();
    let out = dir.path().join("out.jsonl");
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline(
            "rerun-jsonl",
            rest(&server.url()),
            pipeline::jsonl_sink(&out, 300),
        ),
    );
    assert_ok(&run_with(&file, &[]).await, "the first run");
    assert_refused_as_completed(&run_with(&file, &[]).await, "rerun-jsonl");
    let got = verify::jsonl_digest(&out).unwrap();
    assert_exactly_once(&got, RECORDS, "after a refused rerun");
}

/// Starts a slow run, then a second one of the same file once the first
/// has begun writing; the second must fail fast naming the first, and the
/// first must complete exactly.
async fn second_run_fails_fast(file: &Path, started: impl Fn() -> bool) {
    let first = spawn_faucet(&["run".as_ref(), file.as_os_str()], &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !started() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never started writing"
        );
        assert!(
            !first.has_exited(),
            "the first run ended before the second started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = run_with(file, &[]).await;
    assert!(
        !first.has_exited(),
        "the second run must be refused while the first still runs"
    );
    assert!(!second.panicked(), "{}", second.describe());
    assert_eq!(second.status.code(), Some(1), "{}", second.describe());
    assert!(
        second.stderr.contains("is already running"),
        "the refusal says the pipeline is running: {}",
        second.stderr
    );
    assert!(
        second.wall < Duration::from_secs(10),
        "the second run waited {:?} instead of failing fast",
        second.wall
    );
    assert_ok(&wait(first, RUN_DEADLINE).await, "the first run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_of_one_postgres_pipeline_cannot_both_write() {
    // 20 pages of 100 ms: the first run takes about 2 s.
    let case = PgCase::new("twice-pg", PgMode::Append, 100, 100).await;
    second_run_fails_fast(&case.file, || case.server.request_count() >= 2).await;
    let got = case.digest().await;
    assert_exactly_once(&got, RECORDS, "after two concurrent runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_of_one_jsonl_pipeline_cannot_both_write() {
    let server = fixture(RECORDS, PAGE, 100).await;
    let dir = workdir();
    let out = dir.path().join("out.jsonl");
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline(
            "twice-jsonl",
            rest(&server.url()),
            pipeline::jsonl_sink(&out, 100),
        ),
    );
    second_run_fails_fast(&file, || server.request_count() >= 2).await;
    let got = verify::jsonl_digest(&out).unwrap();
    assert_exactly_once(&got, RECORDS, "after two concurrent runs");
}
