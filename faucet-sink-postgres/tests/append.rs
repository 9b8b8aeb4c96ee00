//! Append mode against a real PostgreSQL: table creation with inferred
//! types, checkpoints stored with the rows, batching.

mod support;

use faucet_core::connector::*;
use faucet_core::{Completion, DeliveryGuarantee, Pipeline};
use faucet_sink_postgres::PostgresSink;
use support::*;

#[tokio::test]
async fn creates_the_table_with_inferred_types_and_stores_the_checkpoint() {
    let (schema, config) = setup("people").await;
    let sink = PostgresSink::new(config).unwrap();
    let source = PagedSource::new(people(250), 100);
    let pipeline = Pipeline::new(&source, &sink).with_name("people-load");
    assert_eq!(pipeline.guarantee(), DeliveryGuarantee::ExactlyOnce);
    let report = pipeline.run().await.unwrap();
    assert_eq!(report.progress.records_written, 250);
    // The run completed: its last checkpoint is the completion marker
    // around the source's last one.
    let completion = Completion::from_checkpoint(&report.last_checkpoint.unwrap()).unwrap();
    assert_eq!(
        completion.checkpoint.unwrap().as_value(),
        &json!({"next": 250})
    );

    assert_eq!(count(&schema, "people").await, 250);
    let types = column_types(&schema, "people").await;
    let expected = [
        ("id", "bigint"),
        ("first_name", "text"),
        ("country", "text"),
        ("amount", "double precision"),
        ("created_at", "timestamp with time zone"),
        ("active", "boolean"),
        ("attributes", "jsonb"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(types, expected);
    let stored = stored_checkpoint(&schema, "people-load").await.unwrap();
    assert_eq!(
        stored["faucet_completed"]["checkpoint"],
        json!({"next": 250})
    );

    let row = schema
        .client()
        .query_one(
            "SELECT first_name, amount, active, attributes, created_at = '2024-05-06T07:08:09.123Z'::timestamptz \
             FROM people WHERE id = 7",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "name7");
    assert_eq!(row.get::<_, f64>(1), 8.75);
    assert!(!row.get::<_, bool>(2));
    assert_eq!(
        row.get::<_, Value>(3),
        json!({"tier": "gold", "score": 0.5, "tags": ["a", "b"]})
    );
    assert!(row.get::<_, bool>(4));
}

#[tokio::test]
async fn pages_share_a_transaction_until_the_row_budget() {
    let (schema, mut config) = setup("batched").await;
    config.batch_rows = 250;
    let sink = PostgresSink::new(config).unwrap();
    let ctx = |i| CommitContext::new("batched", i);
    assert_eq!(sink.load_checkpoint("batched").await.unwrap(), None);
    let records = people(300);
    let mut durabilities = Vec::new();
    for (i, chunk) in records.chunks(100).enumerate() {
        let page =
            Page::new(text_records(chunk.to_vec())).with_checkpoint(json!({"next": (i + 1) * 100}));
        durabilities.push(
            sink.commit_page(&page, &ctx(i as u64))
                .await
                .unwrap()
                .durability,
        );
        if i == 1 {
            // Buffered: even the table, created in the same transaction,
            // is invisible to other sessions, and no checkpoint is stored.
            let table = schema
                .client()
                .query_one("SELECT to_regclass('batched') IS NULL", &[])
                .await
                .unwrap();
            assert!(table.get::<_, bool>(0));
            assert_eq!(stored_checkpoint(&schema, "batched").await, None);
        }
    }
    assert_eq!(
        durabilities,
        [
            Durability::Buffered,
            Durability::Buffered,
            Durability::RowsAndCheckpoint
        ]
    );
    assert_eq!(count(&schema, "batched").await, 300);
    assert_eq!(
        stored_checkpoint(&schema, "batched").await,
        Some(json!({"next": 300}))
    );

    let page = Page::new(text_records(people(1))); // no checkpoint
    sink.commit_page(&page, &ctx(3)).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(count(&schema, "batched").await, 301);
    assert_eq!(
        stored_checkpoint(&schema, "batched").await,
        Some(json!({"next": 300}))
    );
}

#[tokio::test]
async fn a_null_final_checkpoint_is_stored_as_given() {
    let (schema, config) = setup("full_refresh").await;
    let sink = PostgresSink::new(config).unwrap();
    let mut source = PagedSource::new(people(30), 10);
    source.final_checkpoint = Some(Value::Null);
    Pipeline::new(&source, &sink)
        .with_name("refresh")
        .run()
        .await
        .unwrap();
    // Stored inside the completion marker, as the source gave it.
    let stored = stored_checkpoint(&schema, "refresh").await.unwrap();
    assert_eq!(stored["faucet_completed"]["checkpoint"], Value::Null);
    assert!(Completion::from_checkpoint(&Checkpoint::new(stored)).is_some());
}

#[tokio::test]
async fn append_with_a_key_refuses_duplicates_naming_the_cause() {
    let (_schema, mut config) = setup("keyed").await;
    config.key = vec!["id".into()];
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![json!({"id": 1}), json!({"id": 1})];
    let err = Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("23505") && message.contains("upsert"),
        "{message}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn check_lists_named_items() {
    let (_schema, config) = setup("checked").await;
    let report = PostgresSink::new(config).unwrap().check().await.unwrap();
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reachable",
            "authorised",
            "schema writable",
            "table writable",
            "state table writable"
        ]
    );
    assert!(report.passed(), "{report:?}");
}

