//! Transforms in the pipeline: order, checkpoints carried through pages
//! filtered empty, splitting, error policies, panics, limits and resume.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use super::tests::{RecordingSink, ids};
use crate::conformance::ScriptedSource;
use crate::connector::*;
use crate::{MemoryStateStore, Pipeline, StateStore};

/// Keeps records whose id satisfies the predicate.
struct Keep(fn(u64) -> bool);

impl Transform for Keep {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let id = id_of(&record)?;
        if (self.0)(id) {
            out.push(record);
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "keep"
    }
}

/// Gives each record twice, the copy with `copy: true`.
struct Twice;

impl Transform for Twice {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let mut copy = record.to_value()?;
        copy["copy"] = json!(true);
        out.push(record);
        out.push(copy.into());
        Ok(())
    }
}

/// Fails on the ids given, panics on id 999.
struct FailOn(&'static [u64]);

impl Transform for FailOn {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let id = id_of(&record)?;
        assert!(id != 999, "id 999 is a bug");
        if self.0.contains(&id) {
            return Err(FaucetError::decode("field `id`", "not allowed"));
        }
        out.push(record);
        Ok(())
    }

    fn name(&self) -> &str {
        "fail_on"
    }
}

fn id_of(record: &Record) -> Result<u64> {
    match record.field("id")? {
        Some(ValueRef::Number(n)) => n.as_u64().ok_or_else(|| FaucetError::source_error("id")),
        _ => Err(FaucetError::source_error("no id")),
    }
}

#[tokio::test]
async fn a_filter_keeps_order_and_pages_filtered_empty_still_carry_their_checkpoint() {
    // 4 pages of 3 (ids 1..=12); page 1 (ids 4..=6) is filtered out whole,
    // and the source fails at page 3, so the last durable checkpoint must be
    // page 2's: the empty page 1 moved it along.
    let source = ScriptedSource::new(4, 3).failing_at(3);
    let sink = RecordingSink::default();
    let store = Arc::new(MemoryStateStore::new());
    let (report, err) = Pipeline::new(&source, &sink)
        .with_name("f")
        .with_state_store(store.clone())
        .transform(Keep(|id| !(4..=6).contains(&id)))
        .run_with_report()
        .await;
    assert!(err.is_some(), "the source failed at page 3");
    assert_eq!(ids(&sink.records.lock().unwrap()), [1, 2, 3, 7, 8, 9]);
    assert_eq!(report.progress.records_read, 9);
    assert_eq!(report.progress.records_written, 6);
    assert_eq!(report.progress.pages, 3, "the empty page was committed too");
    let stored = store.load("f").await.unwrap().unwrap();
    assert_eq!(stored.as_value(), &json!({"next_page": 3}));

    // The rerun resumes after page 2 and completes.
    let report = Pipeline::new(&ScriptedSource::new(4, 3), &sink)
        .with_name("f")
        .with_state_store(store.clone())
        .transform(Keep(|id| !(4..=6).contains(&id)))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(
        ids(&sink.records.lock().unwrap()),
        [1, 2, 3, 7, 8, 9, 10, 11, 12],
        "every kept record once"
    );
}

#[tokio::test]
async fn transforms_chain_in_order_and_may_split_records() {
    let source = ScriptedSource::new(2, 2);
    let sink = RecordingSink::default();
    let report = Pipeline::new(&source, &sink)
        .transform(Keep(|id| id != 2))
        .transform(Twice)
        .run()
        .await
        .unwrap();
    let got = sink.records.lock().unwrap().clone();
    assert_eq!(ids(&got), [1, 1, 3, 3, 4, 4]);
    assert_eq!(got[1]["copy"], true);
    assert_eq!(got[0]["copy"], Value::Null);
    assert_eq!(report.progress.records_read, 4);
    assert_eq!(report.progress.records_written, 6);
}

