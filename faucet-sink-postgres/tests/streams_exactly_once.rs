//! Many streams, exactly once: every stream's rows commit with the
//! pipeline's one checkpoint, so a failed run, a killed one or a server
//! restart resumes each stream where its rows stopped.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
use support::*;

#[tokio::test]
async fn a_failed_run_resumes_every_stream_exactly_once() {
    let (schema, config) = setup("unused").await;
    let config = mixed(config);
    let mut failing = ShopSource::new(9, 40, 33, 3);
    failing.fail_at = Some(20);
    let sink = PostgresSink::new(config.clone()).unwrap();
    let err = run(&sink, failing).await.unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    // Some batches committed before the failure, with their checkpoint.
    let stored = stored_checkpoint(&schema, "shop").await.unwrap();
    assert!(stored["streams"]["orders"]["next"].as_u64().unwrap() > 0);

    let sink = PostgresSink::new(config).unwrap();
    let report = run(&sink, ShopSource::new(9, 40, 33, 3)).await.unwrap();
    assert!(report.resumed_from.is_some());
    let source = ShopSource::new(9, 40, 33, 3);
    assert_stream(&schema, "raw_accounts", &source, 0).await;
    assert_stream(&schema, "raw_orders", &source, 1).await;
    assert_stream(&schema, "lines", &source, 2).await;
}

/// A source that crashes the database before yielding page `at`.
struct CrashingAt {
    inner: ShopSource,
    at: usize,
    cluster: std::sync::Arc<faucet_testkit::postgres::PgCluster>,
}

#[async_trait]
impl Source for CrashingAt {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        self.inner.fetch(ctx).await
    }
    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        use faucet_core::futures::StreamExt;
        (self.inner.stream_pages(ctx).enumerate())
            .then(move |(k, page)| async move {
                if k == self.at {
                    crash_and_restart(&self.cluster).await;
                }
                page
            })
            .boxed()
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.inner.capabilities()
    }
}

/// `n` rows in `table`, ids `0..n` each once.
async fn assert_ids_once(client: &tokio_postgres::Client, table: &str, n: i64) {
    let sql =
        format!("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::int8 FROM {table}");
    let row = client.query_one(&sql, &[]).await.unwrap();
    let got: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        got,
        (n, n, n * (n - 1) / 2),
        "{table}: count, distinct, sum"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_restarting_mid_run_loses_no_stream_s_rows() {
    let cluster = private_cluster().await;
    let mut config = mixed(PostgresSinkConfig::new(cluster.url(), "unused"));
    config.retries = 6;
    config.retry_backoff_ms = 100;
    let sink = PostgresSink::new(config).unwrap();
    let source = CrashingAt {
        inner: ShopSource::new(9, 40, 33, 3),
        at: 17,
        cluster: cluster.clone(),
    };
    Pipeline::new(source, &sink)
        .with_name("shop")
        .run()
        .await
        .unwrap();
    let client = faucet_testkit::postgres::connect(&cluster.url()).await;
    for (table, n) in [("raw_accounts", 9), ("raw_orders", 40), ("lines", 33)] {
        let sql =
            format!("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::int8 FROM {table}");
        let row = client.query_one(&sql, &[]).await.unwrap();
        let got: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(
            got,
            (n, n, n * (n - 1) / 2),
            "{table}: count, distinct, sum"
        );
    }
}

#[tokio::test]
async fn replace_starting_over_drops_what_a_failed_run_loaded() {
    let (schema, mut config) = setup("{stream}").await;
    config.mode = WriteMode::Replace;
    config.batch_rows = 2;
    let sink = PostgresSink::new(config).unwrap();
    run(&sink, ShopSource::new(2, 3, 0, 2)).await.unwrap();
    let first = ShopSource::new(2, 3, 0, 2);

    // A run from the start loads some accounts and orders, then fails.
    sink.clear_checkpoint("shop").await.unwrap();
    let mut failing = ShopSource::new(4, 6, 0, 2);
    failing.fail_at = Some(3);
    run(&sink, failing).await.unwrap_err();
    let loads = &load_tables(&schema);
    assert_eq!(
        texts(&schema, loads).await,
        [
            Some("accounts__faucet_new".into()),
            Some("orders__faucet_new".into())
        ]
    );
    assert_stream(&schema, "orders", &first, 1).await;

    // The next run from the start has no orders: the failed run's are
    // dropped, not swapped in, and the orders table stays.
    sink.clear_checkpoint("shop").await.unwrap();
    run(&sink, ShopSource::new(1, 0, 0, 2)).await.unwrap();
    assert_stream(&schema, "accounts", &ShopSource::new(1, 0, 0, 2), 0).await;
    assert_stream(&schema, "orders", &first, 1).await;
    assert_eq!(texts(&schema, loads).await, Vec::<Option<String>>::new());
}

/// A source that yields between pages, so that an abort can land anywhere.
struct Slow(ShopSource);

#[async_trait]
impl Source for Slow {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        self.0.fetch(ctx).await
    }
    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        use faucet_core::futures::StreamExt;
        (self.0.stream_pages(ctx))
            .then(|page| async move {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                page
            })
            .boxed()
    }
    fn capabilities(&self) -> SourceCapabilities {
        self.0.capabilities()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_killed_at_random_moments_resume_every_stream_exactly_once() {
    let (schema, config) = setup("unused").await;
    let mut config = mixed(config);
    config.batch_rows = 60;
    let shop = || ShopSource::new(300, 600, 900, 20);
    let mut killed = 0;
    for attempt in 0..8u64 {
        let sink = PostgresSink::new(config.clone()).unwrap();
        let source = Slow(shop());
        let run =
            tokio::spawn(async move { Pipeline::new(source, sink).with_name("shop").run().await });
        tokio::time::sleep(std::time::Duration::from_millis(5 + attempt * 9)).await;
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
    run(&sink, shop()).await.unwrap();
    for (table, n) in [("raw_accounts", 300), ("raw_orders", 600), ("lines", 900)] {
        assert_ids_once(schema.client(), table, n).await;
    }
    assert_stream(&schema, "lines", &shop(), 2).await;
}
