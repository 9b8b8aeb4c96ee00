//! What a run does after a completed one, and the report's counts and
//! words, with in-memory connectors.

use std::sync::{Arc, Mutex};

use serde_json::json;

use super::tests::{RecordingSink, ids};
use crate::conformance::ScriptedSource;
use crate::connector::*;
use crate::{MemoryStateStore, Pipeline, Resume, RunOutcome, SourceCapabilities, StateStore};

fn pipeline<'a>(
    source: &'a ScriptedSource,
    sink: &'a RecordingSink,
    store: &Arc<MemoryStateStore>,
) -> Pipeline<&'a ScriptedSource, &'a RecordingSink> {
    Pipeline::new(source, sink)
        .with_name("orders")
        .with_state_store(store.clone())
}

#[tokio::test]
async fn a_completed_append_pipeline_refuses_to_append_everything_again() {
    let store = Arc::new(MemoryStateStore::new());
    let (source, sink) = (ScriptedSource::new(3, 2), RecordingSink::default());
    let first = pipeline(&source, &sink, &store).run().await.unwrap();
    assert_eq!(first.outcome, RunOutcome::Completed);
    assert_eq!(first.resume, Resume::Fresh);

    let (report, err) = pipeline(&source, &sink, &store).run_with_report().await;
    let err = err.expect("the rerun is refused");
    match &err {
        FaucetError::Completed {
            pipeline, at_unix, ..
        } => {
            assert_eq!(pipeline, "orders");
            assert!(*at_unix > 1_700_000_000, "{at_unix}");
        }
        other => panic!("expected Completed, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("pipeline `orders` completed at "),
        "{err}"
    );
    assert_eq!(report.outcome, RunOutcome::Failed);
    assert_eq!(
        report.resume,
        Resume::NotStarted,
        "a refused run did not start"
    );
    assert_eq!(report.error.as_ref().map(|e| e.kind), Some("completed"));
    assert_eq!(report.progress.records_read, 0);
    // Nothing was appended a second time.
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=6).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn restart_reads_everything_again_on_purpose() {
    let store = Arc::new(MemoryStateStore::new());
    let (source, sink) = (ScriptedSource::new(3, 2), RecordingSink::default());
    pipeline(&source, &sink, &store).run().await.unwrap();
    let report = pipeline(&source, &sink, &store)
        .with_restart(true)
        .run()
        .await
        .unwrap();
    assert_eq!(report.resume, Resume::Restarted);
    assert_eq!(report.resumed_from, None);
    let mut twice: Vec<u64> = (1..=6).collect();
    twice.extend(1..=6);
    assert_eq!(ids(&sink.records.lock().unwrap()), twice);
    // And the restarted run is complete in its turn.
    let again = pipeline(&source, &sink, &store).run().await.unwrap_err();
    assert!(matches!(again, FaucetError::Completed { .. }), "{again}");
}

#[tokio::test]
async fn an_idempotent_sink_starts_over_after_a_completed_run() {
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(2, 3);
    let sink = RecordingSink {
        idempotent: true,
        ..Default::default()
    };
    pipeline(&source, &sink, &store).run().await.unwrap();
    let report = pipeline(&source, &sink, &store).run().await.unwrap();
    assert!(
        matches!(report.resume, Resume::StartedOver { completed_at_unix } if completed_at_unix > 0),
        "{:?}",
        report.resume
    );
    assert_eq!(report.progress.records_committed, 6);
    assert!(report.resume.to_string().starts_with("started over"));
}

/// An incremental source over a shared list: records with `id` above the
/// checkpoint's `since`, one page, final checkpoint the highest id.
struct Growing(Mutex<Vec<u64>>);

#[async_trait]
impl Source for Growing {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        let since = ctx
            .resume_from
            .as_ref()
            .and_then(|c| c.as_value()["since"].as_u64())
            .unwrap_or(0);
        let ids = self.0.lock().unwrap().clone();
        Ok(ids
            .into_iter()
            .filter(|id| *id > since)
            .map(|id| json!({ "id": id }))
            .map(Into::into)
            .collect())
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        Box::pin(futures::stream::once(async move {
            let records = self.fetch(&ctx).await?;
            let high = records.iter().filter_map(|r| r["id"].as_u64()).max();
            let since = ctx
                .resume_from
                .as_ref()
                .and_then(|c| c.as_value()["since"].as_u64());
            let position = high.or(since).unwrap_or(0);
            Ok(Page::new(records).with_checkpoint(json!({ "since": position })))
        }))
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable().incremental()
    }
}

#[tokio::test]
async fn an_incremental_source_continues_after_a_completed_run() {
    let store = Arc::new(MemoryStateStore::new());
    let source = Growing(Mutex::new((1..=5).collect()));
    let sink = RecordingSink::default();
    let run = || {
        Pipeline::new(&source, &sink)
            .with_name("events")
            .with_state_store(store.clone())
    };
    run().run().await.unwrap();
    source.0.lock().unwrap().extend(6..=8);
    let report = run().run().await.unwrap();
    assert_eq!(
        report.resume,
        Resume::Continued {
            after: Checkpoint::new(json!({ "since": 5 })),
            completed_at_unix: match report.resume {
                Resume::Continued {
                    completed_at_unix, ..
                } => completed_at_unix,
                _ => 0,
            },
        }
    );
    assert_eq!(report.progress.records_committed, 3);
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=8).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_mid_run_resume_is_named_with_its_checkpoint() {
    let store = Arc::new(MemoryStateStore::new());
    let sink = RecordingSink::default();
    let failing = ScriptedSource::new(4, 2).failing_at(2);
    assert!(pipeline(&failing, &sink, &store).run().await.is_err());
    let source = ScriptedSource::new(4, 2);
    let report = pipeline(&source, &sink, &store).run().await.unwrap();
    let after = Checkpoint::new(json!({ "next_page": 2 }));
    assert_eq!(report.resume, Resume::Resumed { after });
    assert_eq!(
        report.resume.to_string(),
        r#"resumed after checkpoint {"next_page":2}"#
    );
}

