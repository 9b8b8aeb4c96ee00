//! Text and JSON arrive exactly: escapes, surrogate pairs, NUL handling,
//! key order, repeated keys, long strings, deep nesting and pretty-printed
//! records, each read back as text and compared.

mod support;

use faucet_sink_postgres::NulRule;
use support::*;

#[tokio::test]
async fn escaped_unicode_and_surrogate_pairs_arrive_decoded() {
    let (schema, config) = setup("unicode").await;
    create_table(&schema, "unicode", "id int, s text, j jsonb").await;
    let nested = r#"{"k": "caf\u00e9 \ud83d\ude00 \"q\" \\ \n\t", "raw": "é😀"}"#;
    let record =
        format!(r#"{{"id": 1, "s": "caf\u00e9 \ud83d\ude00 \"q\" \\ \n\t/\/", "j": {nested}}}"#);
    load(config, vec![raw(&record)]).await.unwrap();
    let s = texts(&schema, "SELECT s FROM unicode").await;
    assert_eq!(s, [Some("café 😀 \"q\" \\ \n\t//".to_owned())]);
    let j = texts(&schema, "SELECT j::text FROM unicode").await;
    assert_eq!(j, [cast(&schema, nested, "jsonb").await]);
    let k = texts(&schema, "SELECT j->>'k' FROM unicode").await;
    assert_eq!(k, [Some("café 😀 \"q\" \\ \n\t".to_owned())]);
}

#[tokio::test]
async fn nul_is_stripped_from_text_and_jsonb_when_asked() {
    let (schema, mut config) = setup("stripped").await;
    create_table(&schema, "stripped", "id int, s text, j jsonb").await;
    config.nul = NulRule::Strip;
    let record = r#"{"id": 1, "s": "a\u0000b", "j": {"k\u0000": "x\u0000y", "lit": "\\u0000"}}"#;
    load(config, vec![raw(record)]).await.unwrap();
    let rows = texts(&schema, "SELECT s || ' ' || j::text FROM stripped").await;
    assert_eq!(
        rows,
        [Some(r#"ab {"k": "xy", "lit": "\\u0000"}"#.to_owned())]
    );
}

#[tokio::test]
async fn nul_is_refused_in_text_and_jsonb_when_asked() {
    for (column, record) in [
        ("s", r#"{"id": 1, "s": "a\u0000b"}"#),
        ("j", r#"{"id": 1, "j": ["\u0000"]}"#),
    ] {
        let (schema, mut config) = setup("refused").await;
        create_table(&schema, "refused", "id int, s text, j jsonb").await;
        config.nul = NulRule::Error;
        let err = load(config, vec![raw(record)])
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("column \"{column}\"")), "{err}");
        assert!(err.contains("NUL") && err.contains("nul: strip"), "{err}");
        assert_eq!(count(&schema, "refused").await, 0);
    }
    // An escaped backslash before `u0000` is no NUL.
    let (schema, mut config) = setup("literal").await;
    config.nul = NulRule::Error;
    let record = r#"{"id": 1, "j": {"lit": "\\u0000"}}"#;
    load(config, vec![raw(record)]).await.unwrap();
    let lit = texts(&schema, "SELECT j->>'lit' FROM literal").await;
    assert_eq!(lit, [Some(r"\u0000".to_owned())]);
}

#[tokio::test]
async fn json_and_text_columns_keep_objects_byte_for_byte() {
    let (schema, config) = setup("ordered").await;
    create_table(&schema, "ordered", "id int, j json, t text, b jsonb").await;
    let object = r#"{"z": 1, "a": [2, {"y": 3.10, "b": "\u00e9"}], "m": {"a": 1, "a": 2}}"#;
    let record = format!(r#"{{"id": 1, "j": {object}, "t": {object}, "b": {object}}}"#);
    load(config, vec![raw(&record)]).await.unwrap();
    let rows = texts(
        &schema,
        "SELECT j::text FROM ordered UNION ALL SELECT t FROM ordered",
    )
    .await;
    assert_eq!(rows, [Some(object.to_owned()), Some(object.to_owned())]);
    // jsonb orders keys its own way and keeps a repeated key's last value.
    let b = texts(&schema, "SELECT b::text FROM ordered").await;
    assert_eq!(b, [cast(&schema, object, "jsonb").await]);
    assert!(
        b[0].as_deref().unwrap().contains(r#""m": {"a": 2}"#),
        "{b:?}"
    );
}

#[tokio::test]
async fn a_repeated_key_loads_its_last_value() {
    let (schema, mut config) = setup("repeated").await;
    let records = vec![
        raw(r#"{"id": 1, "v": "first", "n": 1, "v": "last", "n": null}"#),
        raw(r#"{"id": 2, "v": "only"}"#),
    ];
    load(config.clone(), records.clone()).await.unwrap();
    let rows = texts(
        &schema,
        "SELECT v || ' ' || coalesce(n::text, 'null') FROM repeated ORDER BY id",
    )
    .await;
    assert_eq!(
        rows,
        [Some("last null".to_owned()), Some("only null".to_owned())]
    );
    // A whole record in jsonb: PostgreSQL keeps the last value as well.
    config.table = "whole".into();
    config.record_column = Some("record".into());
    load(config, records).await.unwrap();
    let v = texts(
        &schema,
        "SELECT record->>'v' FROM whole ORDER BY record->>'id'",
    )
    .await;
    assert_eq!(v, [Some("last".to_owned()), Some("only".to_owned())]);
}

#[tokio::test]
async fn a_one_megabyte_string_arrives_whole() {
    let (schema, config) = setup("long").await;
    let long: String = (0..1_000_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let record = format!(r#"{{"id": 1, "s": "{long}\u00e9", "j": {{"s": "{long}"}}}}"#);
    load(config, vec![raw(&record)]).await.unwrap();
    let sql = "SELECT s = $1 AND j->>'s' = $2 AND length(s) = 1000001 FROM long";
    let expected = format!("{long}é");
    let row = schema
        .client()
        .query_one(sql, &[&expected, &long])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
}

/// An object nested `depth` levels deep: `{"a":{"a":…1…}}`.
fn nested(depth: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
}

#[tokio::test]
async fn deep_objects_go_into_jsonb_until_postgresql_refuses() {
    let (schema, config) = setup("deep").await;
    let deep = nested(2_000);
    load(
        config.clone(),
        vec![raw(&format!(r#"{{"id": 1, "j": {deep}}}"#))],
    )
    .await
    .unwrap();
    let j = texts(&schema, "SELECT j::text FROM deep").await;
    assert_eq!(j, [cast(&schema, &deep, "jsonb").await]);
    // Far deeper than PostgreSQL's stack allows: its refusal is the error.
    let too_deep = format!(r#"{{"id": 2, "j": {}}}"#, nested(100_000));
    let sink = faucet_sink_postgres::PostgresSink::new(config).unwrap();
    let err = faucet_core::Pipeline::new(PagedSource::of(vec![raw(&too_deep)], 1), sink)
        .with_name("deeper")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("stack depth limit exceeded"), "{err}");
    assert!(err.contains("deep"), "the message names the table: {err}");
    assert_eq!(count(&schema, "deep").await, 1);
}

#[tokio::test]
async fn pretty_printed_records_load_on_one_line() {
    let (schema, mut config) = setup("pretty").await;
    create_table(&schema, "pretty", "id int, o jsonb, t text, s text").await;
    let record = "{\n  \"id\": 1,\n  \"o\": {\n    \"a\": [1, 2],\n    \"b\": \"x y\"\n  },\n  \
                  \"t\": {\n    \"z\": \"\\n\"\n  },\n  \"s\": \"two\\nlines\"\n}";
    load(config.clone(), vec![raw(record)]).await.unwrap();
    let rows = texts(
        &schema,
        "SELECT o::text FROM pretty UNION ALL SELECT t FROM pretty UNION ALL SELECT s FROM pretty",
    )
    .await;
    assert_eq!(
        rows,
        [
            Some(r#"{"a": [1, 2], "b": "x y"}"#.to_owned()),
            Some(r#"{"z":"\n"}"#.to_owned()),
            Some("two\nlines".to_owned()),
        ]
    );
    config.table = "pretty_whole".into();
    config.record_column = Some("record".into());
    load(config, vec![raw(record)]).await.unwrap();
    let whole = texts(&schema, "SELECT record::text FROM pretty_whole").await;
    assert_eq!(whole, [cast(&schema, record, "jsonb").await]);
}
