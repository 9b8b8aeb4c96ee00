//! A pipeline with a transform, killed with SIGKILL again and again: a
//! filter that leaves nine pages in ten empty must not lose or repeat a
//! record, because every page, empty or not, carries its checkpoint to the
//! sink.

use faucet_bench::pipeline::{self, PgMode};
use serde_json::json;

use crate::crash::{KILLS, after_kill, rng, run_and_kill, sizing, source};
use crate::support::*;

/// Keeps the first page of every ten (ids `n*1000 + 1 ..= n*1000 + 100`
/// at 100 records a page): most pages reach the sink with no records.
const KEEP: &str = "(id - 1) % 1000 < 100";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_emptying_most_pages_is_exactly_once_across_20_sigkills() {
    let mut s = sizing();
    // One kept record in ten: commit every 50 so commits land between kills.
    s.commit_every = s.commit_every.div_ceil(10);
    let server = fixture(s.records, s.page, s.latency_ms).await;
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let table = format!("\"{}\".\"kept\"", schema.name());
    let dir = workdir();
    let mut file_value = pipeline::pipeline(
        "crash-transform",
        source(&server, s).to_value(),
        pipeline::postgres_sink(
            pg.url(),
            schema.name(),
            "kept",
            PgMode::Append,
            s.commit_every,
        ),
    );
    file_value["transforms"] = json!([
        {"type": "filter", "where": KEEP},
        {"type": "select", "fields": ["id", "amount"]},
    ]);
    let file = write_pipeline(dir.path(), &file_value);
    let expected: Vec<u64> = (1..=s.records).filter(|id| (id - 1) % 1000 < 100).collect();
    let stats = || async {
        let sql = format!(
            "SELECT count(*), count(DISTINCT id), coalesce(sum(id), 0)::bigint FROM {table}"
        );
        match schema.client().query_one(&sql, &[]).await {
            Ok(row) => (
                row.get::<_, i64>(0) as u64,
                row.get::<_, i64>(1) as u64,
                row.get::<_, i64>(2) as u64,
            ),
            Err(_) => (0, 0, 0), // the table is created by the first commit
        }
    };
    let mut rng = rng();
    let (mut partial, mut last) = (0, 0);
    for kill in 0..KILLS {
        run_and_kill(&server, &file, kill, &mut rng, s.kill_window_ms).await;
        let (count, distinct, _) = stats().await;
        partial += after_kill(kill, (count, distinct), &mut last, expected.len() as u64);
    }
    assert!(
        partial > 0,
        "no kill landed after a commit: resume was never exercised"
    );
    let exit = bounded(RUN_DEADLINE, "the final run", run_faucet(&file)).await;
    assert_ok(&exit, "the final run");
    let (count, distinct, sum) = stats().await;
    assert_eq!(count, expected.len() as u64, "every kept record");
    assert_eq!(distinct, count, "once");
    assert_eq!(sum, expected.iter().sum::<u64>(), "the kept ids, no others");
    let columns: Vec<String> = schema
        .client()
        .query(
            "SELECT column_name FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'kept' ORDER BY ordinal_position",
            &[&schema.name()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        columns,
        ["id", "amount"],
        "the table is inferred from transformed records"
    );
}