#[tokio::test]
async fn counts_after_a_rolled_back_transaction_are_committed_counts() {
    let source = ScriptedSource::new(6, 10);
    let sink = RecordingSink {
        buffered: true,
        fail_at: Some(3),
        ..Default::default()
    };
    let (report, err) = Pipeline::new(&source, &sink).run_with_report().await;
    assert!(err.is_some());
    // Pages 0..=2 went into the open transaction that the failure abandons.
    assert_eq!(report.progress.records_written, 30);
    assert_eq!(report.progress.records_committed, 0);
    assert_eq!(report.progress.records_uncommitted, 30);
    let error = report.error.expect("the error is in the report");
    assert_eq!(error.kind, "sink");
    assert_eq!(error.message, "sink failed: failed at page 3");
}

#[tokio::test]
async fn buffered_pages_count_as_committed_once_flushed() {
    let source = ScriptedSource::new(3, 4);
    let sink = RecordingSink {
        buffered: true,
        ..Default::default()
    };
    let report = Pipeline::new(&source, &sink).run().await.unwrap();
    assert_eq!(report.progress.records_committed, 12);
    assert_eq!(report.progress.records_uncommitted, 0);
}

#[tokio::test]
async fn retries_a_source_counts_reach_the_report() {
    struct Flaky;
    #[async_trait]
    impl Source for Flaky {
        async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
            ctx.retries().record("429");
            ctx.retries().record("429");
            ctx.retries().record("malformed_body");
            Ok(vec![json!({ "id": 1 }).into()])
        }
    }
    let sink = RecordingSink::default();
    let report = Pipeline::new(Flaky, &sink).run().await.unwrap();
    let expected = [("429".to_owned(), 2), ("malformed_body".to_owned(), 1)];
    assert_eq!(report.retries, expected.into_iter().collect());
}

#[tokio::test]
async fn the_largest_announced_total_reaches_the_progress() {
    struct Totals;
    #[async_trait]
    impl Source for Totals {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            Ok(Vec::new())
        }
        fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
            let pages = [
                Page::new(vec![json!({}).into()]).with_expected_total(50),
                Page::new(vec![]),
            ];
            Box::pin(futures::stream::iter(pages.map(Ok)))
        }
    }
    let sink = RecordingSink::default();
    let report = Pipeline::new(Totals, &sink).run().await.unwrap();
    assert_eq!(report.progress.expected_total, Some(50));
}

/// The source's last page carries the completion marker, so no moment
/// exists where the last rows are durable and the marker is not: a run
/// that dies right after its last page (here: a sink that would fail on
/// one more commit) must not leave the last page's checkpoint, which
/// says "start over" (`null`), for the next run to append everything
/// again.
#[tokio::test]
async fn the_last_rows_and_the_completion_marker_are_durable_together() {
    let store = Arc::new(MemoryStateStore::new());
    let source = ScriptedSource::new(3, 2);
    // Pages 0–2 hold records, page 3 is the source's final empty page
    // (checkpoint `null`); a separate marker commit would be page 4.
    let sink = RecordingSink {
        fail_at: Some(4),
        ..RecordingSink::default()
    };
    let report = pipeline(&source, &sink, &store).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let stored = store.load("orders").await.unwrap().expect("a checkpoint");
    assert!(
        super::completion::Completion::from_checkpoint(&stored).is_some(),
        "the marker is stored with the last page: {stored:?}"
    );
    let err = pipeline(&source, &sink, &store).run().await.unwrap_err();
    assert!(matches!(err, FaucetError::Completed { .. }), "{err}");
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        (1..=6).collect::<Vec<_>>(),
        "every record once"
    );
}

/// Holding a page back to learn whether it is the last is bounded: a
/// source that pauses between pages still has each page committed within
/// the hold, not when the next page comes.
#[tokio::test(start_paused = true)]
async fn a_page_before_a_long_pause_is_committed_without_waiting_for_the_next() {
    struct Pausing;
    #[async_trait]
    impl Source for Pausing {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            unreachable!("stream_pages is overridden")
        }
        fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
            stream::iter([1u64, 2])
                .then(|n| async move {
                    if n == 2 {
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                    Ok(Page::new(vec![json!({ "id": n }).into()]).with_checkpoint(json!(n)))
                })
                .boxed()
        }
    }
    let started = tokio::time::Instant::now();
    let committed_at = Arc::new(Mutex::new(Vec::new()));
    struct Timing(Arc<Mutex<Vec<std::time::Duration>>>, tokio::time::Instant);
    #[async_trait]
    impl Sink for Timing {
        async fn write_batch(&self, records: &[Record]) -> Result<usize> {
            self.0.lock().unwrap().push(self.1.elapsed());
            Ok(records.len())
        }
    }
    let sink = Timing(committed_at.clone(), started);
    let report = Pipeline::new(Pausing, &sink).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let at = committed_at.lock().unwrap().clone();
    // Page 2 is the last, so it carries the marker: two commits.
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(
        at[0] < std::time::Duration::from_secs(1),
        "page 1 at {:?}",
        at[0]
    );
    assert!(
        at[1] >= std::time::Duration::from_secs(60),
        "page 2 at {:?}",
        at[1]
    );
}
