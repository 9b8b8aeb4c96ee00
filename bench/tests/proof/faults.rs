//! The fault matrix: the fixture server injects a fault, `faucet run`
//! (REST → JSON Lines, and once REST → PostgreSQL) either completes with
//! every record exactly once, or stops with a clear error (no panic) and a
//! checkpoint from which the rerun completes, exactly once, without
//! starting over. Every run is bounded in time.
//!
//! Each case also reads the fixture's request log to show that its fault
//! fired exactly as often as injected and that nothing else was fetched
//! twice: a retried request asks again for the same query, so in a run
//! that completes, requests minus distinct queries is exactly the number
//! of faulted responses.

use std::collections::{BTreeMap, HashSet};
use std::ops::RangeInclusive;
use std::time::Duration;

use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::process::Exit;
use faucet_bench::verify;
use faucet_testkit::fixture::{Fault, FaultRule, FixtureServer};
use serde_json::json;

use crate::support::*;

const RECORDS: u64 = 2_000;
const PAGE: u64 = 100;
/// Full pages the fixture serves.
const PAGES: usize = (RECORDS / PAGE) as usize;
/// Requests in flight unless a case says otherwise; set explicitly so
/// that the request bounds below can be derived from it.
const CONCURRENCY: u32 = 4;
/// Each case's whole budget, reruns included.
const CASE_LIMIT: Duration = Duration::from_secs(90);

/// Fast retries, so storms cost little time: 20 attempts, 10–100 ms.
fn quick_retry() -> serde_json::Value {
    json!({"max_attempts": 20, "initial_backoff_ms": 10, "max_backoff_ms": 100, "max_retry_after_secs": 5})
}

fn source(server: &FixtureServer, style: Style) -> RestSource {
    RestSource::new(server.url(), style, PAGE)
        .with_concurrency(CONCURRENCY)
        .with_retry(quick_retry())
        .with_timeout_secs(2)
}

/// One fault case writing JSON Lines.
struct Case {
    server: FixtureServer,
    style: Style,
    concurrency: u32,
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
    out: std::path::PathBuf,
    report: std::path::PathBuf,
}

impl Case {
    async fn new(source: impl FnOnce(&FixtureServer) -> RestSource) -> Self {
        let server = fixture(RECORDS, PAGE, 0).await;
        let dir = workdir();
        let out = dir.path().join("out.jsonl");
        let src = source(&server);
        let p = pipeline::pipeline("faults", src.to_value(), pipeline::jsonl_sink(&out, 300));
        let file = write_pipeline(dir.path(), &p);
        let report = dir.path().join("report.json");
        Self {
            server,
            style: src.style,
            concurrency: src.concurrency.unwrap_or(CONCURRENCY),
            _dir: dir,
            file,
            out,
            report,
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

    /// Runs `faucet run --report …`, so that [`Case::retries`] can read
    /// the retries this run counted.
    async fn run(&self) -> Exit {
        let _ = std::fs::remove_file(&self.report);
        let args = [
            "run".as_ref(),
            "--report".as_ref(),
            self.report.as_os_str(),
            self.file.as_os_str(),
        ];
        faucet(&args, &[]).await
    }

    /// The retries the last run reported, by cause.
    fn retries(&self) -> BTreeMap<String, u64> {
        let text = std::fs::read_to_string(&self.report)
            .unwrap_or_else(|e| panic!("no run report at {}: {e}", self.report.display()));
        let report: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
        serde_json::from_value(report["retries"].clone()).expect("retries map causes to counts")
    }

    /// Asserts the last run reported exactly `want` retries, by cause.
    #[track_caller]
    fn assert_retries(&self, what: &str, want: &[(&str, u64)]) {
        let want: BTreeMap<String, u64> = want.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        assert_eq!(self.retries(), want, "{what}: retries by cause");
    }

    /// Responses the server answered with `status`.
    fn served(&self, status: u16) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.status == status)
            .count()
    }

    /// The query of every records request, in log order: the order of
    /// arrival when fetching is sequential (concurrency 1, or a cursor).
    fn queries(&self) -> Vec<String> {
        self.server
            .requests_to("/records")
            .into_iter()
            .map(|r| r.query.unwrap_or_default())
            .collect()
    }

