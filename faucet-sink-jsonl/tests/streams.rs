//! One file per stream (`path: out/{stream}.jsonl`), exactly once per file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use faucet_core::conformance::ScriptedSource;
use faucet_core::connector::*;
use faucet_core::{Pipeline, Resume, RunOutcome, StreamStates};
use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};
use faucet_testkit::streams::ScriptedStreams;

fn sink(path: &Path, commit_records: usize) -> JsonlSink {
    let mut config = JsonlSinkConfig::new(path);
    config.commit_records = commit_records;
    JsonlSink::new(config).unwrap()
}

fn template(dir: &Path) -> PathBuf {
    dir.join("out").join("{stream}.jsonl")
}

/// Every line of `path`, parsed; a torn or doubled line fails the test.
fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| faucet_core::serde_json::from_str(l).unwrap())
        .collect()
}

/// Each stream's file holds that stream's records, once each, in order.
fn assert_every_file_exact(dir: &Path, source: &ScriptedStreams) {
    for stream in source.streams() {
        let path = dir.join("out").join(format!("{stream}.jsonl"));
        let got = lines(&path);
        let want = source.records_of(stream);
        assert_eq!(got.len(), want.len(), "{stream}: {got:?}");
        for (i, (got, want)) in got.iter().zip(&want).enumerate() {
            assert_eq!(got, want, "{stream} line {i}");
        }
    }
}

#[tokio::test]
async fn interleaved_streams_each_get_their_own_file_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let source = ScriptedStreams::new(["accounts", "orders", "order_lines"], 4, 3);
    // Commits every 2 pages, so commits fall between streams.
    let report = Pipeline::new(&source, sink(&template(dir.path()), 5))
        .with_name("shop")
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.progress.records_committed, 36);
    for stream in source.streams() {
        let counts = &report.progress.streams[stream.as_str()];
        assert_eq!(counts.records_written, 12, "{stream}");
        assert_eq!(counts.records_committed, 12, "{stream}");
    }
    assert_every_file_exact(dir.path(), &source);
    let state = dir
        .path()
        .join("out/faucet-streams.jsonl.faucet-state.json");
    let stored: Value =
        faucet_core::serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    assert_eq!(stored["pipeline"], "shop");
    for stream in source.streams() {
        let len = std::fs::metadata(dir.path().join("out").join(format!("{stream}.jsonl")))
            .unwrap()
            .len();
        assert_eq!(stored["files"][stream.as_str()], len, "{stream}");
    }
    assert!(
        stored["checkpoint"]["faucet_completed"].is_object(),
        "{stored}"
    );
}

#[tokio::test]
async fn a_failed_run_with_torn_writes_resumes_exactly_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = template(dir.path());
    let source = ScriptedStreams::new(["a", "b", "c"], 5, 2);
    // Fails at the 8th page: pages 0..=5 committed by the budget (every 3
    // pages), page 6 by the final flush.
    let err = Pipeline::new(source.clone().failing_at(7), sink(&path, 6))
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scripted failure"), "{err}");
    // A crash would leave bytes after the committed lengths in every file,
    // and a file for a stream that was never committed.
    for stream in ["a", "b", "c"] {
        let file = dir.path().join(format!("out/{stream}.jsonl"));
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.extend_from_slice(b"{\"stream\": \"torn\", \"id\": 9");
        std::fs::write(&file, bytes).unwrap();
    }
    let report = Pipeline::new(&source, sink(&path, 6)).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let Resume::Resumed { after } = &report.resume else {
        panic!("{:?}", report.resume);
    };
    let states = StreamStates::from_checkpoint(Some(after)).unwrap();
    assert_eq!(
        (states.get("a"), states.get("b"), states.get("c")),
        (Some(&json!(3)), Some(&json!(2)), Some(&json!(2)))
    );
    assert_eq!(report.progress.records_written, 30 - 14);
    assert_every_file_exact(dir.path(), &source);
}