#[tokio::test]
async fn an_unreachable_server_fails_check_without_showing_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = faucet_sink_postgres::PostgresSinkConfig::new(
        format!("postgresql://loader:hunter2@127.0.0.1:{port}/db?connect_timeout=2"),
        "t",
    );
    config.connect_timeout_secs = 2;
    let sink = PostgresSink::new(config).unwrap();
    let report = sink.check().await.unwrap();
    assert!(!report.passed());
    let shown = format!("{report:?} {sink:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let err = sink.load_checkpoint("p").await.unwrap_err().to_string();
    assert!(
        !err.contains("hunter2") && err.contains(&port.to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn a_role_without_privileges_gets_a_named_permission_error_and_a_failed_check() {
    let (schema, mut config) = setup("forbidden").await;
    let role = format!("faucet_ro_{}", &schema.name()["faucet_test_".len()..]);
    // A role with no privilege on the test schema (owned by the test user).
    schema
        .client()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .await
        .unwrap();
    let mut url = url::Url::parse(faucet_testkit::postgres::server().url()).unwrap();
    url.set_username(&role).unwrap();
    url.set_password(None).unwrap();
    config.url = url.to_string();
    let sink = PostgresSink::new(config).unwrap();
    let report = sink.check().await.unwrap();
    let failed: Vec<&str> = report
        .items
        .iter()
        .filter(|i| matches!(i.status, CheckStatus::Failed(_)))
        .map(|i| i.name.as_str())
        .collect();
    assert!(failed.contains(&"schema writable"), "{report:?}");
    let err = sink.load_checkpoint("p").await.unwrap_err();
    let message = err.to_string();
    let grant = format!(
        "GRANT USAGE, CREATE ON SCHEMA \"{}\" TO \"{role}\"",
        schema.name()
    );
    assert!(
        message.contains("42501") && message.contains(&grant),
        "{message}"
    );
    assert!(!err.is_retryable());
    drop(sink);
    schema
        .client()
        .batch_execute(&format!("DROP ROLE {role}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_empty_page_stores_its_checkpoint_without_creating_the_table() {
    let (schema, mut config) = setup("empty").await;
    config.key = vec!["id".into()];
    let sink = PostgresSink::new(config).unwrap();
    assert_eq!(sink.load_checkpoint("e").await.unwrap(), None);
    let page = Page::new(Vec::new()).with_checkpoint(json!({"cursor": "c1"}));
    sink.commit_page(&page, &CommitContext::new("e", 0))
        .await
        .unwrap();
    sink.flush().await.unwrap();
    assert_eq!(
        stored_checkpoint(&schema, "e").await,
        Some(json!({"cursor": "c1"}))
    );
    let table = schema
        .client()
        .query_one("SELECT to_regclass('empty') IS NULL", &[])
        .await
        .unwrap();
    assert!(table.get::<_, bool>(0));
}
