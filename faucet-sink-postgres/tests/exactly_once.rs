//! Exactly once: rows and checkpoint commit together, and interrupted
//! runs resume with no record missing or repeated.

mod support;

use std::time::Duration;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::PostgresSink;
use faucet_testkit::postgres::TestSchema;
use support::*;

async fn assert_exactly_once(schema: &TestSchema, table: &str, n: i64) {
    let sql =
        format!("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::int8 FROM {table}");
    let row = schema.client().query_one(&sql, &[]).await.unwrap();
    let (total, distinct, sum): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        (total, distinct, sum),
        (n, n, n * (n - 1) / 2),
        "count, distinct ids, sum of ids"
    );
}

#[tokio::test]
async fn a_failure_between_rows_and_commit_keeps_neither() {
    let (schema, mut config) = setup("atomic").await;
    config.batch_rows = 40;
    // Make the checkpoint write fail after the batch's rows went in.
    schema
        .client()
        .batch_execute(
            "CREATE TABLE faucet_state (pipeline text PRIMARY KEY, checkpoint jsonb, updated_at timestamptz NOT NULL DEFAULT now());
             CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN IF NEW.checkpoint->>'next' = '80' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON faucet_state FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .await
        .unwrap();
    let records = people(100);
    let sink = PostgresSink::new(config.clone()).unwrap();
    let err = Pipeline::new(PagedSource::new(records.clone(), 20), &sink)
        .with_name("p")
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    // The first batch (40 rows, checkpoint 40) committed; the second's rows
    // went with its failed checkpoint.
    assert_eq!(count(&schema, "atomic").await, 40);
    assert_eq!(
        stored_checkpoint(&schema, "p").await,
        Some(json!({"next": 40}))
    );

    schema
        .client()
        .batch_execute("DROP TRIGGER refuse ON faucet_state")
        .await
        .unwrap();
    let sink = PostgresSink::new(config).unwrap();
    let report = Pipeline::new(PagedSource::new(records, 20), &sink)
        .with_name("p")
        .run()
        .await
        .unwrap();
    assert_eq!(
        report.resumed_from.unwrap().as_value(),
        &json!({"next": 40})
    );
    assert_exactly_once(&schema, "atomic", 100).await;
}

/// A source that yields between pages, so that an abort can land anywhere.
struct Slow(PagedSource);

#[async_trait]
impl Source for Slow {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        self.0.fetch(ctx).await
    }
    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        use faucet_core::futures::StreamExt;
        self.0
            .stream_pages(ctx)
            .then(|page| async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                page
            })
            .boxed()
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.0.capabilities()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_killed_at_random_moments_resume_exactly_once() {
    let (schema, mut config) = setup("killed").await;
    config.batch_rows = 300;
    kill_then_complete(&schema, config, "killed", "k", 7).await;
}

/// Runs a pipeline of 3,000 records into `table` eight times, aborting
/// each run a little later than the one before (`step_ms` more), then
/// once to its end, and checks every record is there once.
async fn kill_then_complete(
    schema: &faucet_testkit::postgres::TestSchema,
    config: faucet_sink_postgres::PostgresSinkConfig,
    table: &str,
    pipeline: &'static str,
    step_ms: u64,
) {
    let n = 3_000;
    let records = people(n);
    let mut killed = 0;
    for attempt in 0..8u64 {
        let sink = PostgresSink::new(config.clone()).unwrap();
        let source = Slow(PagedSource::new(records.clone(), 50));
        let run =
            tokio::spawn(
                async move { Pipeline::new(source, sink).with_name(pipeline).run().await },
            );
        // Somewhere between the first page and well past a commit.
        tokio::time::sleep(Duration::from_millis(5 + attempt * step_ms)).await;
        run.abort();
        if run.await.is_err() {
            killed += 1;
        }
    }
    assert!(
        killed > 0,
        "no run was interrupted: the test proves nothing"
    );
    // A checkpoint stored ahead of an earlier batch's rows would make the
    // rerun skip those rows.
    let sink = PostgresSink::new(config).unwrap();
    Pipeline::new(PagedSource::new(records, 50), &sink)
        .with_name(pipeline)
        .run()
        .await
        .unwrap();
    assert_exactly_once(schema, table, n as i64).await;
}

