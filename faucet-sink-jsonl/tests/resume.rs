//! Exactly-once behaviour of the JSON Lines sink on a real filesystem.

use std::path::Path;

use faucet_core::conformance::{self, ScriptedSource};
use faucet_core::connector::*;
use faucet_core::{Pipeline, RunOutcome};
use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| faucet_core::serde_json::from_str(l).unwrap())
        .collect()
}

fn sink(path: &Path, commit_records: usize) -> JsonlSink {
    let mut config = JsonlSinkConfig::new(path);
    config.commit_records = commit_records;
    JsonlSink::new(config).unwrap()
}

#[tokio::test]
async fn passes_the_conformance_kit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let report =
        conformance::check_sink(|| sink(&path, 10), || async { Ok(read_lines(&path)) }).await;
    report.assert_passed();
    assert!(
        report
            .checks
            .items
            .iter()
            .any(|i| i.name.contains("exactly once"))
    );
}

#[tokio::test]
async fn bytes_written_after_the_last_commit_are_truncated_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    // Commit every 2 pages of 5 records; fail at page 5: pages 0..=3 are
    // committed by the budget, page 4 only by the final flush.
    let failing = ScriptedSource::new(8, 5).failing_at(5);
    let err = Pipeline::new(&failing, sink(&path, 10))
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scripted failure"), "{err}");
    assert_eq!(read_lines(&path).len(), 25);

    // A crash mid-write leaves bytes past the committed length.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"id\": 26, \"torn\": tr");
    std::fs::write(&path, bytes).unwrap();

    let source = ScriptedSource::new(8, 5);
    let report = Pipeline::new(&source, sink(&path, 10)).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(
        report.resumed_from,
        Some(Checkpoint::new(json!({"next_page": 5})))
    );
    let ids: Vec<u64> = read_lines(&path)
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_completed_run_keeps_its_output_and_the_next_run_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/out.jsonl");
    let source = ScriptedSource::new(2, 3);
    Pipeline::new(&source, sink(&path, 1000))
        .run()
        .await
        .unwrap();
    // The final checkpoint is `null`: the next run starts over and appends.
    let report = Pipeline::new(&source, sink(&path, 1000))
        .run()
        .await
        .unwrap();
    assert_eq!(report.resumed_from, Some(Checkpoint::new(Value::Null)));
    assert_eq!(read_lines(&path).len(), 12);
}

#[tokio::test]
async fn an_output_shared_by_two_pipelines_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let source = ScriptedSource::new(1, 1);
    Pipeline::new(&source, sink(&path, 10))
        .with_name("a")
        .run()
        .await
        .unwrap();
    let err = Pipeline::new(&source, sink(&path, 10))
        .with_name("b")
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to pipeline `a`"), "{err}");
}

#[test]
fn bad_configs_are_config_errors() {
    let build = |v| faucet_core::parse_config::<JsonlSinkConfig>(v).and_then(JsonlSink::new);
    conformance::check_config_errors(
        build,
        &[
            json!({"path": 3}),
            json!({"commit_records": 0}),
            json!({"path": "x", "unknown": true}),
        ],
    )
    .assert_passed();
}
