//! Run records across restarts, graceful and not.

use std::sync::Arc;

use faucet_serve::{JsonLoader, RunState, ServeOptions, Server};

use crate::support::{Harness, at_pages, expected, lines, registry};

#[tokio::test]
async fn runs_outlive_a_graceful_restart_and_shutdown_cancels_runs_in_flight() {
    let mut h = Harness::start(2).await;
    let done = h.start_run(&h.spec("kept", 1, 2), "").await;
    h.gate.add_permits(1);
    let done = h.wait_final(&done.id).await;
    let cut = h.start_run(&h.spec("cut", 4, 1), "").await;
    h.gate.add_permits(1);
    h.wait_for(&cut.id, at_pages(1)).await;
    h.stop().await;

    h.restart(2).await;
    let runs = h.get_json("/runs").await;
    let runs: Vec<faucet_serve::RunRecord> = serde_json::from_value(runs["runs"].clone()).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0], done);
    assert_eq!(runs[1].id, cut.id);
    assert_eq!(runs[1].state, RunState::Cancelled, "{:?}", runs[1]);
    assert_eq!(runs[1].counts.records_committed, 1);
    let next = h.start_run(&h.spec("kept", 1, 2), "?restart=true").await;
    let ids: Vec<u64> = [&done.id, &cut.id, &next.id]
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    assert!(ids[2] > ids[1] && ids[1] > ids[0], "{ids:?}");
    h.gate.add_permits(1);
    assert_eq!(h.wait_final(&next.id).await.state, RunState::Completed);
    assert_eq!(lines(&h.out("kept")).len(), 4);
    h.stop().await;
}

#[tokio::test]
async fn a_server_killed_mid_run_marks_it_interrupted_and_the_next_run_resumes_exactly() {
    let mut h = Harness::start(2).await;
    h.stop().await;
    // A server on a runtime of its own, dropped without any shutdown: the
    // run's task dies mid-run as in a `kill -9`.
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (die_tx, die_rx) = tokio::sync::oneshot::channel::<()>();
    let gate = Arc::clone(&h.gate);
    let dir = h.dir.path().join("serve");
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let options = ServeOptions::new("127.0.0.1:0".parse().unwrap()).with_state_dir(dir);
            let server = Server::start(Arc::new(JsonLoader), Arc::new(registry(gate)), options)
                .await
                .unwrap();
            url_tx.send(server.url()).unwrap();
            let _ = die_rx.await;
            drop(server);
        });
        runtime.shutdown_background();
    });
    h.url = url_rx.recv().unwrap();
    let spec = h.spec("killed", 5, 2);
    let run = h.start_run(&spec, "").await;
    h.gate.add_permits(2);
    h.wait_for(&run.id, at_pages(2)).await;
    die_tx.send(()).unwrap();
    thread.join().unwrap();

    h.restart(2).await;
    let record: faucet_serve::RunRecord =
        serde_json::from_value(h.get_json(&format!("/runs/{}", run.id)).await).unwrap();
    assert_eq!(record.state, RunState::Interrupted, "{record:?}");
    assert!(record.finished_at_ms.is_some());
    // The first page's progress was saved: the record says how far the
    // run got.
    assert!(record.counts.records_committed >= 2, "{record:?}");
    assert!(record.last_checkpoint.is_some(), "{record:?}");
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
        text.contains("faucet_runs_total{outcome=\"interrupted\"} 1\n"),
        "{text}"
    );

    let next = h.start_run(&spec, "").await;
    h.gate.add_permits(3);
    let done = h.wait_final(&next.id).await;
    assert_eq!(done.state, RunState::Completed, "{done:?}");
    assert_eq!(done.counts.records_written, 6);
    assert_eq!(lines(&h.out("killed")), expected(0..5, 2));
    h.stop().await;
}
