//! Starting, watching and cancelling runs; what they write.

use faucet_serve::{RunRecord, RunState};
use serde_json::json;

use crate::support::{Harness, at_pages, expected, lines};

#[tokio::test]
async fn a_run_writes_every_record_and_reports_its_counts_and_metrics() {
    let mut h = Harness::start(2).await;
    let spec = h.spec("full", 3, 2);
    let run = h.start_run(&spec, "").await;
    assert_eq!(run.pipeline, "full");
    assert!(matches!(run.state, RunState::Queued | RunState::Running));
    assert_eq!(run.spec_sha256.len(), 64);
    h.gate.add_permits(3);
    let done = h.wait_final(&run.id).await;

    assert_eq!(done.state, RunState::Completed, "{done:?}");
    assert_eq!(done.counts.records_read, 6);
    assert_eq!(done.counts.records_written, 6);
    assert_eq!(done.counts.records_committed, 6);
    assert!(done.started_at_ms.is_some() && done.finished_at_ms.is_some());
    assert_eq!(done.error, None);
    assert_eq!(lines(&h.out("full")), expected(0..3, 2));

    let all = h.get_json("/runs").await;
    let ids: Vec<&str> = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [run.id.as_str()]);
    let text = h
        .client
        .get(format!("{}/metrics", h.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("\nfaucet_records_written_total 6\n"),
        "{text}"
    );
    assert!(text.contains("\nfaucet_records_read_total 6\n"), "{text}");
    assert!(text.contains(&format!("\nfaucet_pages_total {}\n", done.counts.pages)));
    assert!(
        text.contains("faucet_runs_total{outcome=\"completed\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("faucet_runs_in_flight 0\n"), "{text}");
    assert!(
        text.contains("\nfaucet_run_duration_seconds_count 1\n"),
        "{text}"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_cancelled_run_keeps_its_checkpoint_and_the_next_run_resumes_exactly() {
    let mut h = Harness::start(2).await;
    let spec = h.spec("resume", 5, 3);
    let first = h.start_run(&spec, "").await;
    h.gate.add_permits(2);
    h.wait_for(&first.id, at_pages(2)).await;

    let response = h
        .post(&format!("/runs/{}/cancel", first.id), String::new())
        .await;
    assert_eq!(response.status(), 202);
    let cancelled = h.wait_final(&first.id).await;
    assert_eq!(cancelled.state, RunState::Cancelled, "{cancelled:?}");
    assert_eq!(cancelled.counts.records_committed, 6);
    assert_eq!(cancelled.last_checkpoint, Some(json!({"next_page": 2})));
    assert_eq!(lines(&h.out("resume")), expected(0..2, 3));

    let again = h
        .post(&format!("/runs/{}/cancel", first.id), String::new())
        .await;
    assert_eq!(again.status(), 409);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["state"], "cancelled");

    let second = h.start_run(&spec, "").await;
    assert_ne!(second.id, first.id);
    h.gate.add_permits(3);
    let done = h.wait_final(&second.id).await;
    assert_eq!(done.state, RunState::Completed, "{done:?}");
    assert_eq!(done.counts.records_written, 9);
    assert!(
        done.resume.as_deref().unwrap().contains("resumed after"),
        "{done:?}"
    );
    assert_eq!(lines(&h.out("resume")), expected(0..5, 3));
    h.stop().await;
}

#[tokio::test]
async fn a_failed_run_reports_its_error_with_secrets_masked() {
    let mut h = Harness::start(2).await;
    let mut spec = h.spec("fails", 3, 1);
    spec["source"]["token"] = json!("tok-VERY-SECRET");
    spec["source"]["fail_at"] = json!(1);
    let run = h.start_run(&spec, "").await;
    let url = format!("{}/runs/{}/events", h.url, run.id);
    let events = h.client.get(url).send().await.unwrap();
    h.gate.add_permits(2);
    let events = events.text().await.unwrap();
    assert!(events.contains("refused with token ***"), "{events}");
    assert!(!events.contains("tok-VERY-SECRET"), "{events}");
    assert!(
        events.contains("event: log\ndata: {\"level\":\"error\",\"message\":\"Run failed ("),
        "{events}"
    );
    let done = h.wait_final(&run.id).await;
    assert_eq!(done.state, RunState::Failed);
    let error = done.error.unwrap();
    assert_eq!(error.kind, "source");
    assert!(
        error.message.contains("refused with token ***"),
        "{error:?}"
    );
    assert_eq!(done.counts.records_committed, 1);

    let listed = h
        .client
        .get(format!("{}/runs", h.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains("tok-VERY-SECRET"), "{listed}");
    h.stop().await;
    let stored = std::fs::read_to_string(h.dir.path().join("serve/runs.jsonl")).unwrap();
    assert!(stored.contains("refused with token ***"), "{stored}");
    assert!(!stored.contains("tok-VERY-SECRET"), "{stored}");
}

#[tokio::test]
async fn events_follow_a_run_in_order_until_it_ends() {
    let mut h = Harness::start(2).await;
    let spec = h.spec("events", 3, 1);
    let run = h.start_run(&spec, "").await;
    let url = format!("{}/runs/{}/events", h.url, run.id);
    let response = h.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    h.gate.add_permits(3);
    let text = response.text().await.unwrap();

    let data = |block: &str| {
        block
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap()
            .to_owned()
    };
    let blocks: Vec<&str> = text
        .split("\n\n")
        .filter(|b| b.contains("event: "))
        .collect();
    let events: Vec<RunRecord> = blocks
        .iter()
        .filter(|block| block.contains("event: progress"))
        .map(|block| serde_json::from_str(&data(block)).unwrap())
        .collect();
    let logs: Vec<String> = blocks
        .iter()
        .filter(|block| block.contains("event: log"))
        .map(|block| {
            let line: serde_json::Value = serde_json::from_str(&data(block)).unwrap();
            line["message"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert_eq!(logs[0], "Run started: started fresh.");
    assert!(
        logs[1].starts_with("Run completed (3 records committed in "),
        "{logs:?}"
    );
    assert!(blocks.last().unwrap().contains("event: progress"), "{text}");
    let end_log = blocks
        .iter()
        .position(|b| b.contains("Run completed"))
        .unwrap();
    assert_eq!(end_log, blocks.len() - 2, "{text}");
    let last = events.last().unwrap();
    assert_eq!(last.state, RunState::Completed);
    assert_eq!(last.counts.records_written, 3);
    assert!(events.iter().all(|e| e.id == run.id));
    let pages: Vec<u64> = events.iter().map(|e| e.counts.pages).collect();
    assert!(pages.windows(2).all(|w| w[0] <= w[1]), "{pages:?}");
    let written: Vec<u64> = events.iter().map(|e| e.counts.records_written).collect();
    assert!(written.contains(&1) && written.contains(&2), "{written:?}");
    h.stop().await;
}

#[tokio::test]
async fn a_pipeline_file_of_the_pipelines_directory_runs_by_name() {
    let mut h = Harness::start(2).await;
    let mut spec = h.spec("ignored", 2, 2);
    spec.as_object_mut().unwrap().remove("name");
    let sink_path = h.out("named");
    spec["sink"]["path"] = json!(sink_path);
    std::fs::create_dir_all(h.dir.path().join("pipes")).unwrap();
    std::fs::write(h.dir.path().join("pipes/named.json"), spec.to_string()).unwrap();

    let run = h.start_run(&json!(null), "?pipeline=named").await;
    assert_eq!(run.pipeline, "named");
    h.gate.add_permits(2);
    assert_eq!(h.wait_final(&run.id).await.state, RunState::Completed);
    assert_eq!(lines(&sink_path), expected(0..2, 2));

    let both = h.post("/runs?pipeline=named", spec.to_string()).await;
    assert_eq!(both.status(), 400);
    let missing = h.post("/runs?pipeline=other", String::new()).await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no pipeline file `other`")
    );
    let escape = h
        .post("/runs?pipeline=..%2Fserve%2Fruns", String::new())
        .await;
    assert_eq!(escape.status(), 400);
    h.stop().await;
}

#[tokio::test]
async fn a_completed_append_pipeline_is_refused_until_asked_to_restart() {
    let mut h = Harness::start(2).await;
    let spec = h.spec("twice", 1, 2);
    let first = h.start_run(&spec, "").await;
    h.gate.add_permits(1);
    assert_eq!(h.wait_final(&first.id).await.state, RunState::Completed);

    let again = h.start_run(&spec, "").await;
    let refused = h.wait_final(&again.id).await;
    assert_eq!(refused.state, RunState::Failed);
    assert_eq!(refused.error.unwrap().kind, "completed");
    assert_eq!(refused.started_at_ms, None);
    assert_eq!(lines(&h.out("twice")), expected(0..1, 2));
    h.stop().await;
}

#[tokio::test]
async fn counts_are_kept_per_stream_for_a_source_that_names_its_streams() {
    let mut h = Harness::start(2).await;
    let mut spec = h.spec("streams", 2, 3);
    spec["source"]["stream"] = json!("orders");
    let run = h.start_run(&spec, "").await;
    h.gate.add_permits(2);
    let done = h.wait_final(&run.id).await;
    assert_eq!(done.state, RunState::Completed, "{done:?}");
    let orders = &done.counts.streams["orders"];
    assert_eq!(orders.records_read, 6);
    assert_eq!(orders.records_written, 6);
    assert_eq!(orders.records_committed, 6);
    assert_eq!(orders.pages, 2);
    assert_eq!(done.counts.streams.len(), 1);
    assert_eq!(lines(&h.out("streams")), expected(0..2, 3));
    h.stop().await;
}

#[tokio::test]
async fn a_connector_that_panics_fails_its_run_and_frees_the_pipeline() {
    let mut h = Harness::start(2).await;
    let mut spec = h.spec("panics", 3, 1);
    spec["source"]["panic_at"] = json!(1);
    let run = h.start_run(&spec, "").await;
    h.gate.add_permits(1);
    h.wait_for(&run.id, at_pages(1)).await;
    h.gate.add_permits(1);
    let done = h.wait_final(&run.id).await;
    assert_eq!(done.state, RunState::Failed);
    assert_eq!(done.counts.records_committed, 1);
    let error = done.error.unwrap();
    assert_eq!(error.kind, "panic");
    assert!(
        error.message.contains("gated source panics at page 1"),
        "{error:?}"
    );

    spec["source"]["panic_at"] = json!(null);
    let again = h.start_run(&spec, "").await;
    h.gate.add_permits(2);
    let done = h.wait_final(&again.id).await;
    assert_eq!(done.state, RunState::Completed);
    assert!(
        done.resume.as_deref().unwrap().contains("resumed after"),
        "{done:?}"
    );
    assert_eq!(lines(&h.out("panics")), expected(0..3, 1));
    h.stop().await;
}