    /// How many distinct queries a complete read asks for. A cursor
    /// chain asks for each of the `PAGES` pages once and stops at the
    /// null cursor. Page and offset styles stop at the first empty page
    /// (`PAGES + 1`); its answer frees its slot of the `c` in flight
    /// before it is examined in order, so up to `c` more pages
    /// (`PAGES + 2 ..= PAGES + 1 + c`) may be asked for meanwhile.
    fn complete_read(&self) -> RangeInclusive<usize> {
        match self.style {
            Style::Cursor => PAGES..=PAGES,
            _ => PAGES + 1..=PAGES + 1 + self.concurrency as usize,
        }
    }

    /// Asserts the log of one complete run: every page asked for within
    /// [`Case::complete_read`], and exactly `faulted` requests asking
    /// again for a query asked before (one per faulted response that the
    /// retry replaced; no page fetched twice otherwise).
    #[track_caller]
    fn assert_requests(&self, what: &str, faulted: usize) {
        let queries = self.queries();
        let distinct = queries.iter().collect::<HashSet<_>>().len();
        let want = self.complete_read();
        assert!(
            want.contains(&distinct),
            "{what}: {distinct} distinct pages asked for, expected {want:?}: {queries:?}"
        );
        assert_eq!(
            queries.len() - distinct,
            faulted,
            "{what}: expected exactly {faulted} requests asked again (the faulted ones): {queries:?}"
        );
    }

    /// Asserts that `query` was asked for exactly twice: once answered
    /// with the fault, once more (a retry or the rerun) answered normally.
    #[track_caller]
    fn assert_asked_twice(&self, what: &str, query: &str) {
        let queries = self.queries();
        let asked = queries.iter().filter(|q| *q == query).count();
        assert_eq!(
            asked, 2,
            "{what}: the faulted request `{query}` was asked {asked} times, expected 2: {queries:?}"
        );
    }

    /// The query of the `n`th (0-based) records request; fetching must be
    /// sequential so that log order is arrival order.
    fn nth_query(&self, n: usize) -> String {
        let queries = self.queries();
        queries
            .get(n)
            .unwrap_or_else(|| panic!("fewer than {} records requests: {queries:?}", n + 1))
            .clone()
    }

    fn assert_exactly_once(&self, what: &str) {
        let got = verify::jsonl_digest(&self.out).expect("read the output");
        assert_exactly_once(&got, RECORDS, what);
    }

    /// The run must complete in one run, exactly once, having asked
    /// again for exactly `faulted` requests (see [`Case::assert_requests`])
    /// and reporting exactly the `retries` given, by cause.
    async fn completes(&self, what: &str, faulted: usize, retries: &[(&str, u64)]) -> Exit {
        let exit = bounded(CASE_LIMIT, what, self.run()).await;
        assert_ok(&exit, what);
        self.assert_exactly_once(what);
        self.assert_requests(what, faulted);
        self.assert_retries(what, retries);
        exit
    }

