//! Many streams, one pipeline: the shop API's accounts → orders → order
//! lines loaded by `faucet run` into one PostgreSQL table each, killed with
//! SIGKILL again and again, then run to completion. Every table ends with
//! every record exactly once, each field as the API sent it and each child
//! carrying its parent's key. A later run of the same pipeline, after new
//! orders appear under some accounts, loads only those orders and their
//! lines (the orders stream is incremental per account).
//!
//! Sizing: 600 accounts (≈ 1,200 orders, ≈ 3,000 lines, ≈ 2,200 requests)
//! served 25 ms apart; a run needs several seconds of fetching, and each
//! kill lands within 800 ms of the run's first request, so 20 kills cannot
//! finish the load between them (a quarter of the rows is typical before
//! the last run). Commits every 10 rows land before, during and after
//! kills.

use std::collections::BTreeMap;
use std::time::Duration;

use faucet_bench::pipeline::{self, PgMode};
use faucet_testkit::shop::{ShopConfig, ShopServer, account, order, order_line};
use serde_json::{Value, json};

use crate::crash::{KILLS, after_kill, rng, run_and_kill};
use crate::support::*;

const ACCOUNTS: u64 = 600;
const COMMIT_EVERY: u64 = 10;
/// Kills land up to this long after a run's first request.
const KILL_WINDOW_MS: u64 = 800;
const STREAMS: [&str; 3] = ["accounts", "orders", "order_lines"];

/// The pipeline: the shop's three resources (orders incremental by
/// `created_at` per account) into `{stream}` tables of `schema`; accounts
/// are upserted by `id` (a later run reads them all again), orders and
/// lines appended.
fn shop_pipeline(shop: &ShopServer, url: &str, schema: &str) -> Value {
    let mut source = shop.rest_source_config();
    source["type"] = json!("rest");
    source["resources"][1]["incremental"] =
        json!({"replication_key": "created_at", "param": "since"});
    let mut sink = pipeline::postgres_sink(url, schema, "{stream}", PgMode::Append, COMMIT_EVERY);
    sink["streams"] = json!({"accounts": {"mode": "upsert", "key": ["id"]}});
    pipeline::pipeline("crash-streams", source, sink)
}

/// `(count, distinct ids)` of each table, `(0, 0)` before it exists.
async fn counts(
    client: &tokio_postgres::Client,
    schema: &str,
) -> BTreeMap<&'static str, (u64, u64)> {
    let mut out = BTreeMap::new();
    for stream in STREAMS {
        let sql = format!("SELECT count(*), count(DISTINCT id) FROM \"{schema}\".\"{stream}\"");
        let counted = match client.query_one(&sql, &[]).await {
            Ok(row) => (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64),
            Err(_) => (0, 0), // the table is created by its stream's first commit
        };
        out.insert(stream, counted);
    }
    out
}

/// Every row of a table as JSON, by `id`.
async fn rows(
    client: &tokio_postgres::Client,
    schema: &str,
    stream: &str,
) -> BTreeMap<String, Value> {
    let sql = format!("SELECT to_jsonb(t)::text FROM \"{schema}\".\"{stream}\" t");
    let mut out = BTreeMap::new();
    for row in client.query(&sql, &[]).await.expect("read a table") {
        let value: Value = serde_json::from_str(row.get::<_, &str>(0)).expect("to_jsonb is JSON");
        let id = match &value["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert!(
            out.insert(id.clone(), value).is_none(),
            "{stream}: id {id} twice"
        );
    }
    out
}

