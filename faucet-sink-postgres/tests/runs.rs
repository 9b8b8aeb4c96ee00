//! Run semantics: one run per pipeline at a time, table markers, clearing
//! checkpoints, and what the sink refuses with a clear message.

mod support;

use std::sync::{Arc, Mutex};

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_core::futures::StreamExt;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig};
use support::*;
use tokio::sync::Semaphore;

/// Two pages; the second waits until `gate` gets a permit.
struct GatedSource {
    gate: Arc<Semaphore>,
}

#[async_trait]
impl Source for GatedSource {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(Vec::new())
    }

    fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
        faucet_core::futures::stream::iter(0..2u64)
            .then(move |n| async move {
                if n == 1 {
                    drop(self.gate.acquire().await.unwrap());
                }
                let records = (n * 10..n * 10 + 10)
                    .map(|i| text_record(&json!({"id": i})))
                    .collect();
                Ok(Page::new(records).with_checkpoint(json!({"next": n + 1})))
            })
            .boxed()
    }
}

#[tokio::test]
async fn a_second_run_of_a_running_pipeline_fails_fast_and_the_first_completes_exactly() {
    let (schema, config) = setup("locked").await;
    let gate = Arc::new(Semaphore::new(0));
    let first = {
        let (config, gate) = (config.clone(), gate.clone());
        tokio::spawn(async move {
            let sink = PostgresSink::new(config).unwrap();
            let source = GatedSource { gate };
            Pipeline::new(source, sink).with_name("nightly").run().await
        })
    };
    // Wait until the first run holds the lock (its first page is in).
    let client = schema.client();
    let lock = format!(
        "faucet pipeline \"{}\".\"faucet_state\" nightly",
        schema.name()
    );
    let held_sql = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                    AND objid = (hashtextextended($1, 0) & 4294967295)::oid";
    let mut held: i64 = 0;
    for _ in 0..250 {
        held = client.query_one(held_sql, &[&lock]).await.unwrap().get(0);
        if held > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(held, 1, "the first run holds the pipeline's lock");
    let started = std::time::Instant::now();
    let second = Pipeline::new(
        PagedSource::new(people(5), 5),
        PostgresSink::new(config).unwrap(),
    )
    .with_name("nightly")
    .run()
    .await
    .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    match &second {
        FaucetError::AlreadyRunning { pipeline, holder } => {
            assert_eq!(pipeline, "nightly");
            assert!(
                holder.contains("server process") && holder.contains("since"),
                "{holder}"
            );
        }
        other => panic!("expected AlreadyRunning, got {other}"),
    }
    gate.add_permits(1);
    let report = first.await.unwrap().unwrap();
    assert_eq!(report.progress.records_written, 20);
    let ids: Vec<i64> = client
        .query("SELECT id FROM locked ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, (0..20).collect::<Vec<i64>>());
}

/// Collects formatted log lines.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn run_logged(config: &PostgresSinkConfig, name: &str, logs: &Logs) {
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sink = PostgresSink::new(config.clone()).unwrap();
    Pipeline::new(PagedSource::new(people(3), 3), sink)
        .with_name(name)
        .run()
        .await
        .unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_table_holding_rows_of_another_pipeline_or_of_none_is_warned_about() {
    let (schema, mut config) = setup("shared").await;
    config.mode = faucet_sink_postgres::WriteMode::Upsert;
    config.key = vec!["id".into()];
    schema
        .client()
        .batch_execute(
            "CREATE TABLE shared (id bigint PRIMARY KEY); INSERT INTO shared VALUES (99)",
        )
        .await
        .unwrap();
    let logs = Logs::default();
    run_logged(&config, "first-name", &logs).await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("WARN").count(), 1, "{text}");
    assert!(text.contains("written by no faucet pipeline"), "{text}");

    let logs = Logs::default();
    run_logged(&config, "first-name", &logs).await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("WARN").count(), 0, "{text}");

    let logs = Logs::default();
    run_logged(&config, "renamed", &logs).await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("WARN").count(), 1, "{text}");
    assert!(
        text.contains("written by pipeline `first-name`, not `renamed`"),
        "{text}"
    );
    assert_eq!(count(&schema, "shared").await, 4);
}

