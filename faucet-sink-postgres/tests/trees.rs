//! Records built from trees (`Record::from_value`) load exactly as the
//! same records as JSON text: the encoder reads both through one field
//! view. Each scenario loads both kinds into two tables and compares the
//! rows as text.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, TypeConflict, WriteMode};
use faucet_testkit::postgres::TestSchema;
use support::*;

/// Loads `values` as trees into `<table>_tree` and as text into
/// `<table>_text` (pages of `page`), then returns both tables' rows as
/// text, ordered by `id`.
async fn both(
    schema: &TestSchema,
    config: &PostgresSinkConfig,
    table: &str,
    values: Vec<Value>,
    page: usize,
) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let mut tables = Vec::new();
    for (kind, source) in [
        ("tree", PagedSource::trees(values.clone(), page)),
        ("text", PagedSource::new(values.clone(), page)),
    ] {
        let mut config = config.clone();
        config.table = format!("{table}_{kind}");
        let sink = PostgresSink::new(config.clone()).unwrap();
        Pipeline::new(source, sink)
            .with_name(config.table.clone())
            .run()
            .await
            .unwrap();
        let sql = format!("SELECT t::text FROM {} t ORDER BY id", config.table);
        tables.push(texts(schema, &sql).await);
    }
    let text = tables.pop().unwrap();
    (tables.pop().unwrap(), text)
}

#[tokio::test]
async fn trees_and_text_append_alike() {
    let (schema, mut config) = setup("unused").await;
    config.loaded_at_column = None;
    let (tree, text) = both(&schema, &config, "people", people(120), 50).await;
    assert_eq!(tree.len(), 120);
    assert_eq!(tree, text);
    let types = column_types(&schema, "people_tree").await;
    assert_eq!(types, column_types(&schema, "people_text").await);
}

#[tokio::test]
async fn trees_and_text_evolve_the_schema_alike() {
    let (schema, mut config) = setup("unused").await;
    config.type_conflict = TypeConflict::Text;
    let values = vec![
        json!({"id": 1, "n": 1, "s": "a\u{0}b"}),
        json!({"id": 2, "n": 2.5, "extra": {"k": [1, "é"]}}),
        json!({"id": 3, "n": u64::MAX, "when": "2024-05-06T07:08:09Z"}),
        json!({"id": 4, "n": "not a number", "when": "later"}),
        json!({"id": 5, "n": i64::MIN, "flag": true}),
    ];
    let (tree, text) = both(&schema, &config, "evolving", values, 1).await;
    assert_eq!(tree.len(), 5);
    assert_eq!(tree, text);
    assert_eq!(
        column_types(&schema, "evolving_tree").await,
        column_types(&schema, "evolving_text").await
    );
}

#[tokio::test]
async fn trees_and_text_upsert_and_dead_letter_alike() {
    let (schema, mut config) = setup("unused").await;
    config.mode = WriteMode::Upsert;
    config.key = vec!["id".into()];
    config.delete_field = Some("_deleted".into());
    let values = vec![
        json!({"id": 1, "name": "a", "n": 1}),
        json!({"id": 2, "name": "b"}),
        json!({"id": 1, "name": "a2", "n": 2}),
        json!({"id": 2, "_deleted": true}),
        json!({"id": 3, "name": "c", "n": "not a number"}),
    ];
    config.type_conflict = TypeConflict::DeadLetter;
    let (tree, text) = both(&schema, &config, "users", values, 10).await;
    assert_eq!(tree, text);
    assert_eq!(tree.len(), 1, "{tree:?}");
    let rejected = |kind: &str| {
        format!("SELECT position || reason || record::text FROM users_{kind}_rejected")
    };
    assert_eq!(
        texts(&schema, &rejected("tree")).await,
        texts(&schema, &rejected("text")).await
    );
    assert_eq!(texts(&schema, &rejected("text")).await.len(), 1);
}
