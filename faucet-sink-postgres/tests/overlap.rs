//! Upsert: batch n+1 streams into a second connection while PostgreSQL
//! merges batch n, and exactly-once survives failures of that merge.
//!
//! The target table is made beforehand with a trigger that makes chosen
//! merges slow (or fail), so the tests can see and hit the overlap.

mod support;

use std::time::{Duration, Instant};

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
use faucet_testkit::postgres::TestSchema;
use support::*;

const PAGE: usize = 50;

/// The target table, with `{trigger_body}` run before each row is
/// inserted.
const TABLE_SQL: &str = "CREATE TABLE {table} (id bigint PRIMARY KEY, first_name text, \
     country text, amount double precision, created_at timestamptz, active boolean, \
     attributes jsonb);
     CREATE FUNCTION injected() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN {trigger_body} RETURN NEW; END $$;
     CREATE TRIGGER injected BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION injected();";

/// An upsert config for `table` (100 rows a batch: two pages; `batch_rows`
/// is 200 because overlapping upserts close each batch at half), with an
/// application name of its own to find its server processes by; the
/// table exists with `trigger_body` run before each row is inserted.
async fn upsert_setup(table: &str, trigger_body: &str) -> (TestSchema, PostgresSinkConfig, String) {
    let (schema, mut config) = setup(table).await;
    let app = format!("faucet-{}", schema.name());
    config.url = format!(
        "{}?application_name={app}",
        faucet_testkit::postgres::server().url()
    );
    config.mode = WriteMode::Upsert;
    config.key = vec!["id".into()];
    config.batch_rows = 200;
    config.retry_backoff_ms = 10;
    let sql = TABLE_SQL
        .replace("{table}", table)
        .replace("{trigger_body}", trigger_body);
    schema.client().batch_execute(&sql).await.unwrap();
    (schema, config, app)
}

/// Page `n` of `records`, with the checkpoint `{"next": …}` after it.
fn page(records: &[Value], n: usize) -> Page {
    let (from, to) = (n * PAGE, ((n + 1) * PAGE).min(records.len()));
    Page::from_values(records[from..to].to_vec()).with_checkpoint(json!({ "next": to }))
}

async fn commit(sink: &PostgresSink, records: &[Value], n: usize) -> Result<PageCommit> {
    sink.commit_page(&page(records, n), &CommitContext::new("o", n as u64))
        .await
}

async fn assert_once(schema: &TestSchema, table: &str, n: i64) {
    let sql =
        format!("SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::int8 FROM {table}");
    let row = schema.client().query_one(&sql, &[]).await.unwrap();
    let got: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        got,
        (n, n, n * (n - 1) / 2),
        "count, distinct ids, sum of ids"
    );
}

