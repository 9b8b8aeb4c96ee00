//! Pipelines over sources that read several streams.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::json;

use crate::connector::*;
use crate::{MemoryStateStore, Pipeline, RunOutcome, StateStore, StreamSelection, StreamStates};

/// Two interleaved streams, `a` (ids 1..=4, two per page) and `b` (ids
/// 101..=103, one per page), each page carrying the map of both streams'
/// positions; resumes from that map.
struct TwoStreams;

impl TwoStreams {
    fn plan() -> Vec<(&'static str, Vec<u64>)> {
        vec![
            ("a", vec![1, 2]),
            ("b", vec![101]),
            ("a", vec![3, 4]),
            ("b", vec![102]),
            ("b", vec![103]),
        ]
    }
}

#[async_trait]
impl Source for TwoStreams {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let mut states = match StreamStates::from_checkpoint(ctx.resume_from.as_ref()) {
            Ok(states) => states,
            Err(err) => return stream::iter([Err(err)]).boxed(),
        };
        let mut pages = Vec::new();
        for (stream, ids) in Self::plan() {
            let last = *ids.last().unwrap();
            let done = states.get(stream).and_then(Value::as_u64).unwrap_or(0);
            if last <= done {
                continue;
            }
            states.set(stream, json!(last));
            let records = ids.iter().map(|id| json!({ "id": id }).into()).collect();
            pages.push(Ok(Page::new(records)
                .with_stream(stream)
                .with_checkpoint(states.to_checkpoint())));
        }
        stream::iter(pages).boxed()
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }
}

/// Keeps records per stream; routes streams unless `one_stream`; writes
/// the streams in `idempotent` idempotently.
#[derive(Default)]
struct Routing {
    tables: Mutex<BTreeMap<String, Vec<u64>>>,
    one_stream: bool,
    idempotent: Vec<&'static str>,
}

#[async_trait]
impl Sink for Routing {
    async fn write_batch(&self, _records: &[Record]) -> Result<usize> {
        unreachable!("commit_page is overridden")
    }

    async fn commit_page(&self, page: &Page, _ctx: &CommitContext) -> Result<PageCommit> {
        let table = page.stream().unwrap_or("default").to_owned();
        let ids = page.records().iter().map(|r| r["id"].as_u64().unwrap());
        self.tables
            .lock()
            .unwrap()
            .entry(table)
            .or_default()
            .extend(ids);
        Ok(PageCommit::new(page.len(), Durability::Rows))
    }

    fn capabilities(&self) -> SinkCapabilities {
        if self.one_stream {
            SinkCapabilities::default()
        } else {
            SinkCapabilities::default().streams()
        }
    }

    fn idempotent_for(&self, stream: &str) -> bool {
        self.idempotent.contains(&stream)
    }
}

fn tables(sink: &Routing) -> BTreeMap<String, Vec<u64>> {
    sink.tables.lock().unwrap().clone()
}

#[tokio::test]
async fn each_stream_reaches_its_own_place_with_its_own_counts() {
    let sink = Routing::default();
    let report = Pipeline::new(TwoStreams, &sink).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let got = tables(&sink);
    assert_eq!(got["a"], [1, 2, 3, 4]);
    assert_eq!(got["b"], [101, 102, 103]);
    let a = &report.progress.streams["a"];
    let b = &report.progress.streams["b"];
    assert_eq!(
        (
            a.records_read,
            a.records_written,
            a.records_committed,
            a.pages
        ),
        (4, 4, 4, 2)
    );
    assert_eq!(
        (
            b.records_read,
            b.records_written,
            b.records_committed,
            b.pages
        ),
        (3, 3, 3, 3)
    );
    assert_eq!(report.progress.records_committed, 7);
}

#[tokio::test]
async fn a_one_stream_sink_refuses_the_second_stream_after_writing_the_first_page() {
    let sink = Routing {
        one_stream: true,
        ..Default::default()
    };
    let store = std::sync::Arc::new(MemoryStateStore::new());
    let (report, err) = Pipeline::new(TwoStreams, &sink)
        .with_state_store(store)
        .run_with_report()
        .await;
    let text = err.expect("mixing streams fails").to_string();
    assert!(text.contains("`a`") && text.contains("`b`"), "{text}");
    assert!(text.contains("--streams a"), "{text}");
    assert_eq!(report.outcome, RunOutcome::Failed);
    assert_eq!(
        tables(&sink)["a"],
        [1, 2],
        "nothing of stream b was written"
    );
    assert!(!tables(&sink).contains_key("b"));
    assert_eq!(report.progress.records_committed, 2);
}

