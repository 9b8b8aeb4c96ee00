//! Schema handling against a real PostgreSQL: evolution, widening,
//! conflicts, dead letters, NUL and unicode text, hostile identifiers,
//! column mapping and metadata columns.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{NulRule, PostgresSink, TypeConflict};
use support::*;

fn types_of(types: &[(String, String)], column: &str) -> String {
    types
        .iter()
        .find(|(c, _)| c == column)
        .map(|(_, t)| t.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn new_fields_add_columns_and_numbers_widen_losslessly() {
    let (schema, config) = setup("evolving").await;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![
        json!({"id": 1, "n": 1}),
        json!({"id": 2, "n": 2, "extra": "late field"}),
        json!({"id": 3, "n": 2.5}),
        json!({"id": 4, "n": 1, "big": 1}),
        json!({"id": 5, "big": u64::MAX}),
    ];
    // One record per page: each change lands in its own step.
    Pipeline::new(PagedSource::new(records, 1), &sink)
        .run()
        .await
        .unwrap();
    let types = column_types(&schema, "evolving").await;
    assert_eq!(types_of(&types, "n"), "double precision");
    assert_eq!(types_of(&types, "extra"), "text");
    assert_eq!(types_of(&types, "big"), "numeric");
    let row = schema
        .client()
        .query_one(
            "SELECT big::text, (SELECT n FROM evolving WHERE id = 3) FROM evolving WHERE id = 5",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), u64::MAX.to_string());
    assert_eq!(row.get::<_, f64>(1), 2.5);
    assert_eq!(count(&schema, "evolving").await, 5);
}

#[tokio::test]
async fn a_value_that_cannot_fit_names_table_column_value_and_record() {
    let (schema, config) = setup("strict").await;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![
        json!({"id": 1, "flag": true}),
        json!({"id": 2, "flag": "maybe"}),
    ];
    let err = Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap_err()
        .to_string();
    for needle in ["strict", "flag", "maybe", "record 1"] {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
    // Nothing committed: the table was created in the failed transaction.
    let exists = schema
        .client()
        .query_one("SELECT to_regclass('strict') IS NOT NULL", &[])
        .await
        .unwrap();
    assert!(!exists.get::<_, bool>(0));
}

#[tokio::test]
async fn conflicts_widen_to_jsonb_when_configured() {
    let (schema, mut config) = setup("loose_types").await;
    config.type_conflict = TypeConflict::Jsonb;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![json!({"v": 1}), json!({"v": "one"}), json!({"v": {"n": 1}})];
    Pipeline::new(PagedSource::new(records, 1), &sink)
        .run()
        .await
        .unwrap();
    let types = column_types(&schema, "loose_types").await;
    assert_eq!(types_of(&types, "v"), "jsonb");
    let rows = schema
        .client()
        .query("SELECT v FROM loose_types", &[])
        .await
        .unwrap();
    let values: Vec<Value> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(values, vec![json!(1), json!("one"), json!({"n": 1})]);
}

#[tokio::test]
async fn dead_letters_keep_the_record_and_reason_and_the_run_goes_on() {
    let (schema, mut config) = setup("orders").await;
    config.type_conflict = TypeConflict::DeadLetter;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![
        json!({"id": 1, "qty": 3}),
        json!({"id": 2, "qty": "three"}),
        json!({"id": 3, "qty": 4}),
    ];
    let report = Pipeline::new(PagedSource::new(records, 10), &sink)
        .with_name("orders")
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(count(&schema, "orders").await, 2);
    let row = schema
        .client()
        .query_one(
            "SELECT pipeline, position, reason, record FROM orders_rejected",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "orders");
    assert_eq!(row.get::<_, String>(1), "page 0, record 1");
    assert!(
        row.get::<_, String>(2).contains("qty"),
        "{}",
        row.get::<_, String>(2)
    );
    assert_eq!(row.get::<_, Value>(3), json!({"id": 2, "qty": "three"}));
}

#[tokio::test]
async fn nul_is_stripped_by_default_and_unicode_survives() {
    let (schema, config) = setup("texts").await;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![json!({"s": "a\u{0}b", "j": {"k": "x\u{0}y"}, "u": "żółw 🐢 \u{10FFFF} é"})];
    Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap();
    let row = schema
        .client()
        .query_one("SELECT s, j, u FROM texts", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "ab");
    assert_eq!(row.get::<_, Value>(1), json!({"k": "xy"}));
    assert_eq!(row.get::<_, String>(2), "żółw 🐢 \u{10FFFF} é");
}

#[tokio::test]
async fn nul_is_an_error_when_configured() {
    let (_schema, mut config) = setup("texts_strict").await;
    config.nul = NulRule::Error;
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![json!({"s": "ok"}), json!({"s": "a\u{0}b"})];
    let err = Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("NUL") && err.contains("record 1") && err.contains("\"s\""),
        "{err}"
    );
}

#[tokio::test]
async fn hostile_identifiers_are_quoted_not_executed() {
    let table = r#"we"ird; DROP TABLE canary; --"#;
    let (schema, mut config) = setup(table).await;
    schema
        .client()
        .batch_execute("CREATE TABLE canary (x int)")
        .await
        .unwrap();
    config.state_table = "state; DROP TABLE canary".into();
    let sink = PostgresSink::new(config).unwrap();
    let records =
        vec![json!({"id": 1, "col with space": "a", "quote\"d": "b", "semi;colon --": "c"})];
    Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap();
    assert_eq!(count(&schema, table).await, 1);
    let names: Vec<String> = column_types(&schema, table)
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(names, ["id", "col with space", "quote\"d", "semi;colon --"]);
    assert_eq!(
        count(&schema, "canary").await,
        0,
        "the canary table must still exist"
    );
}

#[tokio::test]
async fn columns_rename_and_pick_fields() {
    let (schema, mut config) = setup("picked").await;
    config.columns = Some(
        [
            ("id".to_owned(), "user_id".to_owned()),
            ("name".to_owned(), "full_name".to_owned()),
        ]
        .into(),
    );
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![
        json!({"id": 1, "name": "Ada", "secret": "x"}),
        json!({"id": 2, "name": "Grace"}),
    ];
    Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap();
    let names: Vec<String> = column_types(&schema, "picked")
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(names, ["user_id", "full_name"]);
    let row = schema
        .client()
        .query_one("SELECT full_name FROM picked WHERE user_id = 2", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "Grace");
}

#[tokio::test]
async fn whole_records_go_to_one_jsonb_column_with_metadata() {
    let (schema, mut config) = setup("raw_events").await;
    config.record_column = Some("record".into());
    config.key = vec!["id".into()];
    config.loaded_at_column = Some("_faucet_loaded_at".into());
    config.run_id_column = Some("_faucet_run_id".into());
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![
        json!({"id": 1, "a": [1, 2], "b": {"c": null}}),
        json!({"id": 2, "z": "new field"}),
    ];
    Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap();
    let types = column_types(&schema, "raw_events").await;
    let names: Vec<&str> = types.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        names,
        ["id", "record", "_faucet_run_id", "_faucet_loaded_at"]
    );
    let row = schema
        .client()
        .query_one(
            "SELECT record, _faucet_run_id <> '', _faucet_loaded_at <= now() FROM raw_events WHERE id = 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Value>(0),
        json!({"id": 1, "a": [1, 2], "b": {"c": null}})
    );
    assert!(row.get::<_, bool>(1) && row.get::<_, bool>(2));
}

