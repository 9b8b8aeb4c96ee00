//! Against the real target-jsonl 0.1.4: full loads, a failed run resumed
//! after the state the target echoed, many streams, and a REST API.

mod support;

use faucet_core::conformance::ScriptedSource;
use faucet_core::connector::*;
use faucet_core::{Completion, Pipeline, Resume, RunOutcome};
use faucet_sink_singer::SingerSink;
use faucet_source_rest::RestSource;
use faucet_testkit::fixture::{FixtureConfig, FixtureServer, record};
use faucet_testkit::streams::ScriptedStreams;
use support::{jsonl_config, read_jsonl};

/// Every record of a ScriptedSource, as `{"id", "page"}` pairs checked
/// field by field.
fn assert_scripted(got: &[Value], pages: u64, per_page: u64) {
    assert_eq!(got.len() as u64, pages * per_page, "{got:?}");
    for (i, row) in got.iter().enumerate() {
        let id = i as u64 + 1;
        let fields = row.as_object().expect("an object");
        assert_eq!(fields.len(), 2, "{row}");
        assert_eq!(row["id"], json!(id), "{row}");
        assert_eq!(row["page"], json!((id - 1) / per_page), "{row}");
    }
}

#[tokio::test]
async fn a_full_load_lands_every_record_and_the_confirmed_completion() {
    let dir = tempfile::tempdir().unwrap();
    let config = jsonl_config(dir.path());
    let source = ScriptedSource::new(5, 4);
    let report = Pipeline::new(&source, SingerSink::new(config.clone()).unwrap())
        .with_name("users")
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.progress.records_committed, 20);
    // A page without a stream goes to the stream named after the pipeline.
    assert_scripted(&read_jsonl(&dir.path().join("out/users.jsonl")), 5, 4);

    // The checkpoint stored is the one the target echoed: the completion.
    let fresh = SingerSink::new(config.clone()).unwrap();
    let stored = fresh.load_checkpoint("users").await.unwrap().unwrap();
    assert!(Completion::from_checkpoint(&stored).is_some(), "{stored}");

    // target-jsonl appends: a completed full load is not appended again.
    let again = Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("users")
        .run()
        .await
        .unwrap_err();
    assert!(matches!(again, FaucetError::Completed { .. }), "{again}");
    assert_eq!(read_jsonl(&dir.path().join("out/users.jsonl")).len(), 20);
}

#[tokio::test]
async fn a_failed_run_resumes_after_the_state_the_target_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = jsonl_config(dir.path());
    config.stream = Some("events".into());
    let out = dir.path().join("out/events.jsonl");

    let failing = ScriptedSource::new(6, 5).failing_at(3);
    let err = Pipeline::new(&failing, SingerSink::new(config.clone()).unwrap())
        .with_name("events-load")
        .run()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("scripted failure at page 3"),
        "{err}"
    );
    // Pages 0..=2 reached the target, which loaded them and echoed the
    // state of page 2 when its input ended.
    assert_scripted(&read_jsonl(&out), 3, 5);
    let fresh = SingerSink::new(config.clone()).unwrap();
    let stored = fresh.load_checkpoint("events-load").await.unwrap();
    assert_eq!(stored, Some(Checkpoint::new(json!({"next_page": 3}))));

    let source = ScriptedSource::new(6, 5);
    let report = Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("events-load")
        .run()
        .await
        .unwrap();
    assert!(
        matches!(&report.resume, Resume::Resumed { after } if after.as_value() == &json!({"next_page": 3})),
        "{:?}",
        report.resume
    );
    assert_eq!(report.progress.records_committed, 15);
    assert_scripted(&read_jsonl(&out), 6, 5);
}

#[tokio::test]
async fn many_streams_go_each_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let source = ScriptedStreams::new(["accounts", "orders", "order_lines"], 4, 3);
    let sink = SingerSink::new(jsonl_config(dir.path())).unwrap();
    assert!(sink.capabilities().streams);
    let report = Pipeline::new(&source, sink)
        .with_name("shop")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_committed, 36);
    for stream in source.streams() {
        let got = read_jsonl(&dir.path().join(format!("out/{stream}.jsonl")));
        let want = source.records_of(stream);
        assert_eq!(got.len(), want.len(), "{stream}");
        for (row, expected) in got.iter().zip(&want) {
            assert_eq!(row["stream"], expected["stream"]);
            assert_eq!(row["id"], expected["id"]);
            assert_eq!(row.as_object().unwrap().len(), 2, "{row}");
        }
    }
}

#[tokio::test]
async fn a_rest_api_lands_in_a_singer_target_record_for_record() {
    let api = FixtureServer::start(FixtureConfig::new(230)).await.unwrap();
    let source_config = faucet_core::parse_config(json!({
        "base_url": api.url(),
        "path": "/records/page",
        "records": "data",
        "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50},
    }))
    .unwrap();
    let source = RestSource::new(source_config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = Pipeline::new(source, SingerSink::new(jsonl_config(dir.path())).unwrap())
        .with_name("api")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_committed, 230);
    let got = read_jsonl(&dir.path().join("out/api.jsonl"));
    assert_eq!(got.len(), 230);
    for (i, row) in got.iter().enumerate() {
        let want = record(i as u64 + 1);
        let fields = want.as_object().unwrap();
        assert_eq!(row.as_object().unwrap().len(), fields.len(), "{row}");
        for (key, value) in fields {
            assert_eq!(&row[key], value, "record {} field {key}", i + 1);
        }
    }
}

#[tokio::test]
async fn the_sink_passes_the_conformance_kit() {
    let dir = tempfile::tempdir().unwrap();
    let config = jsonl_config(dir.path());
    let out = dir.path().join("out/conformance.jsonl");
    let read_back = || {
        let rows = read_jsonl(&out);
        async move { Ok(rows.into_iter().map(Record::from).collect()) }
    };
    let report = faucet_core::conformance::check_sink(
        || SingerSink::new(config.clone()).unwrap(),
        read_back,
    )
    .await;
    report.assert_passed();
}

#[tokio::test]
async fn a_pip_url_target_is_installed_into_its_own_virtualenv_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = jsonl_config(dir.path());
    config.executable = "target-jsonl".into();
    config.pip_url = Some("target-jsonl==0.1.4".into());
    // Shared with later runs of the suite, like the testkit's own venvs.
    let venvs = faucet_testkit::python::venvs_dir().join("singer-sink-managed");
    config.venvs_dir = Some(venvs.clone());
    let source = ScriptedSource::new(2, 3);
    Pipeline::new(&source, SingerSink::new(config.clone()).unwrap())
        .with_name("managed")
        .run()
        .await
        .unwrap();
    assert_scripted(&read_jsonl(&dir.path().join("out/managed.jsonl")), 2, 3);
    let installed: Vec<_> = std::fs::read_dir(&venvs)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join(".faucet-installed").is_file())
        .collect();
    assert_eq!(installed.len(), 1, "one virtualenv for one pip_url");
    let marker = installed[0].path().join(".faucet-installed");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "target-jsonl==0.1.4"
    );
    let installed_at = std::fs::metadata(&marker).unwrap().modified().unwrap();

    // A second run uses the same virtualenv without installing again.
    let other = tempfile::tempdir().unwrap();
    config.config["destination_path"] = json!(other.path().join("out").to_string_lossy());
    config.state_dir = other.path().join("state");
    Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("managed")
        .run()
        .await
        .unwrap();
    assert_scripted(&read_jsonl(&other.path().join("out/managed.jsonl")), 2, 3);
    let again = std::fs::metadata(&marker).unwrap().modified().unwrap();
    assert_eq!(installed_at, again);
}
