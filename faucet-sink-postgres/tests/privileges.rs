//! Least-privilege roles: a role that owns one schema and nothing else,
//! and a role that may only insert into existing tables.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
use support::*;

fn events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": i, "name": format!("e{i}")}))
        .collect()
}

async fn rows(schema: &faucet_testkit::postgres::TestSchema, table: &str) -> Vec<(i64, String)> {
    let sql = format!("SELECT id, name FROM {table} ORDER BY id");
    let rows = schema.client().query(&sql, &[]).await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn expected(n: usize) -> Vec<(i64, String)> {
    (0..n).map(|i| (i as i64, format!("e{i}"))).collect()
}

#[tokio::test]
async fn a_role_owning_one_schema_without_database_privileges_loads_into_it() {
    let (schema, _) = setup("unused").await;
    let role = TestRole::create(&schema, "owner").await;
    let owned = format!("{}_raw", schema.name());
    schema
        .client()
        .batch_execute(&format!(
            "CREATE SCHEMA {owned} AUTHORIZATION {}",
            role.name
        ))
        .await
        .unwrap();
    let denied: bool = schema
        .client()
        .query_one(
            "SELECT NOT has_database_privilege($1, current_database(), 'CREATE')",
            &[&role.name],
        )
        .await
        .unwrap()
        .get(0);
    assert!(denied, "the role must not be able to create schemas");
    let mut config = PostgresSinkConfig::new(&role.url, "events");
    config.schema = owned.clone();
    let sink = PostgresSink::new(config).unwrap();
    let report = sink.check().await.unwrap();
    assert!(report.passed(), "{report:?}");
    let source = PagedSource::new(events(25), 10);
    Pipeline::new(&source, &sink)
        .with_name("owned")
        .run()
        .await
        .unwrap();
    assert_eq!(
        rows(&schema, &format!("{owned}.events")).await,
        expected(25)
    );
    drop(sink);
    role.drop_role(&schema).await;
}

/// A target table and a state table created by an administrator, and a
/// role that may only insert into the first and read/write the second.
async fn insert_only(schema: &faucet_testkit::postgres::TestSchema) -> TestRole {
    let role = TestRole::create(schema, "insert").await;
    let s = schema.name();
    let r = &role.name;
    schema
        .client()
        .batch_execute(&format!(
            "CREATE TABLE {s}.events (id bigint PRIMARY KEY, name text); \
             CREATE TABLE {s}.faucet_state (pipeline text PRIMARY KEY, checkpoint jsonb, \
             updated_at timestamptz NOT NULL DEFAULT now()); \
             GRANT USAGE ON SCHEMA {s} TO {r}; GRANT INSERT ON {s}.events TO {r}; \
             GRANT SELECT, INSERT, UPDATE ON {s}.faucet_state TO {r}"
        ))
        .await
        .unwrap();
    role
}

fn config_as(role: &TestRole, schema: &faucet_testkit::postgres::TestSchema) -> PostgresSinkConfig {
    let mut config = PostgresSinkConfig::new(&role.url, "events");
    config.schema = schema.name().to_owned();
    config
}

#[tokio::test]
async fn an_insert_only_role_appends_into_existing_tables() {
    let (schema, _) = setup("unused").await;
    let role = insert_only(&schema).await;
    let sink = PostgresSink::new(config_as(&role, &schema)).unwrap();
    let source = PagedSource::new(events(25), 10);
    Pipeline::new(&source, &sink)
        .with_name("inserts")
        .run()
        .await
        .unwrap();
    assert_eq!(rows(&schema, "events").await, expected(25));
    let stored = stored_checkpoint(&schema, "inserts").await.unwrap();
    assert_eq!(
        stored["faucet_completed"]["checkpoint"],
        json!({"next": 25})
    );
    drop(sink);
    role.drop_role(&schema).await;
}

#[tokio::test]
async fn an_insert_only_role_is_told_which_grant_upsert_and_new_columns_need() {
    let (schema, _) = setup("unused").await;
    let role = insert_only(&schema).await;
    let (s, r) = (schema.name(), &role.name);

    let mut config = config_as(&role, &schema);
    config.mode = WriteMode::Upsert;
    config.key = vec!["id".into()];
    let sink = PostgresSink::new(config).unwrap();
    let source = PagedSource::new(events(3), 10);
    let err = Pipeline::new(&source, &sink)
        .with_name("upserts")
        .run()
        .await
        .unwrap_err()
        .to_string();
    let grant = format!("GRANT SELECT, INSERT, UPDATE ON \"{s}\".\"events\" TO \"{r}\"");
    assert!(err.contains("42501") && err.contains(&grant), "{err}");

    let sink = PostgresSink::new(config_as(&role, &schema)).unwrap();
    let source = PagedSource::new(vec![json!({"id": 1, "name": "a", "extra": true})], 10);
    let err = Pipeline::new(&source, &sink)
        .with_name("new-column")
        .run()
        .await
        .unwrap_err()
        .to_string();
    let owner = format!("ALTER TABLE \"{s}\".\"events\" OWNER TO \"{r}\"");
    assert!(err.contains("42501") && err.contains(&owner), "{err}");
    assert_eq!(rows(&schema, "events").await, Vec::new());
    drop(sink);
    role.drop_role(&schema).await;
}

#[tokio::test]
async fn a_missing_state_table_in_a_read_only_schema_names_both_remedies() {
    let (schema, _) = setup("unused").await;
    let role = insert_only(&schema).await;
    schema
        .client()
        .batch_execute("DROP TABLE faucet_state")
        .await
        .unwrap();
    let sink = PostgresSink::new(config_as(&role, &schema)).unwrap();
    let report = sink.check().await.unwrap();
    let state = report
        .items
        .iter()
        .find(|i| i.name == "state table writable")
        .unwrap();
    assert!(matches!(state.status, CheckStatus::Failed(_)), "{report:?}");
    let err = sink.load_checkpoint("p").await.unwrap_err().to_string();
    let (s, r) = (schema.name(), &role.name);
    let grant = format!("GRANT USAGE, CREATE ON SCHEMA \"{s}\" TO \"{r}\"");
    let create = format!("CREATE TABLE IF NOT EXISTS \"{s}\".\"faucet_state\"");
    assert!(err.contains(&grant) && err.contains(&create), "{err}");
    drop(sink);
    role.drop_role(&schema).await;
}
