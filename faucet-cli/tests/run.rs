//! `faucet run` against the test kit's real HTTP fixture server: to
//! completion, with `--limit`/`--state`/`--dry-run`, and interrupted by
//! SIGINT then resumed with no missing and no duplicate records.

mod support;

use std::process::Stdio;
use std::time::Duration;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use support::{
    faucet, jsonl_ids, line_count, output, rest_to_jsonl, send_signal, stderr, stdout, wait_until,
    write,
};

#[tokio::test(flavor = "multi_thread")]
async fn runs_to_completion_with_every_record_once() {
    let server = FixtureServer::start(FixtureConfig::new(2_000))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out/records.jsonl");
    let file = write(
        dir.path(),
        "users.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );
    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--report", "report.json"]).arg(&file);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(jsonl_ids(&out), (1..=2_000).collect::<Vec<_>>());
    let report = read_report(dir.path());
    assert_eq!(report["outcome"], "completed");
    assert_eq!(report["pipeline"], "users");
    assert_eq!(report["guarantee"], "exactly_once");
    assert_eq!(report["progress"]["records_written"], 2_000);
    assert_eq!(report["progress"]["records_committed"], 2_000);
    let log = stderr(&result);
    for expected in [
        "Completed pipeline `users`",
        "2,000 read, 2,000 committed",
        "exactly-once",
        "from the start",
        "progress: ",
    ] {
        assert!(log.contains(expected), "{expected:?} not in:\n{log}");
    }
}

/// Starts `faucet run`, waits for `min_lines` in `out`, sends SIGINT
/// `signals` times, and returns the exit code and stderr.
async fn interrupt(
    file: &std::path::Path,
    out: &std::path::Path,
    min_lines: usize,
    signals: usize,
) -> Interrupted {
    interrupt_with(file, out, min_lines, &vec!["INT"; signals]).await
}

/// How an interrupted run ended.
struct Interrupted {
    code: Option<i32>,
    log: String,
    /// From the last signal sent to the process's exit.
    after_signals: Duration,
}

/// Starts `faucet run`, waits for `min_lines` in `out`, sends `signals`
/// (e.g. `INT`, `TERM`), and returns the exit code, stderr and how long
/// the process took to exit after the last signal.
async fn interrupt_with(
    file: &std::path::Path,
    out: &std::path::Path,
    min_lines: usize,
    signals: &[&str],
) -> Interrupted {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .arg("run")
        .arg(file)
        .current_dir(file.parent().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(60, "the first pages", || line_count(out) >= min_lines).await;
    for signal in signals {
        send_signal(child.id(), signal);
    }
    let signalled = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    Interrupted {
        code: result.status.code(),
        log: stderr(&result),
        after_signals: signalled.elapsed(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_stops_at_a_page_boundary_and_a_rerun_resumes_exactly_once() {
    let config = FixtureConfig::new(10_000).with_latency(Duration::from_millis(30));
    let server = FixtureServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "slow.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );

    let Interrupted { code, log, .. } = interrupt(&file, &out, 300, 1).await;
    assert_eq!(code, Some(130), "{log}");
    assert!(log.contains("Interrupted"), "{log}");
    let partial = jsonl_ids(&out);
    assert!(partial.len() < 10_000, "the run finished before the signal");
    assert_eq!(
        partial.len() % 100,
        0,
        "stopped mid-page: {} records",
        partial.len()
    );
    assert_eq!(partial, (1..=partial.len() as u64).collect::<Vec<_>>());

    let mut cmd = faucet(dir.path());
    cmd.arg("run").arg(&file);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("started     resumed after"),
        "{}",
        stderr(&result)
    );
    assert_eq!(jsonl_ids(&out), (1..=10_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_exits_at_once_and_a_rerun_is_still_exactly_once() {
    let config = FixtureConfig::new(5_000).with_latency(Duration::from_millis(30));
    let server = FixtureServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "twice.yaml",
        &rest_to_jsonl(&server.url(), 50, &out),
    );

    let Interrupted {
        code,
        log,
        after_signals,
    } = interrupt(&file, &out, 100, 2).await;
    assert_eq!(code, Some(130), "{log}");
    // "At once": the rest of the run is ~98 pages of 30 ms (about 3 s);
    // the second signal must end it well before, whatever page is in
    // flight (one page is 30 ms; 1 s allows for a loaded machine).
    assert!(
        after_signals < Duration::from_secs(1),
        "exited {after_signals:?} after the second signal"
    );
    assert!(
        jsonl_ids(&out).len() < 5_000,
        "the run finished before the signals"
    );

    let mut cmd = faucet(dir.path());
    cmd.arg("run").arg(&file);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(jsonl_ids(&out), (1..=5_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_with_a_state_dir_resumes_after_the_last_record_written() {
    let server = FixtureServer::start(FixtureConfig::new(500)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Standard output keeps no checkpoints: the state directory does.
    let text = rest_to_jsonl(&server.url(), 100, std::path::Path::new("-"));
    let file = write(dir.path(), "stdout.yaml", &text);
    let ids = |out: &std::process::Output| -> Vec<u64> {
        stdout(out)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };

    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--state", "st", "--limit", "250"])
        .arg(&file);
    let first = output(cmd).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(ids(&first), (1..=250).collect::<Vec<_>>());
    assert!(
        stderr(&first).contains("at-least-once"),
        "{}",
        stderr(&first)
    );
    assert!(dir.path().join("st/stdout.json").is_file());

    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--state", "st"]).arg(&file);
    let second = output(cmd).await;
    assert!(second.status.success(), "{}", stderr(&second));
    // The limit cut page 3 after 50 records: the rerun reads page 3 again,
    // drops the 50 already written and goes on from 251.
    assert_eq!(ids(&second), (251..=500).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_one_page_and_writes_nothing() {
    let server = FixtureServer::start(FixtureConfig::new(1_000))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.jsonl");
    let file = write(
        dir.path(),
        "dry.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );
    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--dry-run", "--limit", "3"]).arg(&file);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    let lines: Vec<serde_json::Value> = stdout(&result)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], faucet_testkit::fixture::record(1));
    assert!(stderr(&result).contains("Dry run"), "{}", stderr(&result));
    assert!(!out.exists(), "a dry run wrote {}", out.display());
    assert!(
        server.request_count() <= 4,
        "{} requests for one page",
        server.request_count()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_source_exits_1_with_the_cause_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    // Nothing listens on port 9 of 127.0.0.1 (discard is not served).
    let mut text = rest_to_jsonl("http://127.0.0.1:9", 10, &out);
    text.push_str("settings: {channel_depth: 2}\n");
    text = text.replace(
        "concurrency: 1",
        "concurrency: 1\n  http: {retry: {max_attempts: 1}}",
    );
    let file = write(dir.path(), "down.yaml", &text);
    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--report", "report.json"]).arg(&file);
    let result = output(cmd).await;
    assert_eq!(result.status.code(), Some(1), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("error: pipeline `down` failed"),
        "{}",
        stderr(&result)
    );
    let report = read_report(dir.path());
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["resume"]["kind"], "fresh");
    assert_eq!(report["progress"]["records_committed"], 0);
    assert!(
        report["error"]["kind"]
            .as_str()
            .is_some_and(|k| !k.is_empty()),
        "{report:#}"
    );
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("127.0.0.1:9"), "{report:#}");
    assert!(report["retries"].is_object(), "{report:#}");
}

/// The JSON written by `--report report.json` in `dir`.
fn read_report(dir: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join("report.json")).expect("report.json written");
    serde_json::from_slice(&bytes).expect("report.json is JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn check_prints_a_checklist_and_its_exit_code_says_whether_all_passed() {
    let server = FixtureServer::start(FixtureConfig::new(50)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let good = write(
        dir.path(),
        "good.yaml",
        &rest_to_jsonl(&server.url(), 10, &out),
    );
    let mut cmd = faucet(dir.path());
    cmd.arg("check").arg(&good);
    let result = output(cmd).await;
    assert!(
        result.status.success(),
        "{}{}",
        stdout(&result),
        stderr(&result)
    );
    let text = stdout(&result);
    assert!(
        text.contains("source `rest`") && text.contains("sink `jsonl`"),
        "{text}"
    );
    assert!(text.contains("✓") && !text.contains("✗"), "{text}");

    let text = rest_to_jsonl("http://127.0.0.1:9", 10, &out).replace(
        "concurrency: 1",
        "concurrency: 1\n  http: {retry: {max_attempts: 1}}",
    );
    let down = write(dir.path(), "down.yaml", &text);
    let mut cmd = faucet(dir.path());
    cmd.arg("check").arg(&down);
    let result = output(cmd).await;
    assert_eq!(
        result.status.code(),
        Some(1),
        "{}{}",
        stdout(&result),
        stderr(&result)
    );
    assert!(stdout(&result).contains("✗"), "{}", stdout(&result));

    let mut cmd = faucet(dir.path());
    cmd.args(["check", "--format", "json"]).arg(&down);
    let result = output(cmd).await;
    assert_eq!(result.status.code(), Some(1), "{}", stderr(&result));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&result)).unwrap();
    assert_eq!(doc["passed"], false, "{doc:#}");
    assert_eq!(doc["source"]["type"], "rest", "{doc:#}");
    assert_eq!(doc["sink"]["type"], "jsonl", "{doc:#}");
    let items = doc["source"]["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["status"] == "failed" && i["reason"].is_string()),
        "{doc:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_like_ctrl_c() {
    let config = FixtureConfig::new(5_000).with_latency(Duration::from_millis(30));
    let server = FixtureServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "term.yaml",
        &rest_to_jsonl(&server.url(), 50, &out),
    );
    let Interrupted { code, log, .. } = interrupt_with(&file, &out, 100, &["TERM"]).await;
    assert_eq!(code, Some(130), "{log}");
    assert!(log.contains("Interrupted pipeline `term`"), "{log}");
    let partial = jsonl_ids(&out);
    assert!(
        partial.len() < 5_000 && partial.len().is_multiple_of(50),
        "{} records",
        partial.len()
    );
}
