//! The fault matrix: the fixture server injects a fault, `faucet run`
//! (REST → JSON Lines, and once REST → PostgreSQL) either completes with
//! every record exactly once, or stops with a clear error (no panic) and a
//! checkpoint from which the rerun completes, exactly once, without
//! starting over. Every run is bounded in time.

use std::time::Duration;

use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::process::Exit;
use faucet_bench::verify;
use faucet_testkit::fixture::{Fault, FaultRule, FixtureServer};
use serde_json::json;

use crate::support::*;

const RECORDS: u64 = 2_000;
const PAGE: u64 = 100;
/// Each case's whole budget, reruns included.
const CASE_LIMIT: Duration = Duration::from_secs(90);

/// Fast retries, so storms cost little time: 20 attempts, 10–100 ms.
fn quick_retry() -> serde_json::Value {
    json!({"max_attempts": 20, "initial_backoff_ms": 10, "max_backoff_ms": 100, "max_retry_after_secs": 5})
}

fn source(server: &FixtureServer, style: Style) -> RestSource {
    RestSource::new(server.url(), style, PAGE)
        .with_retry(quick_retry())
        .with_timeout_secs(2)
}

/// One fault case writing JSON Lines.
struct Case {
    server: FixtureServer,
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    out: std::path::PathBuf,
}

impl Case {
    async fn new(source: impl FnOnce(&FixtureServer) -> RestSource) -> Self {
        let server = fixture(RECORDS, PAGE, 0).await;
        let dir = workdir();
        let out = dir.path().join("out.jsonl");
        let p = pipeline::pipeline(
            "faults",
            source(&server).to_value(),
            pipeline::jsonl_sink(&out, 300),
        );
        let file = write_pipeline(dir.path(), &p);
        Self {
            server,
            _dir: dir,
            file,
            out,
        }
    }

    fn inject(&self, fault: Fault, after: u32, times: u32) {
        self.server.inject(
            FaultRule::new(fault)
                .on_path("/records")
                .after(after)
                .times(times),
        );
    }

    async fn run(&self) -> Exit {
        run_faucet(&self.file).await
    }

    /// Responses the server answered with `status`.
    fn served(&self, status: u16) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.status == status)
            .count()
    }

    fn assert_exactly_once(&self, what: &str) {
        let got = verify::jsonl_digest(&self.out).expect("read the output");
        assert_exactly_once(&got, RECORDS, what);
    }

    /// The run must complete, exactly once.
    async fn completes(&self, what: &str) {
        let exit = bounded(CASE_LIMIT, what, self.run()).await;
        assert_ok(&exit, what);
        self.assert_exactly_once(what);
    }

    /// The run completes exactly once, or fails cleanly with an error
    /// mentioning one of `words`, after which the rerun resumes (the
    /// first page is not fetched again) and completes exactly once.
    async fn completes_or_resumes(&self, what: &str, words: &[&str]) -> bool {
        bounded(CASE_LIMIT, what, async {
            let first = self.run().await;
            if first.success() {
                eprintln!("{what}: completed in one run");
                self.assert_exactly_once(what);
                return false;
            }
            eprintln!("{what}: stopped with {}; rerunning", first.status);
            assert_clean_failure(&first, what, words);
            let rerun = self.run().await;
            assert_ok(&rerun, &format!("{what}, rerun"));
            self.assert_exactly_once(&format!("{what}, rerun"));
            let first_pages = first_page_requests(&self.server);
            assert_eq!(
                first_pages, 1,
                "{what}: the rerun started over instead of resuming"
            );
            true
        })
        .await
    }
}

/// Requests for the first page of any style: `page=1`, `offset=0`, or a
/// cursor request without a cursor. One means a rerun resumed.
fn first_page_requests(server: &FixtureServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| {
            let query = r.query.as_deref().unwrap_or("");
            let has = |p: &str| query.split('&').any(|q| q == p);
            let cursor =
                r.path.ends_with("/cursor") && !query.split('&').any(|q| q.starts_with("cursor="));
            has("page=1") || has("offset=0") || cursor
        })
        .count()
}

/// A failure is clean when faucet exits 1 (not a panic, not a signal) and
/// says what went wrong.
#[track_caller]
fn assert_clean_failure(exit: &Exit, what: &str, words: &[&str]) {
    assert!(
        !exit.panicked(),
        "{what}: faucet panicked: {}",
        exit.describe()
    );
    assert!(!exit.timed_out, "{what}: faucet hung: {}", exit.describe());
    assert_eq!(
        exit.status.code(),
        Some(1),
        "{what}: expected exit 1: {}",
        exit.describe()
    );
    let stderr = exit.stderr.to_lowercase();
    assert!(
        words.iter().any(|w| stderr.contains(&w.to_lowercase())),
        "{what}: the error names none of {words:?}: {}",
        exit.describe()
    );
}

