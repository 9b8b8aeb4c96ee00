//! Exactly-once behaviour of the JSON Lines sink on a real filesystem.

use std::path::Path;
use std::time::{Duration, Instant};

use faucet_core::conformance::{self, ScriptedSource};
use faucet_core::connector::*;
use faucet_core::{Pipeline, Resume, RunOutcome};
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
    let report = conformance::check_sink(
        || sink(&path, 10),
        || async { Ok(read_lines(&path).into_iter().map(Record::from).collect()) },
    )
    .await;
    report.assert_no_warnings();
    for check in [
        "object safe",
        "a failed run keeps its committed pages",
        "exactly once across a failed run and a resume",
        "writes every record",
        "stores the completion marker",
        "stores the checkpoint of an empty page",
        "clears its checkpoint",
    ] {
        assert_eq!(
            report.status(check),
            Some(&CheckStatus::Passed),
            "{check}\n{report}"
        );
    }
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
        report.resume,
        Resume::Resumed {
            after: Checkpoint::new(json!({"next_page": 5}))
        }
    );
    let ids: Vec<u64> = read_lines(&path)
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_completed_run_is_not_appended_again_unless_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/out.jsonl");
    let source = ScriptedSource::new(2, 3);
    Pipeline::new(&source, sink(&path, 1000))
        .run()
        .await
        .unwrap();
    // Appending is not idempotent: the completed run is not read again.
    assert!(!sink(&path, 1000).capabilities().idempotent);
    let err = Pipeline::new(&source, sink(&path, 1000))
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FaucetError::Completed { pipeline, .. } if pipeline == "default"),
        "{err}"
    );
    assert_eq!(read_lines(&path).len(), 6);
    let report = Pipeline::new(&source, sink(&path, 1000))
        .with_restart(true)
        .run()
        .await
        .unwrap();
    assert_eq!(report.resume, Resume::Restarted);
    assert_eq!(read_lines(&path).len(), 12);
}

#[tokio::test]
async fn a_page_without_records_stores_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let first = sink(&path, 1);
    assert_eq!(first.load_checkpoint("p").await.unwrap(), None);
    let page = Page::new(vec![json!({"id": 1}).into()]).with_checkpoint(json!({"at": 1}));
    first
        .commit_page(&page, &CommitContext::new("p", 0))
        .await
        .unwrap();
    let empty = Page::new(Vec::new()).with_checkpoint(json!({"at": 2}));
    first
        .commit_page(&empty, &CommitContext::new("p", 1))
        .await
        .unwrap();
    first.flush().await.unwrap();
    drop(first);
    let stored = sink(&path, 1).load_checkpoint("p").await.unwrap();
    assert_eq!(stored, Some(Checkpoint::new(json!({"at": 2}))));
    assert_eq!(read_lines(&path), [json!({"id": 1})]);
}

#[tokio::test]
async fn clear_checkpoint_forgets_where_to_resume_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let failing = ScriptedSource::new(4, 5).failing_at(2);
    Pipeline::new(&failing, sink(&path, 1))
        .run()
        .await
        .unwrap_err();
    let stored = sink(&path, 1).load_checkpoint("default").await.unwrap();
    assert_eq!(stored, Some(Checkpoint::new(json!({"next_page": 2}))));

    // Not while a run holds the output.
    let running = sink(&path, 1);
    running.load_checkpoint("default").await.unwrap();
    let err = sink(&path, 1)
        .clear_checkpoint("default")
        .await
        .unwrap_err();
    assert!(matches!(err, FaucetError::AlreadyRunning { .. }), "{err}");
    drop(running);

    sink(&path, 1).clear_checkpoint("default").await.unwrap();
    assert_eq!(
        sink(&path, 1).load_checkpoint("default").await.unwrap(),
        None
    );
    assert_eq!(read_lines(&path).len(), 10);
    let err = sink(&path, 1).clear_checkpoint("other").await.unwrap_err();
    assert!(
        err.to_string().contains("belongs to pipeline `default`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_concurrent_run_fails_fast_naming_the_first_and_the_output_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    // 8 pages of 5 records, 100 ms each: the first run takes about 0.9 s.
    let slow = ScriptedSource::new(8, 5).with_delay(Duration::from_millis(100));
    let first_sink = sink(&path, 5);
    let first = tokio::spawn(async move { Pipeline::new(slow, first_sink).run().await });
    while !path.exists() || read_lines(&path).is_empty() {
        assert!(!first.is_finished(), "the first run ended before writing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    let source = ScriptedSource::new(8, 5);
    let err = Pipeline::new(&source, sink(&path, 5))
        .run()
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        !first.is_finished(),
        "the second run must fail while the first runs"
    );
    assert!(waited < Duration::from_millis(500), "waited {waited:?}");
    let message = err.to_string();
    let expected = format!(
        "pipeline `default` is already running (pid {} since ",
        std::process::id()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(!message.contains("cannot replace"), "{message}");

    let report = first.await.unwrap().unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let ids: Vec<u64> = read_lines(&path)
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
    for (i, record) in read_lines(&path).iter().enumerate() {
        assert_eq!(record, &json!({"id": i + 1, "page": i / 5}));
    }
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
            (json!({"path": 3}), "path"),
            (json!({"commit_records": 0}), "commit_records"),
            (json!({"path": ""}), "path"),
            (json!({"path": "x", "unknown": true}), "unknown"),
        ],
    )
    .assert_passed();
}
