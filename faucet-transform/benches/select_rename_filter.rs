//! Per-record cost of `select` + `rename` + `filter` on 1,000-record text
//! pages (records as slices of the page body, as the REST source makes
//! them), each transform alone and the three chained, and the chain of
//! `bench/run.sh` scenario 7 on records of the fixture API's shape. Run
//! with `cargo bench -p faucet-transform`; prints nanoseconds per record.
//! `FAUCET_BENCH_ONLY=scenario7` runs only the last (for callgrind).

use std::hint::black_box;
use std::time::Instant;

use faucet_core::bytes::Bytes;
use faucet_core::connector::*;
use faucet_core::serde_json::value::RawValue;
use faucet_transform::*;

/// mimalloc, as in the `faucet` binary (which calls it without alignment
/// for word-aligned layouts, a little cheaper than this crate's allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 1_000;
const PAGES: usize = 200;

/// Records of a page body.
fn records_of(items: &[String]) -> Vec<Record> {
    let body = Bytes::from(format!("[{}]", items.join(",")));
    let raws: Vec<&RawValue> = faucet_core::serde_json::from_slice(&body).expect("a page");
    raws.iter()
        .map(|raw| Record::from_raw(&body, raw))
        .collect()
}

/// A page of the fixture API's records (what scenario 7 reads).
fn fixture_page() -> Vec<Record> {
    const NAMES: [&str; 4] = ["Ada", "Grace", "Edsger", "Barbara"];
    let items: Vec<String> = (0..RECORDS)
        .map(|i| {
            format!(
                r#"{{"id":{i},"first_name":"{}","country":"DE","amount":{}.{:02},"created_at":"2024-01-01T00:{:02}:00Z","active":true,"attributes":{{"tier":"pro","score":{},"tags":["alpha","vip"]}}}}"#,
                NAMES[i % 4],
                i * 7 % 10_000,
                i % 100,
                i % 60,
                i % 1000
            )
        })
        .collect();
    records_of(&items)
}

/// One page body of ~180-byte records, and its records.
fn page() -> Vec<Record> {
    let items: Vec<String> = (0..RECORDS)
        .map(|i| {
            format!(
                r#"{{"id":{i},"name":"user {i}","email":"user{i}@example.com","status":"{}","createdAt":"2024-05-01T12:00:{:02}Z","amount":{}.25,"tags":["a","b"]}}"#,
                if i % 2 == 0 { "active" } else { "gone" },
                i % 60,
                i * 7
            )
        })
        .collect();
    records_of(&items)
}

fn measure(name: &str, page: &[Record], chain: &[&dyn Transform]) {
    let started = Instant::now();
    let mut kept = 0usize;
    for _ in 0..PAGES {
        let mut current: Vec<Record> = page.to_vec();
        for transform in chain {
            let mut next = Vec::with_capacity(current.len());
            for record in current {
                transform.transform(record, &mut next).expect("transformed");
            }
            current = next;
        }
        kept += black_box(current).len();
    }
    let per_record = started.elapsed().as_nanos() as f64 / (RECORDS * PAGES) as f64;
    println!("{name:<28} {per_record:>8.0} ns/record ({kept} records out)");
}

/// Scenario 7's transforms: `select` of every field, `rename` of one,
/// a `filter` true for all.
fn scenario7() {
    let select = SelectTransform::new(SelectTransformConfig {
        fields: [
            "id",
            "first_name",
            "country",
            "amount",
            "created_at",
            "active",
            "attributes",
        ]
        .map(String::from)
        .to_vec(),
    })
    .expect("select");
    let rename = RenameTransform::new(RenameTransformConfig {
        fields: [("first_name".to_owned(), "name".to_owned())].into(),
    })
    .expect("rename");
    let filter = FilterTransform::new(FilterTransformConfig {
        where_: "amount >= 0.0".to_owned(),
    })
    .expect("filter");
    let page = fixture_page();
    measure("scenario 7: no transform", &page, &[]);
    measure("scenario 7: chain", &page, &[&select, &rename, &filter]);
}

fn main() {
    if std::env::var("FAUCET_BENCH_ONLY").is_ok_and(|v| v == "scenario7") {
        scenario7();
        return;
    }
    let page = page();
    let select = SelectTransform::new(SelectTransformConfig {
        fields: ["id", "name", "status", "createdAt", "amount"]
            .map(String::from)
            .to_vec(),
    })
    .expect("select");
    let rename = RenameTransform::new(RenameTransformConfig {
        fields: [("createdAt".to_owned(), "created_at".to_owned())].into(),
    })
    .expect("rename");
    let filter = FilterTransform::new(FilterTransformConfig {
        where_: r#"status == "active""#.to_owned(),
    })
    .expect("filter");
    measure("no transform (page copy)", &page, &[]);
    measure("select", &page, &[&select]);
    measure("rename", &page, &[&rename]);
    measure("filter", &page, &[&filter]);
    measure(
        "select + rename + filter",
        &page,
        &[&select, &rename, &filter],
    );
    measure(
        "filter + select + rename",
        &page,
        &[&filter, &select, &rename],
    );
    scenario7();
}