/// Whether a value read back from PostgreSQL is the one the API sent: the
/// same text or number, or the same instant for timestamps.
fn same(sent: &Value, got: &Value) -> bool {
    match (sent, got) {
        (Value::String(a), Value::String(b)) if a == b => true,
        (Value::String(a), Value::String(b)) => {
            match (
                chrono::DateTime::parse_from_rfc3339(a),
                chrono::DateTime::parse_from_rfc3339(b),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::Number(b)) => a.parse::<f64>().ok() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// Every expected record is in `got` once, field by field (`got` may hold
/// columns the sink adds), and `got` holds nothing else.
fn assert_table(stream: &str, expected: &[Value], got: &BTreeMap<String, Value>) {
    assert_eq!(got.len(), expected.len(), "{stream}: rows");
    for record in expected {
        let id = match &record["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let row = got
            .get(&id)
            .unwrap_or_else(|| panic!("{stream}: id {id} missing"));
        for (field, sent) in record.as_object().expect("records are objects") {
            assert!(
                same(sent, &row[field]),
                "{stream} {id}: `{field}` is {} in the table, the API sent {sent}",
                row[field]
            );
        }
    }
}

/// What a complete read of the shop loads: accounts as served, orders with
/// their account's handle and id, lines with their order's id.
fn expected(shop: &ShopServer) -> [Vec<Value>; 3] {
    let accounts: Vec<Value> = (1..=ACCOUNTS).map(account).collect();
    let mut orders = Vec::new();
    let mut lines = Vec::new();
    for a in 1..=ACCOUNTS {
        let handle = account(a)["handle"].clone();
        for j in 1..=shop.orders_of(a) {
            let mut o = order(a, j);
            o["account_handle"] = handle.clone();
            o["account_ref"] = json!(a);
            let id = o["id"].clone();
            orders.push(o);
            for k in 1.. {
                let mut l = order_line(a, j, k);
                if k > faucet_testkit::shop::initial_lines(a, j) {
                    break;
                }
                l["_parent_id"] = id.clone();
                lines.push(l);
            }
        }
    }
    [accounts, orders, lines]
}

async fn assert_loaded(shop: &ShopServer, client: &tokio_postgres::Client, schema: &str) {
    for (stream, records) in STREAMS.iter().zip(expected(shop)) {
        assert_table(stream, &records, &rows(client, schema, stream).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_streams_into_three_tables_are_exactly_once_across_20_sigkills() {
    let config = ShopConfig::new(ACCOUNTS).with_latency(Duration::from_millis(25));
    let shop = ShopServer::start(config).await.expect("start the shop API");
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let dir = workdir();
    let file = write_pipeline(dir.path(), &shop_pipeline(&shop, pg.url(), schema.name()));
    let total: u64 = expected(&shop).iter().map(|r| r.len() as u64).sum();

    let mut rng = rng();
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    let mut partial = 0;
    for kill in 0..KILLS {
        run_and_kill(&shop, &file, kill, &mut rng, KILL_WINDOW_MS).await;
        let counts = counts(schema.client(), schema.name()).await;
        let mut before_all = last.values().sum::<u64>();
        let mut all = (0, 0);
        for (stream, (count, distinct)) in &counts {
            assert_eq!(count, distinct, "kill {kill}: {stream} has duplicated rows");
            let before = last.entry(stream).or_default();
            assert!(
                *count >= *before,
                "kill {kill}: committed {stream} rows went from {before} to {count}"
            );
            *before = *count;
            all = (all.0 + count, all.1 + distinct);
        }
        partial += after_kill(kill, all, &mut before_all, total);
    }
    eprintln!("{partial} of {KILLS} kills came after new commits; {last:?} before the last run");
    assert!(
        partial > 0,
        "no kill landed after a commit: resume was never exercised"
    );
    assert!(
        last.values().all(|&n| n > 0),
        "every stream had committed rows before the last run: {last:?}"
    );

    let exit = bounded(RUN_DEADLINE, "the final run", run_faucet(&file)).await;
    assert_ok(&exit, "the final run");
    assert_loaded(&shop, schema.client(), schema.name()).await;

    // New orders under three accounts (one that had none): the next run
    // reads every account again (upserted: no duplicate) and, per account,
    // only orders created since its last one, with their lines.
    for (a, n) in [(3, 2), (5, 1), (ACCOUNTS, 3)] {
        shop.add_orders(a, n);
    }
    shop.clear_log();
    let exit = bounded(RUN_DEADLINE, "the incremental run", run_faucet(&file)).await;
    assert_ok(&exit, "the incremental run");
    assert_loaded(&shop, schema.client(), schema.name()).await;
    let line_requests = shop
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/orders/"))
        .map(|r| r.path.clone())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        line_requests.len(),
        6,
        "only the six new orders' lines are read again: {line_requests:?}"
    );
}