    /// The run completes exactly once, or fails cleanly with an error
    /// mentioning one of `words`, after which the rerun resumes (the
    /// first page is not fetched again) and completes exactly once.
    /// Returns the first run.
    async fn completes_or_resumes(&self, what: &str, words: &[&str]) -> Exit {
        bounded(CASE_LIMIT, what, async {
            let first = self.run().await;
            if first.success() {
                eprintln!("{what}: completed in one run");
                self.assert_exactly_once(what);
                self.assert_requests(what, 1);
                let retried: u64 = self.retries().values().sum();
                assert_eq!(retried, 1, "{what}: one retry, of the faulted page");
                return first;
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
            first
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
    // Each of the 12 429s is asked again; nothing else is.
    case.completes("429 storm", 12, &[("429", 12)]).await;
    assert_eq!(case.served(429), 12, "the storm was not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_with_retry_after_completes_exactly_once() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(429, Some("1")), 2, 4);
    let exit = case
        .completes("429 storm with Retry-After", 4, &[("429", 4)])
        .await;
    assert_eq!(case.served(429), 4, "the storm was not served");
    // Every 429 asks for 1 s, so the run lasts at least 1 s (the four
    // waits may overlap, concurrency 4); ignoring Retry-After, the quick
    // backoff (at most 100 ms) finishes the whole run in about 0.2 s.
    assert!(
        exit.wall >= Duration::from_secs(1),
        "429 storm with Retry-After: finished in {:?}, so a `Retry-After: 1` was not waited out",
        exit.wall
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_limit_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(429, Some("3600")), 8, 1);
    let what = "Retry-After of an hour";
    let first = case
        .completes_or_resumes(what, &["rate", "429", "retry-after"])
        .await;
    assert!(
        !first.success(),
        "a one-hour Retry-After (limit 5 s) must stop the run, not be waited out"
    );
    assert_eq!(case.served(429), 1, "{what}: the 429 was not served once");
    let limited = case
        .server
        .requests_to("/records")
        .into_iter()
        .find(|r| r.status == 429)
        .and_then(|r| r.query)
        .unwrap_or_default();
    case.assert_asked_twice(what, &limited);
    // It stops rather than waiting: well under even the 5 s it may wait.
    assert!(
        first.wall < Duration::from_secs(5),
        "{what}: the run took {:?} to stop",
        first.wall
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_burst_completes_exactly_once() {
    let case = Case::new(|s| source(s, Style::PageNumber)).await;
    case.inject(status(503, None), 5, 10);
    case.completes("503 burst", 10, &[("503", 10)]).await;
    assert_eq!(case.served(503), 10, "the burst was not served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_slower_than_the_timeout_is_retried() {
    // The delay is longer than the case limit: without a working timeout
    // the run would hang and the test fail.
    let what = "responses past the timeout";
    let case = Case::new(|s| source(s, Style::PageNumber).with_timeout_secs(1)).await;
    case.inject(Fault::Delay { ms: 600_000 }, 4, 2);
    // A delayed response never completes, so it is never logged: the log
    // holds only the answered requests, each page once, and the report
    // says both delayed requests timed out and were retried.
    let exit = case.completes(what, 0, &[("timeout", 2)]).await;
    // A timed-out request waited its full 1 s (the two may overlap).
    assert!(
        exit.wall >= Duration::from_secs(1),
        "{what}: finished in {:?}, shorter than one timeout",
        exit.wall
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_body_is_retried() {
    let case = Case::new(|s| source(s, Style::Offset)).await;
    case.inject(Fault::DropMidBody, 3, 3);
    // The three broken responses are logged (status 200) and asked again.
    case.completes("connection dropped mid-body", 3, &[("connection", 3)])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_completes_or_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::PageNumber).with_concurrency(1)).await;
    case.inject(Fault::Malformed, 8, 1);
    let what = "malformed JSON";
    case.completes_or_resumes(what, &["json", "malformed", "decode", "expected"])
        .await;
    // Sequential: the ninth request got the fault.
    case.assert_asked_twice(what, &case.nth_query(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_completes_or_stops_cleanly_and_resumes() {
    let case = Case::new(|s| source(s, Style::Cursor)).await;
    case.inject(Fault::Truncated, 6, 1);
    let what = "truncated JSON";
    case.completes_or_resumes(what, &["json", "malformed", "decode", "eof", "end of"])
        .await;
    // A cursor chain is sequential: the seventh request got the fault.
    case.assert_asked_twice(what, &case.nth_query(6));
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
    let what = "oversize response";
    case.completes_or_resumes(
        what,
        &["1048576", "1 mib", "too large", "limit", "cap", "bytes"],
    )
    .await;
    // Sequential: the ninth request got the fault.
    case.assert_asked_twice(what, &case.nth_query(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_last_page_is_not_written_twice() {
    for style in [Style::PageNumber, Style::Cursor] {
        let case = Case::new(|s| source(s, style).with_query("repeat_last", "true")).await;
        let what = format!("repeated last page ({})", style.name());
        // Nothing is asked twice: the cursor chain stops at the last
        // page's cursor (pointing at itself) without asking it again.
        case.completes(&what, 0, &[]).await;
        if style == Style::PageNumber {
            // The page past the end was asked for, and so served the last
            // page again.
            let past_end = format!("page={}", PAGES + 1);
            assert!(
                case.queries()
                    .iter()
                    .any(|q| q.split('&').any(|p| p == past_end)),
                "{what}: the repeated page was never served: {:?}",
                case.queries()
            );
        }
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
    // Exactly three requests: the third page (carrying the loop) was
    // served, and its cursor, seen before, was not asked for again.
    let queries = case.queries();
    assert_eq!(
        queries.len(),
        3,
        "cursor loop: expected three requests: {queries:?}"
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
    // The 404 was served once (tenth request) and its page asked for
    // once more, by the rerun.
    let records = server.requests_to("/records");
    let not_found: Vec<_> = records.iter().filter(|r| r.status == 404).collect();
    assert_eq!(not_found.len(), 1, "the 404 was not served once");
    let asked = records
        .iter()
        .filter(|r| r.query == not_found[0].query)
        .count();
    assert_eq!(
        asked, 2,
        "the 404's page was asked {asked} times, expected 2"
    );
}
