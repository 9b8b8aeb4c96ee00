//! Page encoding: one pass over each record's fields, text and tree
//! records alike.

use bytes::BytesMut;
use faucet_core::connector::Record;
use serde_json::{Value, json};

use super::*;
use crate::config::{PostgresSinkConfig, Settings};
use crate::schema::plan::Column;

fn layout(columns: &[(&str, PgType)], config: impl FnOnce(&mut PostgresSinkConfig)) -> Layout {
    let mut c = PostgresSinkConfig::new("postgres://localhost/db", "t");
    config(&mut c);
    let settings = Settings::new(c).unwrap();
    let columns: Vec<Column> = columns
        .iter()
        .map(|(name, ty)| Column {
            name: Ident::new(name).unwrap(),
            ty: Some(*ty),
            catalog_type: ty.sql().to_owned(),
        })
        .collect();
    build_layout(&settings, "t", &columns, "run").unwrap()
}

fn encode(layout: &Layout, records: &[Record]) -> Result<(Vec<u8>, Encoded), String> {
    let mut buf = BytesMut::new();
    let encoded = layout.encode(records, 0, &mut Staging::default(), &mut buf)?;
    Ok((buf.to_vec(), encoded))
}

fn text(value: &Value) -> Record {
    Record::from_json(value.to_string()).unwrap()
}

fn rows(layout: &Layout, records: &[Record]) -> Vec<u8> {
    match encode(layout, records).unwrap() {
        (buf, Encoded::Rows { dead, .. }) if dead.is_empty() => buf,
        other => panic!("expected rows, got {other:?}"),
    }
}