fn status(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
        headers: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_without_retry_after_completes_exactly_once() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(429, None), 3, 12);
    case.completes("429 storm").await;
    assert_eq!(case.served(429), 12, "the storm was not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_with_retry_after_completes_exactly_once() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(429, Some("1")), 2, 4);
    case.completes("429 storm with Retry-After").await;
    assert_eq!(case.served(429), 4, "the storm was not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_limit_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(429, Some("3600")), 8, 1);
    let failed = case
        .completes_or_resumes("Retry-After of an hour", &["rate", "429", "retry-after"])
        .await;
    assert!(
        failed,
        "a one-hour Retry-After (limit 5 s) must stop the run, not be waited out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_burst_completes_exactly_once() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(503, None), 5, 10);
    case.completes("503 burst").await;
    assert_eq!(case.served(503), 10, "the burst was not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_slower_than_the_timeout_is_retried() {
    // The delay is longer than the case limit: without a working timeout
    // the run would hang and the test fail.
    let case = Case::new(|s| source(s, Style::PageNumber).with_timeout_secs(1)).await;
    case.inject(Fault::Delay { ms: 600_000 }, 4, 2);
    case.completes("responses past the timeout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_body_is_retried() {
    let case = Case::new(|s| source(s, Style::Offset)).await;
    case.inject(Fault::DropMidBody, 3, 3);
    case.completes("connection dropped mid-body").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_completes_or_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::PageNumber).with_concurrency(1)).await;
    case.inject(Fault::Malformed, 8, 1);
    case.completes_or_resumes(
        "malformed JSON",
        &["json", "malformed", "decode", "expected"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_completes_or_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::Cursor)).await;
    case.inject(Fault::Truncated, 6, 1);
    case.completes_or_resumes(
        "truncated JSON",
        &["json", "malformed", "decode", "eof", "end of"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_response_completes_or_stops_cleanly_and_resumes() {
    let case = Case::new(|s| {
        source(s, Style::PageNumber)
            .with_concurrency(1)
            .with_max_response_bytes(1_048_576)
    })
    .await;
    case.inject(Fault::Oversize { bytes: 8 << 20 }, 8, 1);
    case.completes_or_resumes(
        "oversize response",
        &["1048576", "1 mib", "too large", "limit", "cap", "bytes"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_last_page_is_not_written_twice() {
    for style in [Style::PageNumber, Style::Cursor] {
        let case = Case::new(|s| source(s, style).with_query("repeat_last", "true")).await;
        case.completes(&format!("repeated last page ({})", style.name()))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_loop_ends_without_hanging_or_duplicating() {
    let case = Case::new(|s| source(s, Style::Cursor).with_query("cursor_loop", "true")).await;
    let exit = bounded(CASE_LIMIT, "cursor loop", case.run()).await;
    assert!(
        !exit.panicked() && !exit.timed_out,
        "cursor loop: {}",
        exit.describe()
    );
    // The API's third page points back to the second: the guard stops
    // there (or fails cleanly), saying why; pages 1-3 are written once.
    let got = verify::jsonl_digest(&case.out).expect("read the output");
    assert_eq!(
        got.count, got.distinct_ids,
        "cursor loop: duplicated records: {got}"
    );
    assert_eq!(
        (got.count, got.min_id, got.max_id),
        (3 * PAGE, 1, 3 * PAGE as i64),
        "cursor loop: expected exactly the three pages before the loop: {got}"
    );
    let words = ["loop", "twice", "seen"];
    if exit.success() {
        let stderr = exit.stderr.to_lowercase();
        assert!(
            words.iter().any(|w| stderr.contains(w)),
            "cursor loop: pagination ended without saying why: {}",
            exit.describe()
        );
    } else {
        assert_clean_failure(&exit, "cursor loop", &words);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_mid_run_into_postgres_resumes_exactly_once() {
    let server = fixture(RECORDS, PAGE, 0).await;
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let dir = workdir();
    let sink = pipeline::postgres_sink(pg.url(), schema.name(), "events", PgMode::Append, 300);
    let src = source(&server, Style::PageNumber).with_concurrency(1);
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("faults-pg", src.to_value(), sink),
    );
    server.inject(
        FaultRule::new(status(404, None))
            .on_path("/records")
            .after(9)
            .times(1),
    );
    let first = bounded(CASE_LIMIT, "404 mid-run", run_faucet(&file)).await;
    assert_clean_failure(&first, "404 mid-run", &["404"]);
    let rerun = bounded(CASE_LIMIT, "rerun", run_faucet(&file)).await;
    assert_ok(&rerun, "rerun after a 404");
    let table = format!("\"{}\".\"events\"", schema.name());
    let got = verify::pg_digest(schema.client(), &table)
        .await
        .expect("read the table");
    assert_exactly_once(&got, RECORDS, "REST → PostgreSQL after a 404 mid-run");
    let page1 = first_page_requests(&server);
    assert_eq!(page1, 1, "the rerun started over instead of resuming");
}
