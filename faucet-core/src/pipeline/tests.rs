//! Tests of the pipeline's own logic, with in-memory connectors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::conformance::ScriptedSource;
use crate::connector::*;
use crate::{
    DeliveryGuarantee, MemoryStateStore, Observer, Pipeline, Progress, RunOutcome, StateStore,
};

/// A sink that records what it is given, optionally slow, failing at a
/// page, or buffering like a transactional sink.
#[derive(Default)]
pub(super) struct RecordingSink {
    pub(super) records: Mutex<Vec<Record>>,
    pub(super) flushes: AtomicU64,
    pub(super) fail_at: Option<u64>,
    pub(super) delay: Duration,
    pub(super) buffered: bool,
    pub(super) idempotent: bool,
}

#[async_trait]
impl Sink for RecordingSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        self.records.lock().unwrap().extend_from_slice(records);
        Ok(records.len())
    }

    async fn flush(&self) -> Result<()> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.fail_at == Some(ctx.page_index) {
            return Err(FaucetError::sink_error(format!(
                "failed at page {}",
                ctx.page_index
            )));
        }
        let written = self.write_batch(page.records()).await?;
        let durability = if self.buffered {
            Durability::Buffered
        } else {
            Durability::Rows
        };
        Ok(PageCommit::new(written, durability))
    }

    fn capabilities(&self) -> SinkCapabilities {
        if self.idempotent {
            SinkCapabilities::default().idempotent()
        } else {
            SinkCapabilities::default()
        }
    }
}

pub(super) fn ids(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[tokio::test(start_paused = true)]
async fn source_and_sink_overlap() {
    let step = Duration::from_millis(50);
    let source = ScriptedSource::new(40, 10).with_delay(step);
    let sink = RecordingSink {
        delay: step,
        ..Default::default()
    };
    let started = tokio::time::Instant::now();
    let report = Pipeline::new(&source, &sink).run().await.unwrap();
    let elapsed = started.elapsed();
    // 40 pages plus the source's final empty page: 41 fetches and 41
    // commits. In turn they would take 82 steps; overlapped, one commit
    // trails the last fetch.
    assert_eq!(report.progress.pages, 41);
    assert!(elapsed >= step * 42, "{elapsed:?}");
    assert!(elapsed <= step * 43, "{elapsed:?} is not overlapped");
    assert_eq!(report.progress.records_written, 400);
}

#[tokio::test]
async fn a_failing_sink_leaves_the_checkpoint_at_the_page_before() {
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(10, 5);
    let sink = RecordingSink {
        fail_at: Some(4),
        ..Default::default()
    };
    let err = Pipeline::new(&source, &sink)
        .with_state_store(store.clone())
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("failed at page 4"), "{err}");
    // Pages 0..=3 are durable; the checkpoint says resume at page 4.
    let saved = store.load("default").await.unwrap().unwrap();
    assert_eq!(saved.as_value(), &json!({ "next_page": 4 }));
    assert_eq!(sink.records.lock().unwrap().len(), 20);
}

#[tokio::test]
async fn a_rerun_resumes_after_the_saved_checkpoint() {
    let store = Arc::new(MemoryStateStore::new());
    let sink = RecordingSink::default();
    let failing = ScriptedSource::new(6, 3).failing_at(3);
    let first = Pipeline::new(&failing, &sink).with_state_store(store.clone());
    assert!(first.run().await.is_err());

    let source = ScriptedSource::new(6, 3);
    let before = unix_now();
    let report = Pipeline::new(&source, &sink)
        .with_state_store(store.clone())
        .run()
        .await
        .unwrap();
    assert_eq!(
        report.resumed_from,
        Some(Checkpoint::new(json!({ "next_page": 3 })))
    );
    assert_eq!(report.guarantee, DeliveryGuarantee::AtLeastOnce);
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=18).collect::<Vec<_>>()
    );
    // The final checkpoint marks the run complete, after the source's own
    // last checkpoint (its "start over" `null`).
    let stored = store.load("default").await.unwrap().unwrap();
    let done = crate::Completion::from_checkpoint(&stored).expect("a completion marker");
    assert_eq!(done.checkpoint, None);
    // Stamped by this run: between its start and now (whole seconds).
    let after = unix_now();
    assert!(
        (before..=after).contains(&done.at_unix),
        "{done:?} not within this run's {before}..={after}"
    );
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct CancelAfter {
    pages: u64,
    token: CancellationToken,
}

impl Observer for CancelAfter {
    fn on_page(&self, progress: &Progress) {
        if progress.pages == self.pages {
            self.token.cancel();
        }
    }
}