#[tokio::test]
async fn a_sink_error_mid_run_then_a_resume_is_exactly_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = template(dir.path());
    let source = ScriptedStreams::new(["a", "b", "c"], 4, 3);
    // `c`'s file cannot be opened: the run fails at its first page, after
    // writing a and b.
    std::fs::create_dir_all(dir.path().join("out/c.jsonl")).unwrap();
    let err = Pipeline::new(&source, sink(&path, 1))
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("c.jsonl"), "{err}");
    assert_eq!(lines(&dir.path().join("out/a.jsonl")).len(), 3);
    assert_eq!(lines(&dir.path().join("out/b.jsonl")).len(), 3);
    std::fs::remove_dir(dir.path().join("out/c.jsonl")).unwrap();
    let report = Pipeline::new(&source, sink(&path, 4)).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.progress.records_written, 36 - 6);
    assert_every_file_exact(dir.path(), &source);
}

#[tokio::test]
async fn hostile_stream_names_stay_inside_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nest");
    let names = ["../escape", "a/b", ".hidden", "..", "nul\0x", "50%", "é"];
    let source = ScriptedStreams::new(names, 2, 1);
    let report = Pipeline::new(&source, sink(&out.join("{stream}.jsonl"), 1))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let files: BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let want: BTreeSet<String> = [
        "%2E.%2Fescape.jsonl",
        "a%2Fb.jsonl",
        "%2Ehidden.jsonl",
        "%2E..jsonl",
        "nul%00x.jsonl",
        "50%25.jsonl",
        "%C3%A9.jsonl",
        "faucet-streams.jsonl.faucet-state.json",
        "faucet-streams.jsonl.faucet-state.json.lock",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(files, want);
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["nest"], "nothing written beside the directory");
    for name in names {
        let encoded = faucet_core::serde_json::to_string(name).unwrap();
        let file = files
            .iter()
            .filter(|f| f.ends_with(".jsonl"))
            .find(|f| {
                let lines = lines(&out.join(f.as_str()));
                lines.first().map(|l| l["stream"].to_string()) == Some(encoded.clone())
            })
            .unwrap_or_else(|| panic!("no file holds {name:?}"));
        assert_eq!(lines(&out.join(file)), source.records_of(name), "{name:?}");
    }
}

#[tokio::test]
async fn a_plain_path_receiving_two_streams_is_an_error_suggesting_the_placeholder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.jsonl");
    let source = ScriptedStreams::new(["a", "b"], 2, 2);
    let err = Pipeline::new(&source, sink(&path, 1))
        .run()
        .await
        .unwrap_err();
    let FaucetError::Config {
        path: at, message, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(at, "path");
    assert!(message.contains("`b` after `a`"), "{message}");
    assert!(message.contains("{stream}"), "{message}");
    assert_eq!(lines(&path), source.records_of("a")[..2], "b never written");
}

#[tokio::test]
async fn a_placeholder_path_needs_a_source_that_names_streams() {
    let dir = tempfile::tempdir().unwrap();
    let err = Pipeline::new(ScriptedSource::new(2, 2), sink(&template(dir.path()), 1))
        .run()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("path") && text.contains("plain path"),
        "{text}"
    );
}

#[tokio::test]
async fn two_runs_never_write_one_stream_file_even_with_their_own_state_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = template(dir.path());
    let make = |state: &str| {
        let mut config = JsonlSinkConfig::new(&path);
        config.state_path = Some(dir.path().join(state));
        JsonlSink::new(config).unwrap()
    };
    let page = Page::from_values([json!({"id": 1})])
        .with_stream("a")
        .with_checkpoint(json!({"streams": {"a": 1}}));
    let first = make("one.json");
    first.load_checkpoint("one").await.unwrap();
    first
        .commit_page(&page, &CommitContext::new("one", 0))
        .await
        .unwrap();
    let second = make("two.json");
    second.load_checkpoint("two").await.unwrap();
    let err = second
        .commit_page(&page, &CommitContext::new("two", 0))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FaucetError::AlreadyRunning { holder, .. } if holder.contains("a.jsonl")),
        "{err:?}"
    );
    first.finish(RunOutcome::Completed).await.unwrap();
    second.finish(RunOutcome::Failed).await.unwrap();
    assert_eq!(lines(&dir.path().join("out/a.jsonl")), [json!({"id": 1})]);
}