#[tokio::test]
async fn clear_checkpoint_forgets_the_pipelines_checkpoint_only() {
    let (schema, config) = setup("cleared").await;
    let sink = PostgresSink::new(config).unwrap();
    Pipeline::new(PagedSource::new(people(4), 2), &sink)
        .with_name("to-clear")
        .run()
        .await
        .unwrap();
    assert!(stored_checkpoint(&schema, "to-clear").await.is_some());
    sink.clear_checkpoint("to-clear").await.unwrap();
    assert_eq!(stored_checkpoint(&schema, "to-clear").await, None);
    assert_eq!(sink.load_checkpoint("to-clear").await.unwrap(), None);
    assert_eq!(count(&schema, "cleared").await, 4);
    // Clearing again (nothing stored) succeeds.
    sink.clear_checkpoint("to-clear").await.unwrap();
}

#[tokio::test]
async fn non_object_records_are_refused_naming_the_record_and_record_column() {
    let (schema, config) = setup("scalars").await;
    let sink = PostgresSink::new(config).unwrap();
    let source = PagedSource::new(
        vec![json!({"id": 1}), json!(1), json!("two"), json!(null)],
        4,
    );
    let err = Pipeline::new(source, sink)
        .with_name("scalars")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("page 0, record 1: `1` is not a JSON object")
            && err.contains("record_column:"),
        "{err}"
    );
    assert!(!err.contains("COPY") && !err.contains("syntax"), "{err}");
    let exists: bool = schema
        .client()
        .query_one("SELECT to_regclass('scalars') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!exists, "nothing was created");
}

#[tokio::test]
async fn an_existing_text_column_takes_objects_and_arrays_as_json_text() {
    let (schema, config) = setup("texts").await;
    schema
        .client()
        .batch_execute("CREATE TABLE texts (id bigint, attributes text)")
        .await
        .unwrap();
    let records = vec![
        json!({"id": 1, "attributes": {"tier": "gold"}}),
        json!({"id": 2, "attributes": [1, "a"]}),
        json!({"id": 3, "attributes": "plain"}),
    ];
    let sink = PostgresSink::new(config).unwrap();
    Pipeline::new(PagedSource::new(records, 3), sink)
        .with_name("texts")
        .run()
        .await
        .unwrap();
    let rows = schema
        .client()
        .query("SELECT id, attributes FROM texts ORDER BY id", &[])
        .await
        .unwrap();
    let got: Vec<(i64, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want = [(1, r#"{"tier":"gold"}"#), (2, r#"[1,"a"]"#), (3, "plain")];
    let want: Vec<(i64, String)> = want.iter().map(|(i, s)| (*i, s.to_string())).collect();
    assert_eq!(got, want);
    assert_eq!(column_types(&schema, "texts").await[1].1, "text");
}

#[tokio::test]
async fn a_type_conflict_prints_the_value_once_and_names_type_conflict() {
    let (schema, config) = setup("conflict").await;
    schema
        .client()
        .batch_execute("CREATE TABLE conflict (id bigint, active boolean)")
        .await
        .unwrap();
    let sink = PostgresSink::new(config).unwrap();
    let source = PagedSource::new(vec![json!({"id": 1, "active": "yes"})], 1);
    let err = Pipeline::new(source, sink)
        .with_name("conflict")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(err.matches("\"yes\"").count(), 1, "{err}");
    assert!(err.contains("column \"active\""), "{err}");
    assert!(
        err.contains("`type_conflict: text` or `jsonb`") && err.contains("`dead_letter`"),
        "{err}"
    );
}