#[tokio::test]
async fn an_untouched_record_keeps_its_text() {
    struct Text;
    #[async_trait]
    impl Source for Text {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            Ok(vec![Record::from_json(
                r#"{"id":1,"n":1.000000000000000000001}"#,
            )?])
        }
    }
    let sink = RecordingSink::default();
    Pipeline::new(Text, &sink)
        .transform(Keep(|_| true))
        .run()
        .await
        .unwrap();
    let got = sink.records.lock().unwrap().clone();
    assert_eq!(
        got[0].raw_json(),
        Some(&br#"{"id":1,"n":1.000000000000000000001}"#[..])
    );
}

#[tokio::test]
async fn a_failing_record_fails_the_run_naming_transform_and_position() {
    let source = ScriptedSource::new(3, 2);
    let sink = RecordingSink::default();
    let (report, err) = Pipeline::new(&source, &sink)
        .transform(Keep(|_| true))
        .transform(FailOn(&[4]))
        .run_with_report()
        .await;
    let err = err.expect("the run fails");
    assert_eq!(
        err.to_string(),
        "transforms[1] (fail_on) failed at page 1, record 1: \
         malformed data from field `id`: not allowed"
    );
    assert_eq!(err.kind(), "transform");
    assert_eq!(report.outcome, RunOutcome::Failed);
    assert_eq!(ids(&sink.records.lock().unwrap()), [1, 2], "page 0 only");
}

#[tokio::test]
async fn skip_drops_the_failing_records_and_counts_them() {
    let source = ScriptedSource::new(3, 2);
    let sink = RecordingSink::default();
    let report = Pipeline::new(&source, &sink)
        .transform_with(FailOn(&[2, 5]), OnError::Skip)
        .run()
        .await
        .unwrap();
    assert_eq!(ids(&sink.records.lock().unwrap()), [1, 3, 4, 6]);
    assert_eq!(report.progress.records_skipped, 2);
    assert_eq!(report.outcome, RunOutcome::Completed);
}

#[tokio::test]
async fn a_panicking_transform_fails_the_run_even_under_skip() {
    struct Ids(Vec<u64>);
    #[async_trait]
    impl Source for Ids {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            Ok(self.0.iter().map(|id| json!({ "id": id }).into()).collect())
        }
    }
    let sink = RecordingSink::default();
    let (report, err) = Pipeline::new(Ids(vec![1, 999, 3]), &sink)
        .transform_with(FailOn(&[]), OnError::Skip)
        .run_with_report()
        .await;
    let err = err.expect("a panic is a bug: the run fails");
    let text = err.to_string();
    assert!(
        text.contains("transforms[0] (fail_on) failed at page 0, record 1"),
        "{text}"
    );
    assert!(text.contains("panicked: id 999 is a bug"), "{text}");
    assert_eq!(report.outcome, RunOutcome::Failed);
    assert!(sink.records.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_limit_counts_records_after_transforms() {
    let source = ScriptedSource::new(5, 4);
    let sink = RecordingSink::default();
    let report = Pipeline::new(&source, &sink)
        .with_limit(Some(5))
        .transform(Keep(|id| id % 2 == 0))
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::LimitReached);
    assert_eq!(ids(&sink.records.lock().unwrap()), [2, 4, 6, 8, 10]);
}

/// A sink that keeps pages' dead letters beside their records.
#[derive(Default)]
struct LetterSink {
    records: std::sync::Mutex<Vec<Record>>,
    letters: std::sync::Mutex<Vec<DeadLetter>>,
}

#[async_trait]
impl Sink for LetterSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        self.records.lock().unwrap().extend_from_slice(records);
        Ok(records.len())
    }

    async fn commit_page(&self, page: &Page, _ctx: &CommitContext) -> Result<PageCommit> {
        self.letters
            .lock()
            .unwrap()
            .extend_from_slice(page.dead_letters());
        let written = self.write_batch(page.records()).await?;
        Ok(PageCommit::new(written, Durability::Rows))
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::default().dead_letters()
    }
}

