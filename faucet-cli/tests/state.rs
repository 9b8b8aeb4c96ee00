//! `faucet state show|reset`, for a sink that keeps its own checkpoints
//! (JSON Lines) and for the state directory (standard output), in words
//! and as JSON.

mod support;

use std::io::Write;
use std::process::Stdio;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use support::{faucet, jsonl_ids, output, rest_to_jsonl, stderr, stdout, write};

fn show_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let result = faucet(dir)
        .args(["state", "show", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", stderr(&result));
    serde_json::from_str(&stdout(&result)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&result)))
}

#[tokio::test(flavor = "multi_thread")]
async fn show_and_reset_the_checkpoint_a_json_lines_sink_keeps() {
    let server = FixtureServer::start(FixtureConfig::new(300)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let file = write(
        dir.path(),
        "kept.yaml",
        &rest_to_jsonl(&server.url(), 100, &out),
    );
    let path = file.to_str().unwrap();

    let before = show_json(dir.path(), &[path]);
    assert_eq!(before["last_run"], "none", "{before:#}");
    assert_eq!(before["next_run"], "start", "{before:#}");

    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--limit", "150", path]);
    assert!(output(cmd).await.status.success());
    let stopped = show_json(dir.path(), &[path]);
    assert_eq!(stopped["last_run"], "stopped", "{stopped:#}");
    assert_eq!(stopped["next_run"], "resume", "{stopped:#}");
    assert_eq!(stopped["stored_in"], "sink `jsonl`", "{stopped:#}");

    let mut cmd = faucet(dir.path());
    cmd.args(["run", path]);
    assert!(output(cmd).await.status.success());
    let words = faucet(dir.path())
        .args(["state", "show", path])
        .output()
        .unwrap();
    let text = stdout(&words);
    assert!(
        text.contains("pipeline `kept`: the last run completed at "),
        "{text}"
    );
    assert!(text.contains("the next run is refused"), "{text}");
    let done = show_json(dir.path(), &[path]);
    assert_eq!(done["last_run"], "completed", "{done:#}");
    assert_eq!(done["next_run"], "refuse", "{done:#}");
    assert!(
        done["completed_at_unix"]
            .as_u64()
            .is_some_and(|t| t > 1_700_000_000),
        "{done:#}"
    );

    // Without --yes a "no" changes nothing.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .args(["state", "reset", path])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let refused = child.wait_with_output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("[y/N]"), "{}", stderr(&refused));
    assert_eq!(show_json(dir.path(), &[path])["last_run"], "completed");

    let reset = faucet(dir.path())
        .args(["state", "reset", "--yes", path])
        .output()
        .unwrap();
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert_eq!(show_json(dir.path(), &[path])["last_run"], "none");
    // After the reset the next run reads everything again (and appends).
    let mut cmd = faucet(dir.path());
    cmd.args(["run", path]);
    let again = output(cmd).await;
    assert!(again.status.success(), "{}", stderr(&again));
    let expected: Vec<u64> = (1..=300).chain(1..=300).collect();
    assert_eq!(jsonl_ids(&out), expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn show_and_reset_the_checkpoint_in_a_state_directory() {
    let server = FixtureServer::start(FixtureConfig::new(300)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = rest_to_jsonl(&server.url(), 100, std::path::Path::new("-"));
    let file = write(dir.path(), "piped.yaml", &text);
    let path = file.to_str().unwrap();
    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--state", "st", "--limit", "200", path]);
    assert!(output(cmd).await.status.success());

    let shown = show_json(dir.path(), &["--state", "st", path]);
    assert_eq!(shown["last_run"], "stopped", "{shown:#}");
    assert_eq!(shown["stored_in"], "state directory st", "{shown:#}");
    assert!(shown["checkpoint"].is_object(), "{shown:#}");

    let reset = faucet(dir.path())
        .args(["state", "reset", "--yes", "--state", "st", path])
        .output()
        .unwrap();
    assert!(reset.status.success(), "{}", stderr(&reset));
    assert!(!dir.path().join("st/piped.json").exists());
    assert_eq!(
        show_json(dir.path(), &["--state", "st", path])["last_run"],
        "none"
    );
}