#[tokio::test]
async fn an_unselected_stream_is_read_not_written_and_its_checkpoint_moves() {
    let sink = Routing {
        one_stream: true,
        ..Default::default()
    };
    let store = std::sync::Arc::new(MemoryStateStore::new());
    let report = Pipeline::new(TwoStreams, &sink)
        .with_state_store(store.clone())
        .with_streams(StreamSelection::only(["b"]))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(tables(&sink).get("a").map(Vec::len).unwrap_or(0), 0);
    assert_eq!(tables(&sink)["b"], [101, 102, 103]);
    assert!(!report.progress.streams.contains_key("a"));
    assert_eq!(
        report.progress.records_read, 3,
        "unselected records are not counted"
    );
    let marker = report
        .last_checkpoint
        .as_ref()
        .expect("a completed run stores its marker");
    let completion = crate::Completion::from_checkpoint(marker).expect("the completion marker");
    let states = StreamStates::from_checkpoint(completion.checkpoint.as_ref()).unwrap();
    assert_eq!(
        states.get("a"),
        Some(&json!(4)),
        "a's position moved with the pages"
    );
    assert_eq!(states.get("b"), Some(&json!(103)));
}

#[tokio::test]
async fn a_resumed_run_continues_every_stream_where_it_was() {
    let sink = Routing::default();
    let store = std::sync::Arc::new(MemoryStateStore::new());
    // A previous run committed the first three pages: a at 4, b at 101.
    let mut states = StreamStates::default();
    states.set("a", json!(4));
    states.set("b", json!(101));
    store
        .save("default", &states.to_checkpoint())
        .await
        .unwrap();
    let report = Pipeline::new(TwoStreams, &sink)
        .with_state_store(store)
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    let got = tables(&sink);
    assert!(!got.contains_key("a"), "stream a was done: {got:?}");
    assert_eq!(got["b"], [102, 103]);
}

/// [`TwoStreams`] declared incremental, except stream `a`, which it reads
/// in full on every run.
struct IncrementalButA;

#[async_trait]
impl Source for IncrementalButA {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        TwoStreams.fetch(ctx).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        TwoStreams.stream_pages(ctx)
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable().incremental()
    }

    fn full_refresh_streams(&self) -> Vec<String> {
        vec!["a".into()]
    }
}

/// After a completed run, an incremental source continues only when every
/// stream it reads in full again lands idempotently; a stream that would
/// be appended a second time is named in the refusal.
#[tokio::test]
async fn a_stream_read_in_full_again_is_never_appended_twice_after_completion() {
    let store = std::sync::Arc::new(MemoryStateStore::new());
    fn run<'a>(
        sink: &'a Routing,
        store: &std::sync::Arc<MemoryStateStore>,
    ) -> Pipeline<IncrementalButA, &'a Routing> {
        Pipeline::new(IncrementalButA, sink)
            .with_name("mixed")
            .with_state_store(store.clone())
    }
    let appending = Routing::default();
    run(&appending, &store).run().await.unwrap();
    let err = run(&appending, &store).run().await.unwrap_err();
    match &err {
        FaucetError::Completed { streams, .. } => assert_eq!(streams, &["a"]),
        other => panic!("expected Completed, got {other:?}"),
    }
    assert!(
        err.to_string().contains("`a` is read in full on every run"),
        "{err}"
    );
    assert_eq!(
        tables(&appending)["a"],
        [1, 2, 3, 4],
        "nothing appended twice"
    );

    // Selecting only `b` continues; so does a sink upserting `a`.
    let report = run(&appending, &store)
        .with_streams(StreamSelection::only(["b"]))
        .run()
        .await
        .unwrap();
    assert!(
        matches!(report.resume, crate::Resume::Continued { .. }),
        "{:?}",
        report.resume
    );
    let upserting = Routing {
        idempotent: vec!["a"],
        ..Routing::default()
    };
    let report = run(&upserting, &store).run().await.unwrap();
    assert!(
        matches!(report.resume, crate::Resume::Continued { .. }),
        "{:?}",
        report.resume
    );
}
