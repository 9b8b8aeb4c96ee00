//! Fidelity end to end: what an API sends is what lands, through the real
//! `faucet` binary, a real HTTP server on 127.0.0.1 and a real PostgreSQL.
//! Decimals longer than an `f64`, integers beyond 2^53 and beyond `i64`,
//! `-0`, `1e400`, escaped unicode and surrogate pairs, key order, duplicate
//! keys, a 1 MB string and deep nesting are each checked value by value.

use std::path::Path;

use faucet_bench::pipeline;
use faucet_testkit::fixture::{Fault, FaultRule, FixtureServer};
use serde_json::{Value, json};

use crate::support::*;

/// The records of the test page, as an API would write them, one per
/// line: exact text matters, so they are written by hand, not by serde.
const RECORDS: [&str; 4] = [
    r#"{"id":1,"amount":12345678901234567890.123456789012345678,"huge":123456789012345678901234567890,"neg":-0,"f":1.5,"note":"caf\u00e9 \ud83d\ude00 \"q\"","attrs":{"z":1,"a":[1.000000000000000000001,"x"]},"raw":{"z":1,"a":2},"payload":{"k":"v"}}"#,
    r#"{"id":9007199254740993,"amount":-0.000000000000000000000000000000000001,"huge":-99999999999999999999999999999999999999,"neg":0,"f":-2.25e-3,"note":"tab\tnl\nend","attrs":[],"raw":[1,2],"payload":"plain"}"#,
    r#"{"id":3,"amount":1e3,"huge":18446744073709551616,"neg":-0.0,"f":0,"note":"","attrs":{"dup":1,"dup":2},"raw":{"dup":1,"dup":2},"payload":null}"#,
    r#"{"id":4,"amount":null,"huge":9223372036854775808,"neg":null,"f":null,"note":null,"attrs":null,"raw":null,"payload":{"nested":{"deeper":[{"x":"}"}]}}}"#,
];

fn compact_body() -> String {
    format!("{{\"data\":[{}],\"has_more\":false}}", RECORDS.join(","))
}

/// The same records pretty-printed, as some APIs send them.
fn pretty_body() -> String {
    let records: Vec<String> = RECORDS
        .iter()
        .map(|r| {
            r.replace("{\"", "{\n    \"")
                .replace(",\"", ",\n    \"")
                .replace("\":", "\": ")
        })
        .collect();
    format!(
        "{{\n  \"data\": [\n    {}\n  ]\n}}\n",
        records.join(",\n    ")
    )
}

/// A fixture whose every request to `/records/page` answers `body` (a
/// retry gets the same body, never the fixture's own records).
async fn serving(body: String) -> FixtureServer {
    let server = fixture(10, 10, 0).await;
    server.inject(
        FaultRule::new(Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body,
        })
        .on_path("/records/page")
        .times(u32::MAX),
    );
    server
}

fn rest(url: &str) -> Value {
    json!({
        "type": "rest",
        "base_url": url,
        "path": "/records/page",
        "records": "data",
        "pagination": {"kind": "none"},
    })
}

