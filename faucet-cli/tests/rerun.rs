//! `faucet run` after a completed run: an append pipeline refuses to read
//! everything again unless `--restart` says so, and the summary and the
//! report say in words what each run did, with committed counts.

mod support;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use support::{faucet, jsonl_ids, output, rest_to_jsonl, stderr, write};

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_append_pipeline_refuses_a_rerun_until_restart_is_given() {
    let server = FixtureServer::start(FixtureConfig::new(300)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "once.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );
    let run = |extra: &'static [&'static str]| {
        let mut cmd = faucet(dir.path());
        cmd.arg("run").args(extra).arg(&file);
        output(cmd)
    };

    let first = run(&[]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let log = stderr(&first);
    assert!(log.contains("300 read, 300 committed"), "{log}");
    assert!(
        log.contains("started     from the start (no checkpoint stored)"),
        "{log}"
    );
    assert!(!log.contains("null"), "a raw null in the summary:\n{log}");

    let refused = run(&[]).await;
    let log = stderr(&refused);
    assert_eq!(refused.status.code(), Some(1), "{log}");
    assert!(log.contains("pipeline `once` completed at "), "{log}");
    assert!(
        log.contains("`faucet run --restart` reads everything again"),
        "{log}"
    );
    assert!(log.contains("mode: upsert"), "{log}");
    assert_eq!(
        jsonl_ids(&out),
        (1..=300).collect::<Vec<_>>(),
        "the refused rerun wrote"
    );

    let again = run(&["--restart"]).await;
    let log = stderr(&again);
    assert!(again.status.success(), "{log}");
    assert!(
        log.contains("started     from the start, as asked (--restart)"),
        "{log}"
    );
    let twice: Vec<u64> = (1..=300).chain(1..=300).collect();
    assert_eq!(jsonl_ids(&out), twice, "--restart appends everything again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_concurrent_run_fails_at_once_saying_what_to_do() {
    let config = FixtureConfig::new(5_000).with_latency(std::time::Duration::from_millis(30));
    let server = FixtureServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "busy.yaml",
        &rest_to_jsonl(&server.url(), 50, &out),
    );
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .arg("run")
        .arg(&file)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_until(60, "the first pages", || support::line_count(&out) >= 100).await;
    let mut cmd = faucet(dir.path());
    cmd.arg("run").arg(&file);
    let second = output(cmd).await;
    let _ = first.kill();
    let _ = first.wait();
    let log = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{log}");
    assert!(log.contains("pipeline `busy` is already running"), "{log}");
    assert!(log.contains("hint: wait for that run to end"), "{log}");
}