#[test]
fn text_and_tree_records_encode_alike_in_any_field_order() {
    let l = layout(
        &[
            ("id", PgType::Int8),
            ("name", PgType::Text),
            ("tags", PgType::Jsonb),
        ],
        |_| {},
    );
    let in_order = json!({"id": 7, "name": "é", "tags": ["a"]});
    let reordered = Record::from_json(r#"{"tags":["a"],"name":"\u00e9","id":7}"#).unwrap();
    let expected = rows(&l, &[text(&in_order)]);
    assert_eq!(rows(&l, &[in_order.clone().into()]), expected);
    assert_eq!(rows(&l, &[reordered]), expected);
    // A missing field is NULL.
    let missing = rows(&l, &[text(&json!({"id": 7}))]);
    assert_eq!(&missing[missing.len() - 8..], [255; 8]);
}

#[test]
fn the_last_of_a_repeated_key_wins() {
    let l = layout(&[("id", PgType::Int8), ("v", PgType::Text)], |_| {});
    let twice = Record::from_json(r#"{"id": 1, "v": "first", "id": 2, "v": "last"}"#).unwrap();
    let once = text(&json!({"id": 2, "v": "last"}));
    assert_eq!(rows(&l, &[twice]), rows(&l, &[once]));
}

#[test]
fn unknown_fields_and_wider_values_ask_for_a_schema_change() {
    let l = layout(&[("id", PgType::Int4)], |_| {});
    for record in [
        json!({"id": 1, "new": 1}),
        json!({"id": 1_i64 << 40}),
        json!({"id": 1.5}),
    ] {
        let (_, encoded) = encode(&l, &[text(&record)]).unwrap();
        assert!(matches!(encoded, Encoded::NeedsSchemaChange), "{record}");
    }
    // A null field needs no column.
    let (_, encoded) = encode(&l, &[text(&json!({"id": 1, "new": null}))]).unwrap();
    assert!(matches!(encoded, Encoded::Rows { rows: 1, .. }));
}

#[test]
fn conflicts_name_the_column_and_the_option_or_become_dead_letters() {
    let l = layout(&[("x", PgType::Float8)], |_| {});
    let big = Record::from_json(r#"{"x": 1e400}"#).unwrap();
    let err = encode(&l, std::slice::from_ref(&big)).unwrap_err();
    assert!(
        err.contains(r#"column "x""#)
            && err.contains("`1e400` is beyond the range of double precision")
            && err.contains("type_conflict: text"),
        "{err}"
    );
    let l = layout(&[("x", PgType::Float8)], |c| {
        c.type_conflict = TypeConflict::DeadLetter;
    });
    let (_, encoded) = encode(&l, &[big.clone(), text(&json!({"x": 2}))]).unwrap();
    let Encoded::Rows { rows: 1, dead } = encoded else {
        panic!("one row and one dead letter: {encoded:?}");
    };
    assert_eq!(dead[0].record.raw_json(), big.raw_json());
    assert_eq!(
        dead[0].reason,
        r#"column "x": is beyond the range of double precision"#
    );
    // A NUL refused by `nul: error` is an error even then.
    let l = layout(&[("s", PgType::Text)], |c| {
        c.type_conflict = TypeConflict::DeadLetter;
        c.nul = NulRule::Error;
    });
    let nul = Record::from_json(r#"{"s": "a\u0000"}"#).unwrap();
    assert!(encode(&l, &[nul]).unwrap_err().contains("nul: strip"));
}

#[test]
fn whole_records_keep_their_text_on_one_line() {
    let l = layout(&[("record", PgType::Jsonb)], |c| {
        c.record_column = Some("record".into());
    });
    let pretty = Record::from_json("{\n  \"b\": 1e400,\n  \"a\": \"x y\"\n}").unwrap();
    let buf = rows(&l, &[pretty, Record::from_json("[1, 2]").unwrap()]);
    let first = br#"{"b":1e400,"a":"x y"}"#;
    assert_eq!(&buf[2..6], (first.len() as i32 + 1).to_be_bytes());
    assert_eq!(&buf[6..7], [1]);
    assert_eq!(&buf[7..7 + first.len()], first);
}

#[test]
fn unreadable_text_is_an_error_not_a_panic() {
    let l = layout(&[("s", PgType::Text)], |c| {
        c.type_conflict = TypeConflict::DeadLetter;
    });
    // A lone surrogate passes JSON validation but is no string.
    let lone = Record::from_json(r#"{"s": "\ud800"}"#).expect("JSON text checks no surrogates");
    let err = encode(&l, &[lone]).unwrap_err();
    assert!(err.contains("cannot be read"), "{err}");
}

#[test]
fn numeric_keys_that_differ_only_in_scale_are_duplicates() {
    let l = layout(&[("id", PgType::Numeric), ("v", PgType::Text)], |c| {
        c.mode = crate::config::WriteMode::Upsert;
        c.key = vec!["id".into()];
    });
    let mut staging = Staging::default();
    let mut buf = BytesMut::new();
    let first = [Record::from_json(r#"{"id": 1.0, "v": "a"}"#).unwrap()];
    l.encode(&first, 0, &mut staging, &mut buf).unwrap();
    assert!(!staging.duplicates);
    let other = [Record::from_json(r#"{"id": 1.5, "v": "b"}"#).unwrap()];
    l.encode(&other, 0, &mut staging, &mut buf).unwrap();
    assert!(!staging.duplicates);
    let same = [Record::from_json(r#"{"id": 1.00, "v": "c"}"#).unwrap()];
    l.encode(&same, 0, &mut staging, &mut buf).unwrap();
    assert!(staging.duplicates);
    // Floats: `-0` and `0` are one key.
    let l = layout(&[("id", PgType::Float8)], |c| {
        c.mode = crate::config::WriteMode::Upsert;
        c.key = vec!["id".into()];
    });
    let mut staging = Staging::default();
    let zeros = [
        Record::from_json(r#"{"id": 0}"#).unwrap(),
        Record::from_json(r#"{"id": 1}"#).unwrap(),
    ];
    l.encode(&zeros, 0, &mut staging, &mut buf).unwrap();
    assert!(!staging.duplicates);
    let negative = [Record::from_json(r#"{"id": -0.0}"#).unwrap()];
    l.encode(&negative, 0, &mut staging, &mut buf).unwrap();
    assert!(staging.duplicates);
}

/// Encoding speed alone, on records of the benchmark's shape:
/// `cargo test -p faucet-sink-postgres --profile bench --lib encode_speed -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn encode_speed() {
    let l = layout(
        &[
            ("id", PgType::Int8),
            ("first_name", PgType::Text),
            ("country", PgType::Text),
            ("amount", PgType::Float8),
            ("created_at", PgType::Timestamptz),
            ("active", PgType::Bool),
            ("attributes", PgType::Jsonb),
        ],
        |_| {},
    );
    let values: Vec<Value> = (0..1000)
        .map(|i| {
            json!({
                "id": i, "first_name": format!("Ada{i}"), "country": "FR",
                "amount": i as f64 / 100.0 + 0.25,
                "created_at": "2024-05-06T07:08:09.123Z", "active": i % 3 != 0,
                "attributes": {"tier": "gold", "score": i as f64 / 7.0, "tags": ["t1", "t2"]},
            })
        })
        .collect();
    for (kind, page) in [
        ("text", values.iter().map(text).collect::<Vec<_>>()),
        ("tree", values.iter().cloned().map(Record::from).collect()),
    ] {
        let mut buf = BytesMut::with_capacity(200_000);
        let start = thread_cpu_ns();
        let rounds = 1000;
        for _ in 0..rounds {
            buf.clear();
            l.encode(&page, 0, &mut Staging::default(), &mut buf)
                .unwrap();
        }
        let ns = (thread_cpu_ns() - start) as f64 / (rounds * page.len()) as f64;
        println!("{kind} records: {ns:.0} ns of CPU per record encoded");
    }
}

/// This thread's CPU time in nanoseconds (Linux `schedstat`; 0 elsewhere),
/// which a loaded machine does not inflate as it does wall time.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
