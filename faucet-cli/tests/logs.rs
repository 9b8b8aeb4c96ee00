//! Log output off a terminal: no colour codes, and a closed standard
//! output (`faucet run … | head`) ends the run quietly.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use support::{faucet, output, rest_to_jsonl, stderr, write};

#[tokio::test(flavor = "multi_thread")]
async fn debug_logs_to_a_pipe_carry_no_colour_codes() {
    let server = FixtureServer::start(FixtureConfig::new(200)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let file = write(
        dir.path(),
        "plain.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );
    let mut cmd = faucet(dir.path());
    cmd.env_remove("NO_COLOR").args(["-vv", "run"]).arg(&file);
    let result = output(cmd).await;
    let log = stderr(&result);
    assert!(result.status.success(), "{log}");
    assert!(log.contains("DEBUG"), "no debug lines at -vv:\n{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in piped logs:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_ends_the_run_quietly_with_exit_0() {
    let server = FixtureServer::start(FixtureConfig::new(50_000))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = rest_to_jsonl(&server.url(), 500, std::path::Path::new("-"));
    let file = write(dir.path(), "piped.yaml", &text);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .args(["run", "--progress", "quiet"])
        .arg(&file)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one record, then go away like `head -1`.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"id\":1"), "{first}");
    let result = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let log = stderr(&result);
    assert!(
        matches!(result.status.code(), Some(0 | 141)),
        "{:?}: {log}",
        result.status
    );
    assert!(!log.contains("error"), "{log}");
    assert!(log.contains("standard output was closed"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_show_each_requested_url_with_secrets_redacted() {
    let server = FixtureServer::start(FixtureConfig::new(250)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    // A key sent in the query string must appear redacted, never in clear.
    let text = rest_to_jsonl(&server.url(), 100, &out).replace(
        "  records: data\n",
        "  records: data\n  auth: {kind: api_key, name: api_key, value: s3cr3t-k3y, location: query}\n",
    );
    let file = write(dir.path(), "urls.yaml", &text);
    let mut cmd = faucet(dir.path());
    cmd.args(["-v", "run"]).arg(&file);
    let result = output(cmd).await;
    let log = stderr(&result);
    assert!(result.status.success(), "{log}");
    let fetched: Vec<&str> = log.lines().filter(|l| l.contains("Fetched")).collect();
    // 250 records at 100 a page: pages 1, 2, 3 and the empty page 4.
    for page in 1..=4 {
        assert!(
            fetched.iter().any(|l| l.contains(&format!("page={page}"))),
            "no request of page {page} at -v:\n{log}"
        );
    }
    assert!(
        !log.contains("s3cr3t-k3y"),
        "a secret reached the log:\n{log}"
    );
}
