//! The shop API (accounts → orders → order lines) as a pipeline file
//! writing one JSON Lines file per stream, and what a complete read gives.

use std::path::Path;

use faucet_testkit::shop::{ShopServer, account_handle};
use serde_json::{Value, json};

/// The three streams, parents first.
pub(crate) const STREAMS: [&str; 3] = ["accounts", "orders", "order_lines"];

/// A pipeline file (JSON, which is YAML) named `name` reading the shop's
/// three resources one request at a time into `out/{stream}.jsonl`,
/// committing every `commit_records` records; `edit` changes it before it
/// is written.
pub(crate) fn shop_pipeline(
    shop: &ShopServer,
    name: &str,
    commit_records: u64,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut source = shop.rest_source_config();
    source["type"] = json!("rest");
    source["concurrency"] = json!(1);
    source["http"] = json!({"retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}});
    for resource in source["resources"].as_array_mut().expect("resources") {
        if resource.get("parent").is_some() {
            resource["parent_concurrency"] = json!(1);
        }
    }
    let mut file = json!({
        "name": name,
        "source": source,
        "sink": {"type": "jsonl", "path": "out/{stream}.jsonl", "commit_records": commit_records},
    });
    edit(&mut file);
    serde_json::to_string_pretty(&file).expect("a pipeline file")
}

/// What a complete read of `stream` gives: orders carry their account's
/// handle and id, order lines their order's id.
pub(crate) fn expected(shop: &ShopServer, stream: &str) -> Vec<Value> {
    match stream {
        "accounts" => shop.expected_accounts(),
        "orders" => shop
            .expected_orders()
            .into_iter()
            .map(|mut o| {
                let a = o["account_id"].as_u64().expect("account_id");
                let map = o.as_object_mut().expect("an object");
                map.insert("account_handle".into(), json!(account_handle(a)));
                map.insert("account_ref".into(), json!(a));
                o
            })
            .collect(),
        "order_lines" => shop
            .expected_lines()
            .into_iter()
            .map(|mut l| {
                let order = l["order_id"].clone();
                l.as_object_mut()
                    .expect("an object")
                    .insert("_parent_id".into(), order);
                l
            })
            .collect(),
        other => panic!("no stream {other}"),
    }
}

/// Every line of a JSON Lines file, parsed (a torn line fails the test).
pub(crate) fn jsonl_values(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {i}: {e}: {line:?}", path.display()))
        })
        .collect()
}

/// Asserts `dir/out/<stream>.jsonl` holds exactly what a complete read of
/// `stream` gives, record by record, field by field and in field order.
#[track_caller]
pub(crate) fn assert_stream_file(dir: &Path, shop: &ShopServer, stream: &str) {
    let got = jsonl_values(&dir.join("out").join(format!("{stream}.jsonl")));
    let want = expected(shop, stream);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let gk: Vec<&String> = g.as_object().expect("an object").keys().collect();
        let wk: Vec<&String> = w.as_object().expect("an object").keys().collect();
        assert_eq!(gk, wk, "{stream}: fields of record {i}");
        assert_eq!(g, w, "{stream}: record {i}");
    }
    assert_eq!(got.len(), want.len(), "{stream}: number of records");
}