async fn to_jsonl(name: &str, body: String, dir: &Path) -> String {
    let server = serving(body).await;
    let out = dir.join("out.jsonl");
    let file = write_pipeline(
        dir,
        &pipeline::pipeline(name, rest(&server.url()), pipeline::jsonl_sink(&out, 100)),
    );
    assert_ok(&run_faucet(&file).await, "faucet run");
    std::fs::read_to_string(&out).expect("the output file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_are_byte_identical_to_a_compact_apis_records() {
    let dir = workdir();
    let got = to_jsonl("fidelity-compact", compact_body(), dir.path()).await;
    let expected: String = RECORDS.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(got, expected, "every byte of every record, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pretty_printed_apis_records_become_one_line_each() {
    let dir = workdir();
    let got = to_jsonl("fidelity-pretty", pretty_body(), dir.path()).await;
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), RECORDS.len(), "{got}");
    for (line, record) in lines.iter().zip(RECORDS) {
        // Minified text is the compact text, digit for digit.
        assert_eq!(*line, record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_numeric_text_json_and_jsonb_keep_every_digit_and_byte() {
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let table = format!("\"{}\".\"exact\"", schema.name());
    schema
        .client()
        .batch_execute(&format!(
            "CREATE TABLE {table} (id numeric PRIMARY KEY, amount numeric, huge numeric, \
             neg numeric, f double precision, note text, attrs jsonb, raw json, payload text)"
        ))
        .await
        .unwrap();
    let server = serving(pretty_body()).await;
    let dir = workdir();
    let sink = pipeline::postgres_sink(
        pg.url(),
        schema.name(),
        "exact",
        pipeline::PgMode::Append,
        100,
    );
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("fidelity-pg", rest(&server.url()), sink),
    );
    assert_ok(&run_faucet(&file).await, "faucet run");
    let rows = schema
        .client()
        .query(
            &format!(
                "SELECT id::text, amount::text, huge::text, neg::text, f::text, note, \
                 attrs::text, raw::text, payload FROM {table} ORDER BY id"
            ),
            &[],
        )
        .await
        .unwrap();
    let got: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| (0..9).map(|i| r.get::<_, Option<String>>(i)).collect())
        .collect();
    let s = |v: &str| Some(v.to_owned());
    let expected = vec![
        vec![
            s("1"),
            s("12345678901234567890.123456789012345678"),
            s("123456789012345678901234567890"),
            s("0"),
            s("1.5"),
            s("café 😀 \"q\""),
            // jsonb orders keys its own way and keeps numeric digits.
            s(r#"{"a": [1.000000000000000000001, "x"], "z": 1}"#),
            // json keeps the text: key order as sent.
            s(r#"{"z":1,"a":2}"#),
            s(r#"{"k":"v"}"#),
        ],
        vec![
            s("3"),
            s("1000"),
            s("18446744073709551616"),
            s("0.0"),
            s("0"),
            s(""),
            // Duplicate keys: the last wins in jsonb, json keeps both.
            s(r#"{"dup": 2}"#),
            s(r#"{"dup":1,"dup":2}"#),
            None,
        ],
        vec![
            s("4"),
            None,
            s("9223372036854775808"),
            None,
            None,
            None,
            None,
            None,
            s(r#"{"nested":{"deeper":[{"x":"}"}]}}"#),
        ],
        vec![
            s("9007199254740993"),
            s("-0.000000000000000000000000000000000001"),
            s("-99999999999999999999999999999999999999"),
            s("0"),
            s("-0.00225"),
            s("tab\tnl\nend"),
            s("[]"),
            s("[1,2]"),
            s("plain"),
        ],
    ];
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_beyond_double_precision_is_an_error_naming_the_column_never_infinity() {
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let table = format!("\"{}\".\"floats\"", schema.name());
    schema
        .client()
        .batch_execute(&format!(
            "CREATE TABLE {table} (id bigint, f double precision)"
        ))
        .await
        .unwrap();
    let server = serving(r#"{"data":[{"id":1,"f":1e400}]}"#.to_owned()).await;
    let dir = workdir();
    let sink = pipeline::postgres_sink(
        pg.url(),
        schema.name(),
        "floats",
        pipeline::PgMode::Append,
        100,
    );
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("fidelity-inf", rest(&server.url()), sink),
    );
    let exit = run_faucet(&file).await;
    assert!(!exit.panicked(), "{}", exit.describe());
    assert_eq!(exit.status.code(), Some(1), "{}", exit.describe());
    assert!(exit.stderr.contains("column \"f\""), "{}", exit.stderr);
    assert!(exit.stderr.contains("type_conflict"), "{}", exit.stderr);
    let count: i64 = schema
        .client()
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "no infinity, no row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_strings_and_deep_nesting_pass_through_json_lines() {
    let long = "é".repeat(600_000); // 1.2 MB of UTF-8
    let deep = "[".repeat(300) + &"]".repeat(300);
    let records = [
        format!(r#"{{"id":1,"s":"{long}"}}"#),
        format!(r#"{{"id":2,"deep":{deep}}}"#),
    ];
    let body = format!("{{\"data\":[{}]}}", records.join(","));
    let dir = workdir();
    let got = to_jsonl("fidelity-long", body, dir.path()).await;
    let expected: String = records.iter().map(|r| format!("{r}\n")).collect();
    assert!(
        got == expected,
        "long and deep records pass through unchanged"
    );
}
