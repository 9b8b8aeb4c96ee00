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
    let n = 3_000;
    let records = people(n);
    let mut killed = 0;
    for attempt in 0..8u64 {
        let sink = PostgresSink::new(config.clone()).unwrap();
        let source = Slow(PagedSource::new(records.clone(), 50));
        let run =
            tokio::spawn(async move { Pipeline::new(source, sink).with_name("k").run().await });
        // Somewhere between the first page and well past a commit.
        tokio::time::sleep(Duration::from_millis(5 + attempt * 7)).await;
        run.abort();
        if run.await.is_err() {
            killed += 1;
        }
    }
    assert!(
        killed > 0,
        "no run was interrupted: the test proves nothing"
    );
    let sink = PostgresSink::new(config).unwrap();
    Pipeline::new(PagedSource::new(records, 50), &sink)
        .with_name("k")
        .run()
        .await
        .unwrap();
    assert_exactly_once(&schema, "killed", n as i64).await;
}

#[tokio::test]
async fn the_database_dropping_the_connection_loses_nothing() {
    let (schema, mut config) = setup("dropped").await;
    let app = format!("faucet-{}", schema.name());
    config.url = format!(
        "{}?application_name={app}",
        faucet_testkit::postgres::server().url()
    );
    config.batch_rows = 100;
    let records = people(500);
    let sink = PostgresSink::new(config.clone()).unwrap();
    let ctx = |i| CommitContext::new("d", i);
    assert_eq!(sink.load_checkpoint("d").await.unwrap(), None);
    for (i, chunk) in records[..250].chunks(50).enumerate() {
        let page = Page::new(chunk.to_vec()).with_checkpoint(json!({"next": (i + 1) * 50}));
        sink.commit_page(&page, &ctx(i as u64)).await.unwrap();
    }
    // 200 rows committed, 50 buffered; the server ends the session.
    let killed = schema
        .client()
        .query_one("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", &[&app])
        .await
        .unwrap();
    assert_eq!(killed.get::<_, i64>(0), 1);
    let page = Page::new(records[250..300].to_vec()).with_checkpoint(json!({"next": 300}));
    let err = sink.commit_page(&page, &ctx(5)).await.unwrap_err();
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