/// Commits `records[range]` in pages of 50 with `{"next": …}` checkpoints.
async fn commit_pages(
    sink: &PostgresSink,
    records: &[Value],
    range: std::ops::Range<usize>,
) -> Result<()> {
    for start in range.step_by(50) {
        let page = Page::new(text_records(records[start..start + 50].to_vec()))
            .with_checkpoint(json!({"next": start + 50}));
        sink.commit_page(&page, &CommitContext::new("d", (start / 50) as u64))
            .await?;
    }
    Ok(())
}

/// Ends the sink's server session (found by its application name).
async fn terminate(schema: &TestSchema, app: &str) {
    let killed = schema
        .client()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap();
    assert_eq!(killed.get::<_, i64>(0), 1);
}

async fn dropping_setup(
    table: &str,
    retries: u32,
) -> (TestSchema, faucet_sink_postgres::PostgresSinkConfig, String) {
    let (schema, mut config) = setup(table).await;
    let app = format!("faucet-{}", schema.name());
    config.url = format!(
        "{}?application_name={app}",
        faucet_testkit::postgres::server().url()
    );
    config.batch_rows = 100;
    config.retries = retries;
    config.retry_backoff_ms = 10;
    (schema, config, app)
}

#[tokio::test]
async fn a_dropped_connection_is_replayed_and_the_run_goes_on() {
    let (schema, config, app) = dropping_setup("replayed", 3).await;
    let records = people(500);
    let sink = PostgresSink::new(config).unwrap();
    assert_eq!(sink.load_checkpoint("d").await.unwrap(), None);
    commit_pages(&sink, &records, 0..250).await.unwrap();
    // 200 rows committed, 50 in the open transaction; the server ends the
    // session. The sink reconnects, replays the 50 rows, and goes on.
    terminate(&schema, &app).await;
    commit_pages(&sink, &records, 250..500).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(
        stored_checkpoint(&schema, "d").await,
        Some(json!({"next": 500}))
    );
    assert_exactly_once(&schema, "replayed", 500).await;
}

#[tokio::test]
async fn without_retries_a_dropped_connection_stops_and_a_rerun_resumes() {
    let (schema, config, app) = dropping_setup("dropped", 0).await;
    let records = people(500);
    let sink = PostgresSink::new(config.clone()).unwrap();
    assert_eq!(sink.load_checkpoint("d").await.unwrap(), None);
    commit_pages(&sink, &records, 0..250).await.unwrap();
    terminate(&schema, &app).await;
    let err = commit_pages(&sink, &records, 250..300).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    // Nothing more can commit on top of the lost rows.
    assert!(sink.flush().await.is_err());

    let sink = PostgresSink::new(config).unwrap();
    let report = Pipeline::new(PagedSource::new(records, 50), &sink)
        .with_name("d")
        .run()
        .await
        .unwrap();
    assert_eq!(
        report.resumed_from.unwrap().as_value(),
        &json!({"next": 200})
    );
    assert_exactly_once(&schema, "dropped", 500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_crashing_and_restarting_mid_run_loses_nothing() {
    let cluster = private_cluster().await;
    let mut config = faucet_sink_postgres::PostgresSinkConfig::new(cluster.url(), "crashed");
    config.batch_rows = 100;
    config.retries = 6;
    config.retry_backoff_ms = 100;
    let records = people(500);
    let sink = PostgresSink::new(config).unwrap();
    assert_eq!(sink.load_checkpoint("d").await.unwrap(), None);
    commit_pages(&sink, &records, 0..250).await.unwrap();
    crash_and_restart(&cluster).await;
    commit_pages(&sink, &records, 250..500).await.unwrap();
    sink.flush().await.unwrap();
    let client = faucet_testkit::postgres::connect(&cluster.url()).await;
    let row = client
        .query_one("SELECT count(*), count(DISTINCT id) FROM crashed", &[])
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (500, 500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upsert_runs_killed_while_batches_merge_resume_exactly_once() {
    // Each batch merges on its own task while the next one streams into
    // the other connection: a kill may land in either.
    let (schema, mut config) = setup("killed_upsert").await;
    config.mode = faucet_sink_postgres::WriteMode::Upsert;
    config.key = vec!["id".into()];
    config.batch_rows = 200;
    kill_then_complete(&schema, config, "killed_upsert", "u", 9).await;
}