#[tokio::test]
async fn dead_letters_travel_with_their_page_to_a_sink_that_keeps_them() {
    let source = ScriptedSource::new(3, 2);
    let sink = LetterSink::default();
    let report = Pipeline::new(&source, &sink)
        .transform(Keep(|_| true))
        .transform_with(FailOn(&[2, 5]), OnError::DeadLetter)
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(ids(&sink.records.lock().unwrap()), [1, 3, 4, 6]);
    assert_eq!(report.progress.records_dead_lettered, 2);
    assert_eq!(report.progress.records_skipped, 0);
    let letters = sink.letters.lock().unwrap().clone();
    assert_eq!(letters.len(), 2);
    assert_eq!(letters[0].stage, "transforms[1] (fail_on)");
    assert_eq!(letters[0].position, "page 0, record 1");
    assert_eq!(letters[1].position, "page 2, record 0");
    assert!(
        letters[0].reason.contains("not allowed"),
        "{}",
        letters[0].reason
    );
    assert_eq!(
        letters[0].record["id"], 2,
        "the record as it reached the transform"
    );
}

#[tokio::test]
async fn dead_letters_before_a_sink_that_keeps_none_are_refused_before_reading() {
    let source = ScriptedSource::new(3, 2);
    let sink = RecordingSink::default();
    let (report, err) = Pipeline::new(&source, &sink)
        .transform(Keep(|_| true))
        .transform_with(FailOn(&[2]), OnError::DeadLetter)
        .run_with_report()
        .await;
    let err = err.expect("refused");
    assert!(
        err.to_string()
            .starts_with("invalid config at `transforms[1].on_error`: `dead_letter` needs a sink"),
        "{err}"
    );
    assert_eq!(report.progress.records_read, 0);
    assert!(sink.records.lock().unwrap().is_empty());
}

/// Declares a schema on each of its two pages, the same `Arc` for both.
struct Declaring;

#[async_trait]
impl Source for Declaring {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        crate::source::collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
        let schema = Arc::new(json!({
            "type": "object",
            "properties": { "id": { "type": "integer" } }
        }));
        let pages = (0..2u64).map(move |p| {
            Ok(Page::from_values([json!({ "id": p })])
                .with_checkpoint(json!(p))
                .with_schema(Arc::clone(&schema)))
        });
        futures::stream::iter(pages.collect::<Vec<_>>()).boxed()
    }
}

/// Adds `copy: true` and says so in its output schema.
struct Copying;

impl Transform for Copying {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let mut value = record.to_value()?;
        value["copy"] = json!(true);
        out.push(value.into());
        Ok(())
    }

    fn output_schema(&self, input: &Value) -> Value {
        let mut schema = input.clone();
        schema["properties"]["copy"] = json!({ "type": "boolean" });
        schema
    }
}

/// Keeps the schema of every page it is given.
#[derive(Default)]
struct SchemaSink(std::sync::Mutex<Vec<Option<Arc<Value>>>>);

#[async_trait]
impl Sink for SchemaSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        Ok(records.len())
    }

    async fn commit_page(&self, page: &Page, _ctx: &CommitContext) -> Result<PageCommit> {
        self.0.lock().unwrap().push(page.schema().cloned());
        Ok(PageCommit::new(page.len(), Durability::Rows))
    }
}

#[tokio::test]
async fn a_declared_schema_reaches_the_sink_as_the_transforms_leave_it() {
    let sink = SchemaSink::default();
    Pipeline::new(Declaring, &sink)
        .transform(Copying)
        .transform(Keep(|_| true))
        .run()
        .await
        .unwrap();
    let schemas = sink.0.into_inner().unwrap();
    let declared: Vec<_> = schemas.iter().flatten().collect();
    assert_eq!(declared.len(), 2, "both pages keep a schema: {schemas:?}");
    let expected = json!({
        "type": "object",
        "properties": { "id": { "type": "integer" }, "copy": { "type": "boolean" } }
    });
    assert_eq!(*declared[0].as_ref(), expected);
    // Computed once for the stream: both pages share the output schema.
    assert!(Arc::ptr_eq(declared[0], declared[1]));
}
