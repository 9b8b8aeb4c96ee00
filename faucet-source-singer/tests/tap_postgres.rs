//! meltanolabs-tap-postgres 0.10.0 reading a table of the test
//! PostgreSQL into faucet's PostgreSQL sink: a full load, an incremental
//! rerun, and runs killed with SIGKILL at random moments then resumed.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_core::serde_json;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
use faucet_source_singer::{SingerCatalog, SingerSource, SingerSourceConfig};
use faucet_testkit::postgres::{self, TestSchema};
use support::*;

/// A fresh schema with `people` holding rows `0..n`.
async fn setup(n: i64) -> TestSchema {
    let schema = postgres::server().fresh_schema().await;
    schema
        .client()
        .batch_execute(
            "CREATE TABLE people (id int8 PRIMARY KEY, name text, amount numeric(12,2), \
             updated_at timestamptz, active boolean, note text)",
        )
        .await
        .unwrap();
    insert(&schema, 0, n).await;
    schema
}

async fn insert(schema: &TestSchema, from: i64, to: i64) {
    let sql = format!(
        "INSERT INTO people SELECT i, 'name ' || i || ' \"q\" é', (i * 1.25)::numeric(12,2), \
         timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 2 = 0, \
         CASE WHEN i % 5 = 0 THEN NULL ELSE 'n' || i END FROM generate_series({from}, {to} - 1) i"
    );
    schema.client().batch_execute(&sql).await.unwrap();
}

/// tap-postgres on `schema`, reading `people` only.
fn tap_config(schema: &TestSchema) -> SingerSourceConfig {
    let mut config = SingerSourceConfig::new(tap_postgres().display().to_string());
    // `postgresql://user[:password]@host:port/database[?…]`
    let url = postgres::server().url();
    let rest = url.split_once("://").unwrap().1;
    let (auth, rest) = rest.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    let (user, password) = auth
        .split_once(':')
        .unwrap_or((auth, "trust-auth-ignores-it"));
    config.config = json!({
        "host": host,
        "port": port.parse::<u16>().unwrap(),
        "user": user,
        "password": password,
        "database": database.split('?').next().unwrap(),
        "filter_schemas": [schema.name()],
    })
    .as_object()
    .unwrap()
    .clone();
    config.select = Some(vec![format!("{}-people", schema.name())]);
    config.page_records = 1000;
    config
}

/// The tap's discovered catalog with `people` read incrementally by `id`.
fn incremental_catalog(config: &SingerSourceConfig) -> SingerCatalog {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, serde_json::to_vec(&config.config).unwrap()).unwrap();
    let out = Command::new(&config.executable)
        .arg("--config")
        .arg(&path)
        .arg("--discover")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut catalog: Value = serde_json::from_slice(&out.stdout).unwrap();
    for entry in catalog["streams"].as_array_mut().unwrap() {
        for meta in entry["metadata"].as_array_mut().unwrap() {
            if meta["breadcrumb"] == json!([]) {
                meta["metadata"]["replication-method"] = json!("INCREMENTAL");
                meta["metadata"]["replication-key"] = json!("id");
            }
        }
    }
    SingerCatalog::Inline(catalog.as_object().unwrap().clone())
}

fn sink_config(schema: &TestSchema, mode: WriteMode) -> PostgresSinkConfig {
    let mut config = PostgresSinkConfig::new(postgres::server().url(), "loaded");
    config.schema = schema.name().to_owned();
    config.mode = mode;
    if mode == WriteMode::Upsert {
        config.key = vec!["id".to_owned()];
    }
    config.batch_rows = 2000;
    config
}