/// The sink's server processes: (pid, wait event, query), as often as
/// needed until `until` holds, for at most 5 s.
async fn activity_until(
    schema: &TestSchema,
    app: &str,
    until: impl Fn(&[(i32, String, String)]) -> bool,
) -> Vec<(i32, String, String)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rows = schema
            .client()
            .query(
                "SELECT pid, coalesce(wait_event, ''), query FROM pg_stat_activity \
                 WHERE application_name = $1 AND state = 'active'",
                &[&app],
            )
            .await
            .unwrap();
        let seen: Vec<(i32, String, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        if until(&seen) || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn merging(seen: &[(i32, String, String)]) -> Option<i32> {
    seen.iter()
        .find(|(_, wait, _)| wait == "PgSleep")
        .map(|r| r.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_batch_is_copied_on_another_connection_while_a_merge_runs() {
    // Every merge sleeps 1.5 s (at the first row of its batch): long
    // enough that the timing below holds on a loaded 2-core machine.
    let body = "IF NEW.id % 100 = 0 THEN PERFORM pg_sleep(1.5); END IF;";
    let (schema, config, app) = upsert_setup("overlapped", body).await;
    let records = people(400);
    let sink = PostgresSink::new(config).unwrap();
    assert_eq!(sink.load_checkpoint("o").await.unwrap(), None);
    let start = Instant::now();
    commit(&sink, &records, 0).await.unwrap();
    // The batch is full: its merge goes on without the caller.
    let full = commit(&sink, &records, 1).await.unwrap();
    assert_eq!(full.durability, Durability::Buffered);
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    // The next page starts a COPY on a second server process while the
    // first still merges.
    commit(&sink, &records, 2).await.unwrap();
    let seen = activity_until(&schema, &app, |seen| {
        merging(seen).is_some() && seen.iter().any(|r| r.2.starts_with("COPY"))
    })
    .await;
    let merge_pid = merging(&seen).unwrap_or_else(|| panic!("no merge running: {seen:?}"));
    let copy = seen.iter().find(|r| r.2.starts_with("COPY"));
    let copy_pid = copy.unwrap_or_else(|| panic!("no COPY open: {seen:?}")).0;
    assert_ne!(merge_pid, copy_pid);
    // What the caller does before a batch (a source fetching, say) hides
    // behind the merge of the batch before.
    for n in 3..8 {
        if n % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(1_500)).await;
        }
        commit(&sink, &records, n).await.unwrap();
    }
    sink.flush().await.unwrap();
    let elapsed = start.elapsed();
    // In turn: 4 merges + 2 waits of 1.5 s = 9 s; overlapped, 4 merges
    // one after the other = 6 s.
    assert!(elapsed < Duration::from_millis(7_500), "{elapsed:?}");
    assert_once(&schema, "overlapped", 400).await;
    assert_eq!(
        stored_checkpoint(&schema, "o").await,
        Some(json!({"next": 400}))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_merge_rolls_back_the_batch_streaming_behind_it() {
    // Batch 2 (ids 200..299) fails to merge, slowly, while batch 3 streams.
    let body = "IF NEW.id = 250 THEN PERFORM pg_sleep(0.5); \
                RAISE EXCEPTION 'injected merge failure'; END IF;";
    let (schema, config, _) = upsert_setup("failed", body).await;
    let records = people(600);
    let sink = PostgresSink::new(config.clone()).unwrap();
    sink.load_checkpoint("o").await.unwrap();
    let mut accepted = 0;
    let err = loop {
        match commit(&sink, &records, accepted).await {
            Ok(_) => accepted += 1,
            Err(err) => break err,
        }
        assert!(accepted < 12, "no page failed");
    };
    assert!(err.to_string().contains("injected merge failure"), "{err}");
    // Pages 0..=5 are batches 0..=2; page 6 (batch 3) went in while
    // batch 2 merged.
    assert!(accepted >= 7, "only {accepted} pages accepted");
    assert!(
        sink.flush().await.is_err(),
        "nothing commits after the failure"
    );
    assert_eq!(
        stored_checkpoint(&schema, "o").await,
        Some(json!({"next": 200}))
    );
    assert_once(&schema, "failed", 200).await;

    schema
        .client()
        .batch_execute("DROP TRIGGER injected ON failed")
        .await
        .unwrap();
    rerun_resumes_at_200(&schema, config, records, "failed").await;
}

/// A new run resumes after row 200 and loads the rest, each row once.
async fn rerun_resumes_at_200(
    schema: &TestSchema,
    config: PostgresSinkConfig,
    records: Vec<Value>,
    table: &str,
) {
    let n = records.len() as i64;
    let sink = PostgresSink::new(config).unwrap();
    let report = Pipeline::new(PagedSource::new(records, PAGE), &sink)
        .with_name("o")
        .run()
        .await
        .unwrap();
    assert_eq!(
        report.resumed_from.unwrap().as_value(),
        &json!({"next": 200})
    );
    assert_once(schema, table, n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_change_waits_for_the_merge_in_flight() {
    // Batch 1 merges slowly; a page of batch 2 brings a new field.
    let body = "IF NEW.id = 100 THEN PERFORM pg_sleep(0.5); END IF;";
    let (schema, config, _) = upsert_setup("widened", body).await;
    let mut records = people(400);
    for (i, r) in records.iter_mut().enumerate().skip(250) {
        r["extra"] = json!(i);
    }
    let sink = PostgresSink::new(config).unwrap();
    sink.load_checkpoint("o").await.unwrap();
    let run = async {
        for n in 0..8 {
            commit(&sink, &records, n).await.unwrap();
        }
        sink.flush().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the run went on");
    assert_once(&schema, "widened", 400).await;
    let extra: i64 = schema
        .client()
        .query_one("SELECT sum(extra)::int8 FROM widened", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(extra, (250..400).sum::<i64>());
}

/// Drives `records` through the sink page by page while another task
/// ends the server process that merges (the one sleeping in the
/// trigger); returns the first error.
async fn terminate_mid_merge(
    schema: &TestSchema,
    sink: &PostgresSink,
    app: &str,
    records: &[Value],
) -> Result<()> {
    let killer = {
        let client = schema.connect().await;
        let app = app.to_owned();
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                let row = client
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                         WHERE application_name = $1 AND wait_event = 'PgSleep'",
                        &[&app],
                    )
                    .await
                    .unwrap();
                if row.get::<_, i64>(0) > 0 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            false
        })
    };
    sink.load_checkpoint("o").await?;
    let pages = records.len().div_ceil(PAGE);
    let mut result = Ok(());
    for n in 0..pages {
        result = commit(sink, records, n).await.map(drop);
        if result.is_err() {
            break;
        }
        // Leave the killer time to find the merge.
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    if result.is_ok() {
        result = sink.flush().await;
    }
    assert!(
        killer.await.unwrap(),
        "no merge was terminated: the test proves nothing"
    );
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_whose_server_process_is_terminated_is_replayed() {
    // Batch 1 merges on the second connection (and sleeps again when
    // the merge is replayed).
    let body = "IF NEW.id = 150 THEN PERFORM pg_sleep(1); END IF;";
    let (schema, mut config, app) = upsert_setup("replayed_merge", body).await;
    config.retries = 3;
    let records = people(500);
    let sink = PostgresSink::new(config).unwrap();
    terminate_mid_merge(&schema, &sink, &app, &records)
        .await
        .unwrap();
    assert_once(&schema, "replayed_merge", 500).await;
    assert_eq!(
        stored_checkpoint(&schema, "o").await,
        Some(json!({"next": 500}))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_a_terminated_merge_stops_the_run_and_a_rerun_resumes() {
    // Batch 2 merges on the main connection, the one holding the run lock.
    let body = "IF NEW.id = 250 THEN PERFORM pg_sleep(1); END IF;";
    let (schema, mut config, app) = upsert_setup("terminated", body).await;
    config.retries = 0;
    let records = people(500);
    let sink = PostgresSink::new(config.clone()).unwrap();
    let err = terminate_mid_merge(&schema, &sink, &app, &records)
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(
        stored_checkpoint(&schema, "o").await,
        Some(json!({"next": 200}))
    );
    assert_once(&schema, "terminated", 200).await;
    rerun_resumes_at_200(&schema, config, records, "terminated").await;
}

#[tokio::test]
async fn a_second_run_is_refused_while_either_connection_of_the_first_lives() {
    let (schema, config, app) = upsert_setup("locked", "").await;
    let records = people(300);
    let first = PostgresSink::new(config.clone()).unwrap();
    first.load_checkpoint("o").await.unwrap();
    for n in 0..3 {
        commit(&first, &records, n).await.unwrap();
    }
    // The first run has two connections: the main one (merged batch 0,
    // now idle) and the second (its COPY open). The main one dies.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = schema
        .client()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1 AND state = 'idle'",
            &[&app],
        )
        .await
        .unwrap();
    assert_eq!(killed.get::<_, i64>(0), 1);
    // Its lock key is free, but the second connection's is not.
    let second = PostgresSink::new(config).unwrap();
    let err = second.load_checkpoint("o").await.unwrap_err();
    assert!(matches!(err, FaucetError::AlreadyRunning { .. }), "{err}");
    // The first run goes on.
    commit(&first, &records, 3).await.unwrap();
    first.flush().await.unwrap();
    assert_once(&schema, "locked", 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_restarting_while_a_batch_merges_loses_nothing() {
    // Both connections die at once, the second one in the middle of
    // merging batch 1: each reconnects and replays its batch.
    let cluster = private_cluster().await;
    let mut config = PostgresSinkConfig::new(cluster.url(), "restarted");
    config.mode = WriteMode::Upsert;
    config.key = vec!["id".into()];
    config.batch_rows = 200;
    config.retries = 6;
    config.retry_backoff_ms = 100;
    let client = faucet_testkit::postgres::connect(&cluster.url()).await;
    let sql = TABLE_SQL.replace("{table}", "restarted").replace(
        "{trigger_body}",
        "IF NEW.id = 150 THEN PERFORM pg_sleep(1); END IF;",
    );
    client.batch_execute(&sql).await.unwrap();
    let records = people(500);
    let sink = PostgresSink::new(config).unwrap();
    assert_eq!(sink.load_checkpoint("o").await.unwrap(), None);
    for n in 0..5 {
        commit(&sink, &records, n).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    crash_and_restart(&cluster).await;
    for n in 5..10 {
        commit(&sink, &records, n).await.unwrap();
    }
    sink.flush().await.unwrap();
    let client = faucet_testkit::postgres::connect(&cluster.url()).await;
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT id), \
             (SELECT checkpoint FROM faucet_state WHERE pipeline = 'o') FROM restarted",
            &[],
        )
        .await
        .unwrap();
    let got: (i64, i64, Option<Value>) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(got, (500, 500, Some(json!({"next": 500}))));
}