#[tokio::test]
async fn cancellation_stops_at_a_page_boundary_and_saves_the_checkpoint() {
    let token = CancellationToken::new();
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(50, 2);
    let sink = RecordingSink::default();
    let report = Pipeline::new(&source, &sink)
        .with_state_store(store.clone())
        .with_cancel(token.clone())
        .with_observer(Arc::new(CancelAfter { pages: 3, token }))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    assert_eq!(report.progress.pages, 3);
    assert_eq!(sink.records.lock().unwrap().len(), 6);
    let checkpoint = Checkpoint::new(json!({ "next_page": 3 }));
    assert_eq!(report.last_checkpoint.as_ref(), Some(&checkpoint));
    assert_eq!(store.load("default").await.unwrap(), Some(checkpoint));
}

#[tokio::test]
async fn buffered_pages_become_durable_at_the_flush_after_a_source_failure() {
    let source = ScriptedSource::new(5, 2).failing_at(3);
    let sink = RecordingSink {
        buffered: true,
        ..Default::default()
    };
    let pipeline = Pipeline::new(&source, &sink);
    let err = pipeline.run().await.unwrap_err();
    assert!(
        err.to_string().contains("scripted failure at page 3"),
        "{err}"
    );
    assert!(err.is_retryable());
    // The sink was flushed once, at the end, so pages 0..=2 are durable.
    assert_eq!(sink.flushes.load(Ordering::SeqCst), 1);
    assert_eq!(sink.records.lock().unwrap().len(), 6);
}

#[tokio::test]
async fn a_sink_failure_is_not_followed_by_a_flush() {
    let source = ScriptedSource::new(5, 2);
    let sink = RecordingSink {
        buffered: true,
        fail_at: Some(2),
        ..Default::default()
    };
    assert!(Pipeline::new(&source, &sink).run().await.is_err());
    assert_eq!(sink.flushes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_limit_inside_a_page_resumes_exactly_after_the_last_record_written() {
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(10, 10);
    let sink = RecordingSink::default();
    let limited = |limit| {
        Pipeline::new(&source, &sink)
            .with_state_store(store.clone())
            .with_limit(Some(limit))
    };
    let report = limited(25).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::LimitReached);
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=25).collect::<Vec<_>>()
    );
    let saved = store.load("default").await.unwrap().unwrap();
    assert_eq!(
        saved.as_value(),
        &json!({ "faucet_resume_after": { "next_page": 2 }, "faucet_skip_records": 5 })
    );
    // Cut inside the same page again: the skip grows from where it was.
    limited(3).run().await.unwrap();
    let saved = store.load("default").await.unwrap().unwrap();
    assert_eq!(saved.as_value()["faucet_skip_records"], 8);
    // Then to the end: every record exactly once.
    let report = Pipeline::new(&source, &sink)
        .with_state_store(store.clone())
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=100).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_limit_on_a_page_boundary_keeps_the_page_checkpoint() {
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(10, 10);
    let sink = RecordingSink::default();
    Pipeline::new(&source, &sink)
        .with_state_store(store.clone())
        .with_limit(Some(30))
        .run()
        .await
        .unwrap();
    let saved = store.load("default").await.unwrap().unwrap();
    assert_eq!(saved.as_value(), &json!({ "next_page": 3 }));
}

struct VecSource(Vec<Record>);

#[async_trait]
impl Source for VecSource {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn a_minimal_vec_source_runs_as_one_page_without_resume() {
    let records: Vec<Record> = (1..=1000)
        .map(|id| json!({ "id": id }))
        .map(Into::into)
        .collect();
    let source: Box<dyn Source> = Box::new(VecSource(records.clone()));
    let sink: Arc<dyn Sink> = Arc::new(RecordingSink::default());
    let pipeline = Pipeline::new(source, Arc::clone(&sink))
        .with_state_store(Arc::new(MemoryStateStore::new()));
    assert_eq!(pipeline.guarantee(), DeliveryGuarantee::NoResume);
    let report = pipeline.run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.progress.pages, 1);
    assert_eq!(report.progress.records_written, 1000);
    assert_eq!(report.progress.records_committed, 1000);
    // The only checkpoint is the completion marker, with no position in it.
    let last = report.last_checkpoint.expect("completion marker");
    assert_eq!(
        crate::Completion::from_checkpoint(&last)
            .unwrap()
            .checkpoint,
        None
    );
}

#[tokio::test]
async fn a_source_error_is_returned_after_a_clean_stop() {
    struct Broken;
    #[async_trait]
    impl Source for Broken {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            Err(FaucetError::http(404, "http://127.0.0.1/x", "not found"))
        }
    }
    let sink = RecordingSink::default();
    let err = Pipeline::new(Broken, &sink).run().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP 404 from http://127.0.0.1/x: not found"
    );
    assert!(sink.records.lock().unwrap().is_empty());
}
