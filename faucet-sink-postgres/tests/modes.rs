//! Upsert and replace modes against a real PostgreSQL.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, WriteMode};
use support::*;

fn upsert(mut config: faucet_sink_postgres::PostgresSinkConfig) -> PostgresSink {
    config.mode = WriteMode::Upsert;
    config.key = vec!["id".into()];
    config.delete_field = Some("_deleted".into());
    PostgresSink::new(config).unwrap()
}

async fn rows(schema: &faucet_testkit::postgres::TestSchema, sql: &str) -> Vec<(i64, String)> {
    let rows = schema.client().query(sql, &[]).await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn upsert_dedupes_last_wins_updates_deletes_and_skips_unchanged_rows() {
    let (schema, config) = setup("users").await;
    let sink = upsert(config);
    let first: Vec<Value> = (1..=4)
        .map(|i| json!({"id": i, "name": format!("v1-{i}")}))
        .collect();
    Pipeline::new(PagedSource::new(first, 2), &sink)
        .with_name("users")
        .run()
        .await
        .unwrap();
    let xmin_before = rows(&schema, "SELECT id, xmin::text FROM users ORDER BY id").await;

    let second = vec![
        json!({"id": 2, "name": "v2-2"}),
        json!({"id": 2, "name": "v3-2"}),   // same batch: last wins
        json!({"id": 3, "name": "v1-3"}),   // unchanged: not rewritten
        json!({"id": 4, "_deleted": true}), // hard delete
        json!({"id": 5, "name": "v1-5"}),   // new
        json!({"id": 9, "_deleted": true}), // delete of a missing row
    ];
    let report = Pipeline::new(PagedSource::new(second, 10), &sink)
        .with_name("users-2")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, 6);
    let got = rows(&schema, "SELECT id, name FROM users ORDER BY id").await;
    let want: Vec<(i64, String)> = [(1, "v1-1"), (2, "v3-2"), (3, "v1-3"), (5, "v1-5")]
        .iter()
        .map(|(i, n)| (*i, n.to_string()))
        .collect();
    assert_eq!(got, want);
    let xmin_after = rows(&schema, "SELECT id, xmin::text FROM users ORDER BY id").await;
    let unchanged = |id: i64, x: &[(i64, String)]| x.iter().find(|r| r.0 == id).unwrap().1.clone();
    assert_eq!(
        unchanged(1, &xmin_before),
        unchanged(1, &xmin_after),
        "row 1 was not in the batch"
    );
    assert_eq!(
        unchanged(3, &xmin_before),
        unchanged(3, &xmin_after),
        "row 3 did not change, yet was rewritten"
    );
    assert_ne!(unchanged(2, &xmin_before), unchanged(2, &xmin_after));
    let columns = column_types(&schema, "users").await;
    assert!(!columns.iter().any(|(c, _)| c == "_deleted"), "{columns:?}");
}

#[tokio::test]
async fn upsert_works_without_a_unique_constraint_on_the_key() {
    let (schema, config) = setup("loose").await;
    schema
        .client()
        .batch_execute("CREATE TABLE loose (id bigint, name text)")
        .await
        .unwrap();
    let sink = upsert(config);
    let batch = |v: &str| -> Vec<Value> {
        (1..=3)
            .map(|i| json!({"id": i, "name": format!("{v}{i}")}))
            .collect()
    };
    // Two pipelines (two checkpoints), the same keys.
    Pipeline::new(PagedSource::new(batch("a"), 10), &sink)
        .with_name("a")
        .run()
        .await
        .unwrap();
    Pipeline::new(PagedSource::new(batch("b"), 10), &sink)
        .with_name("b")
        .run()
        .await
        .unwrap();
    let got = rows(&schema, "SELECT id, name FROM loose ORDER BY id").await;
    assert_eq!(
        got,
        vec![(1, "b1".into()), (2, "b2".into()), (3, "b3".into())]
    );
}

#[tokio::test]
async fn upsert_declares_itself_idempotent() {
    let (_schema, config) = setup("caps").await;
    let caps = upsert(config.clone()).capabilities();
    assert!(caps.atomic_checkpoints && caps.idempotent);
    let caps = PostgresSink::new(config).unwrap().capabilities();
    assert!(caps.atomic_checkpoints && !caps.idempotent);
}

#[tokio::test]
async fn replace_swaps_on_success_and_leaves_the_old_table_on_failure() {
    let (schema, mut config) = setup("snapshot").await;
    schema
        .client()
        .batch_execute("CREATE TABLE snapshot (id bigint PRIMARY KEY, name text); INSERT INTO snapshot VALUES (100, 'old')")
        .await
        .unwrap();
    config.mode = WriteMode::Replace;
    config.key = vec!["id".into()];
    let sink = PostgresSink::new(config).unwrap();
    let records: Vec<Value> = (1..=5)
        .map(|i| json!({"id": i, "name": format!("new{i}")}))
        .collect();

    let mut failing = PagedSource::new(records.clone(), 2);
    failing.fail_after = Some(2);
    Pipeline::new(&failing, &sink)
        .with_name("snap")
        .run()
        .await
        .unwrap_err();
    let old = rows(&schema, "SELECT id, name FROM snapshot").await;
    assert_eq!(
        old,
        vec![(100, "old".into())],
        "a failed run must not touch the table"
    );

    // The rerun resumes into the same new table, then swaps it in.
    let report = Pipeline::new(PagedSource::new(records, 2), &sink)
        .with_name("snap")
        .run()
        .await
        .unwrap();
    assert_eq!(report.resumed_from.unwrap().as_value(), &json!({"next": 4}));
    let got = rows(&schema, "SELECT id, name FROM snapshot ORDER BY id").await;
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got[0], (1, "new1".into()));
    let leftovers = schema
        .client()
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'snapshot__faucet%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(leftovers.get::<_, i64>(0), 0);

    // A second full refresh works too (index names were carried over).
    let mut again = PagedSource::new(vec![json!({"id": 7, "name": "x"})], 2);
    again.final_checkpoint = Some(Value::Null);
    Pipeline::new(&again, &sink)
        .with_name("snap2")
        .run()
        .await
        .unwrap();
    assert_eq!(
        rows(&schema, "SELECT id, name FROM snapshot").await,
        vec![(7, "x".into())]
    );
}