#[tokio::test]
async fn a_column_of_a_type_the_sink_cannot_write_is_named_with_the_remedy() {
    let (schema, config) = setup("tokens").await;
    schema
        .client()
        .batch_execute("CREATE TABLE tokens (id bigint, token uuid)")
        .await
        .unwrap();
    let sink = PostgresSink::new(config).unwrap();
    let records = vec![json!({"id": 1, "token": "0b7c1e2a-8f51-4c54-9a7c-7f1b2c3d4e5f"})];
    let err = Pipeline::new(PagedSource::new(records, 10), &sink)
        .run()
        .await
        .unwrap_err()
        .to_string();
    for needle in ["token", "uuid", "columns"] {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
}

#[tokio::test]
async fn a_declared_schema_gives_columns_their_types_before_any_value_does() {
    let (schema, config) = setup("declared").await;
    let sink = PostgresSink::new(config).unwrap();
    // What a Singer SCHEMA message declares: nullable unions, date-time,
    // a number, a column no record of the first page holds.
    let declared = json!({"type": "object", "properties": {
        "id": {"type": "integer"},
        "amount": {"type": ["null", "number"]},
        "updated_at": {"type": ["null", "string"], "format": "date-time"},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
        "active": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        "later": {"type": ["null", "string"]}
    }});
    let records = vec![
        json!({"id": 1, "amount": null, "updated_at": null, "tags": null, "active": null}),
        json!({"id": 2, "amount": 2.5, "updated_at": "2024-05-06T07:08:09Z", "tags": ["a"], "active": true}),
        json!({"id": 3, "amount": 0.1, "later": "x"}),
    ];
    Pipeline::new(PagedSource::new(records, 1).declaring(declared), &sink)
        .run()
        .await
        .unwrap();
    let types = column_types(&schema, "declared").await;
    for (column, ty) in [
        ("id", "bigint"),
        ("amount", "numeric"),
        ("updated_at", "timestamp with time zone"),
        ("tags", "jsonb"),
        ("active", "boolean"),
        ("later", "text"),
    ] {
        assert_eq!(types_of(&types, column), ty, "column {column}: {types:?}");
    }
    let rows = texts(
        &schema,
        "SELECT concat_ws('|', id, amount, updated_at AT TIME ZONE 'UTC', tags, active, later) \
         FROM declared ORDER BY id",
    )
    .await;
    assert_eq!(
        rows,
        [
            Some("1".to_owned()),
            Some("2|2.5|2024-05-06 07:08:09|[\"a\"]|t".to_owned()),
            Some("3|0.1|x".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_value_that_breaks_its_declared_type_fails_the_run_naming_the_column() {
    let (schema, config) = setup("declared_strict").await;
    let sink = PostgresSink::new(config).unwrap();
    // The schema says date-time; the API sends something else: the run
    // fails loudly and commits nothing, never a silently dropped row.
    let declared = json!({"type": "object", "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"}
    }});
    let records = vec![
        json!({"id": 1, "at": "2024-05-06T07:08:09Z"}),
        json!({"id": 2, "at": "next tuesday"}),
    ];
    let err = Pipeline::new(PagedSource::new(records, 10).declaring(declared), &sink)
        .run()
        .await
        .unwrap_err()
        .to_string();
    for needle in ["declared_strict", "at", "RFC 3339"] {
        assert!(err.contains(needle), "`{needle}` missing from: {err}");
    }
    let exists = schema
        .client()
        .query_one("SELECT to_regclass('declared_strict') IS NOT NULL", &[])
        .await
        .unwrap();
    assert!(!exists.get::<_, bool>(0), "nothing committed");
}
