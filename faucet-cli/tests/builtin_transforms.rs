//! Every built-in transform in one real pipeline: the fixture REST API →
//! filter, select, rename, drop, cast, set, hash, redact, flatten, explode,
//! dedupe, metadata → PostgreSQL (a table inferred from the transformed
//! records) and JSON Lines, through the `faucet` binary. Each row is
//! checked field by field against what the transforms must make of the
//! record the API served.

mod support;

use std::collections::BTreeMap;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer, record};
use serde_json::{Value, json};
use support::{faucet, stderr, write};

const RECORDS: u64 = 400;
const SALT: &str = "salt-for-the-builtin-test-0123";

fn transforms() -> Value {
    json!([
        {"type": "filter", "where": "active == true && amount >= 100.0"},
        {"type": "select", "fields": ["id", "first_name", "country", "amount", "created_at", "attributes"]},
        {"type": "rename", "fields": {"first_name": "name"}},
        {"type": "drop", "fields": ["attributes.score"]},
        {"type": "cast", "fields": {"amount": "string"}},
        {"type": "set", "field": "origin", "value": "fixture"},
        {"type": "set", "field": "big", "expression": "double(amount) > 5000.0"},
        {"type": "hash", "fields": ["name"], "salt": "${PII_SALT}"},
        {"type": "redact", "fields": ["country"], "mask": "XX"},
        {"type": "flatten"},
        {"type": "explode", "field": "attributes__tags", "keep_empty": false},
        {"type": "dedupe", "keys": ["id"], "max_keys": 10000},
        {"type": "metadata", "fields": {"_batch": "nightly"}},
    ])
}

/// What the transforms make of the fixture's records, by id: the first tag
/// of each active record of at least 100.00 that has a tag.
fn expected() -> BTreeMap<u64, Value> {
    let mut out = BTreeMap::new();
    for id in 1..=RECORDS {
        let r = record(id);
        let amount = r["amount"].as_f64().unwrap();
        let tags = r["attributes"]["tags"].as_array().unwrap();
        if r["active"] != true || amount < 100.0 || tags.is_empty() {
            continue;
        }
        out.insert(
            id,
            json!({
                "id": id,
                "country": "XX",
                "amount": raw_amount(id),
                "created_at": r["created_at"],
                "attributes__tier": r["attributes"]["tier"],
                "attributes__tags": tags[0],
                "origin": "fixture",
                "big": amount > 5000.0,
                "_batch": "nightly",
            }),
        );
    }
    out
}

/// The amount's text exactly as the API writes it (two decimals, `8284.90`;
/// cast to string keeps that text, where a parsed number would give
/// `8284.9`).
fn raw_amount(id: u64) -> String {
    let cents = (record(id)["amount"].as_f64().unwrap() * 100.0).round() as u64;
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Checks every row against [`expected`], and the hashed names: 64 hex
/// digits, equal for equal names, never the name itself.
fn assert_rows(rows: &[Value], what: &str) {
    let expected = expected();
    assert!(expected.len() > 50, "the test keeps enough records");
    assert_eq!(rows.len(), expected.len(), "{what}: rows");
    let mut hash_of: BTreeMap<String, String> = BTreeMap::new();
    for row in rows {
        let id = row["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: id in {row}"));
        let want = &expected[&id];
        for (field, value) in want.as_object().unwrap() {
            let got = &row[field];
            let same = match (value, got) {
                (Value::String(a), Value::String(b)) if field == "created_at" => {
                    chrono::DateTime::parse_from_rfc3339(a).unwrap()
                        == chrono::DateTime::parse_from_rfc3339(b).unwrap()
                }
                _ => value == got,
            };
            assert!(same, "{what} id {id}: `{field}` is {got}, expected {value}");
        }
        let hashed = row["name"].as_str().unwrap();
        let name = record(id)["first_name"].as_str().unwrap().to_owned();
        assert!(
            hashed.len() == 64 && hashed.bytes().all(|b| b.is_ascii_hexdigit()),
            "{what} id {id}: name hashed as {hashed}"
        );
        assert_ne!(hashed, name);
        if let Some(before) = hash_of.insert(name.clone(), hashed.to_owned()) {
            assert_eq!(before, hashed, "{what}: `{name}` hashed two ways");
        }
        assert!(
            row["_faucet_loaded_at"].is_string(),
            "{what} id {id}: loaded_at"
        );
        for gone in [
            "first_name",
            "active",
            "attributes",
            "score",
            "attributes__score",
        ] {
            assert!(
                row.get(gone).is_none(),
                "{what} id {id}: `{gone}` is still there"
            );
        }
    }
    let distinct: std::collections::BTreeSet<&String> = hash_of.values().collect();
    assert_eq!(
        distinct.len(),
        hash_of.len(),
        "{what}: different names, different hashes"
    );
}

fn pipeline(api: &str, sink: Value) -> String {
    let file = json!({
        "name": "builtins",
        "source": {
            "type": "rest", "base_url": api, "path": "/records/page", "records": "data",
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50},
        },
        "transforms": transforms(),
        "sink": sink,
    });
    file.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_builtin_transform_lands_in_postgres_and_json_lines_as_computed() {
    let api = FixtureServer::start(FixtureConfig::new(RECORDS))
        .await
        .unwrap();
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let sinks = [
        (
            "pg.json",
            json!({"type": "postgres", "url": schema.url(), "schema": schema.name(), "table": "customers"}),
        ),
        ("jsonl.json", json!({"type": "jsonl", "path": out})),
    ];
    for (file, sink) in sinks {
        let path = write(dir.path(), file, &pipeline(&api.url(), sink));
        let result = faucet(dir.path())
            .arg("run")
            .arg(&path)
            .env("PII_SALT", SALT)
            .output()
            .unwrap();
        assert!(result.status.success(), "{file}: {}", stderr(&result));
        assert!(!stderr(&result).contains(SALT), "the salt was printed");
    }

    let rows: Vec<Value> = schema
        .client()
        .query(
            &format!("SELECT to_jsonb(t) FROM \"{}\".customers t", schema.name()),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, Value>(0))
        .collect();
    assert_rows(&rows, "PostgreSQL");
    // The table was inferred from the transformed records.
    let types: BTreeMap<String, String> = schema
        .client()
        .query(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'customers'",
            &[&schema.name()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(types["amount"], "text", "cast to string: {types:?}");
    assert_eq!(types["big"], "boolean", "{types:?}");
    assert!(
        !types.contains_key("first_name") && !types.contains_key("attributes"),
        "{types:?}"
    );

    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_rows(&lines, "JSON Lines");
}