/// Every row of `people` is in `loaded` once, with every field equal.
async fn assert_loaded(schema: &TestSchema, n: i64) {
    let row = schema
        .client()
        .query_one("SELECT count(*), count(DISTINCT id) FROM loaded", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (n, n),
        "rows, distinct ids"
    );
    let differing: i64 = schema
        .client()
        .query_one(
            "SELECT count(*) FROM people p FULL JOIN loaded l ON p.id = l.id::text::int8 \
             WHERE p.id IS NULL OR l.id IS NULL \
                OR p.name IS DISTINCT FROM l.name::text \
                OR p.amount IS DISTINCT FROM l.amount::text::numeric \
                OR p.updated_at IS DISTINCT FROM l.updated_at::text::timestamptz \
                OR p.active IS DISTINCT FROM l.active::text::boolean \
                OR p.note IS DISTINCT FROM l.note::text",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(differing, 0, "rows that differ from the source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tap_postgres_loads_a_table_row_by_row() {
    let n = 5_000;
    let schema = setup(n).await;
    let source = SingerSource::new(tap_config(&schema)).unwrap();
    let streams = source.discover().await.unwrap();
    let people = streams
        .iter()
        .find(|s| s.name == format!("{}-people", schema.name()))
        .expect("people is discovered");
    assert_eq!(people.primary_key, vec!["id".to_owned()]);
    let sink = PostgresSink::new(sink_config(&schema, WriteMode::Append)).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("full")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, n as u64);
    assert_loaded(&schema, n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_rerun_reads_only_new_rows() {
    let schema = setup(3_000).await;
    let mut config = tap_config(&schema);
    config.catalog = Some(incremental_catalog(&config));
    config.incremental = true;
    let source = SingerSource::new(config.clone()).unwrap();
    let sink = PostgresSink::new(sink_config(&schema, WriteMode::Upsert)).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("inc")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_read, 3_000);
    assert_loaded(&schema, 3_000).await;

    insert(&schema, 3_000, 3_200).await;
    let source = SingerSource::new(config).unwrap();
    let sink = PostgresSink::new(sink_config(&schema, WriteMode::Upsert)).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("inc")
        .run()
        .await
        .unwrap();
    assert!(
        matches!(report.resume, faucet_core::Resume::Continued { .. }),
        "{:?}",
        report.resume
    );
    // The tap resumes with `id >= bookmark`: the bookmark's own row comes
    // again (the upsert keeps one copy), then the 200 new rows.
    assert_eq!(report.progress.records_read, 201);
    assert_loaded(&schema, 3_200).await;
}

/// The environment variable that makes [`child_run`] run a pipeline.
const CHILD: &str = "FAUCET_SINGER_CHILD";

/// Not a test of its own: the pipeline that [`kill_then_complete`] starts
/// in a child process and kills.
#[test]
#[ignore = "the child process of the kill -9 test"]
fn child_run() {
    let spec: Value =
        serde_json::from_str(&std::env::var(CHILD).expect("run by the parent")).unwrap();
    let source: SingerSourceConfig = serde_json::from_value(spec["source"].clone()).unwrap();
    let sink: PostgresSinkConfig = serde_json::from_value(spec["sink"].clone()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let source = SingerSource::new(source).unwrap();
        let sink = PostgresSink::new(sink).unwrap();
        Pipeline::new(&source, sink)
            .with_name("killed")
            .run()
            .await
            .unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_runs_killed_at_random_moments_resume_into_an_upsert_without_loss() {
    let n = 40_000;
    let schema = setup(n).await;
    let mut source = tap_config(&schema);
    source.catalog = Some(incremental_catalog(&source));
    source.incremental = true;
    let sink = sink_config(&schema, WriteMode::Upsert);
    kill_then_complete(&schema, source, sink, n).await;
}

/// A full-table stream (the tap's default) is re-read from its start on
/// resume, in the same order: with `full_table_restarts`, dropping the
/// records delivered since the stream's start is exact, so even an
/// appending table gets every row once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_table_runs_killed_at_random_moments_resume_into_an_append_exactly_once() {
    let n = 40_000;
    let schema = setup(n).await;
    let mut source = tap_config(&schema);
    source.full_table_restarts = true;
    let sink = sink_config(&schema, WriteMode::Append);
    kill_then_complete(&schema, source, sink, n).await;
}

/// Runs the pipeline in a child process five times, killing it with
/// SIGKILL at a random moment, then once to its end; checks every row of
/// `people` is in `loaded` once.
async fn kill_then_complete(
    schema: &TestSchema,
    source: SingerSourceConfig,
    sink: PostgresSinkConfig,
    n: i64,
) {
    let spec = json!({"source": source, "sink": sink}).to_string();
    let mut killed = 0;
    let mut committed = Vec::new();
    for attempt in 0..5u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "child_run", "--nocapture"])
            .env(CHILD, &spec)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Once this run has committed something, at a random moment.
        let before = committed.last().copied().unwrap_or(0);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while count(schema).await <= before
            && child.try_wait().unwrap().is_none()
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis((attempt * 7_919 + rand_ms()) % 400)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        committed.push(count(schema).await);
    }
    let source = SingerSource::new(source).unwrap();
    let report = Pipeline::new(&source, PostgresSink::new(sink).unwrap())
        .with_name("killed")
        .run()
        .await
        .unwrap();
    println!(
        "killed {killed} runs; rows after each: {committed:?}; the last run read {}",
        report.progress.records_read
    );
    assert!(
        committed.iter().any(|&c| c > 0 && c < n),
        "no run was killed mid-load: {committed:?}"
    );
    assert_loaded(schema, n).await;
}

async fn count(schema: &TestSchema) -> i64 {
    schema
        .client()
        .query_opt("SELECT count(*) FROM loaded", &[])
        .await
        .map(|row| row.map_or(0, |r| r.get(0)))
        .unwrap_or(0)
}

fn rand_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}
