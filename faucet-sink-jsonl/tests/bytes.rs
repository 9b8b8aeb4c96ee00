//! What the JSON Lines sink writes: each record's text as it arrived, one
//! line per record, whatever the API's formatting; trees compactly.

use std::path::Path;

use faucet_core::connector::*;
use faucet_core::serde_json::{self, value::RawValue};
use faucet_core::{Pipeline, RunOutcome};
use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};

/// A source serving fixed records (one page, no checkpoint).
struct Fixed(Vec<Record>);

#[async_trait]
impl Source for Fixed {
    async fn fetch(&self, _: &SourceContext) -> Result<Vec<Record>> {
        Ok(self.0.clone())
    }
}

/// The records of a page body that is a JSON array, as a REST source
/// finds them: slices of the body, no tree.
fn records_of(body: &str) -> Vec<Record> {
    let body = faucet_core::bytes::Bytes::copy_from_slice(body.as_bytes());
    let items: Vec<&RawValue> = serde_json::from_slice(&body).unwrap();
    let records: Vec<Record> = items.iter().map(|r| Record::from_raw(&body, r)).collect();
    assert!(records.iter().all(|r| r.raw_json().is_some()));
    records
}

async fn write(records: Vec<Record>, path: &Path) -> String {
    let sink = JsonlSink::new(JsonlSinkConfig::new(path)).unwrap();
    let report = Pipeline::new(Fixed(records), sink).run().await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    std::fs::read_to_string(path).unwrap()
}

/// Numbers and strings a tree would change or refuse: a 38-digit decimal,
/// integers beyond 2^53 and beyond u64, `-0`, a number beyond f64,
/// escaped unicode with a surrogate pair, raw UTF-8, escaped controls.
const AWKWARD: [&str; 4] = [
    r#"{"id": 1, "amount": 12345678901234567890.123456789012345678, "big": 18446744073709551617, "near": 9007199254740993}"#,
    r#"{"id":2,"zero":-0,"huge":1e400,"tiny":-2.5E-400,"exp":1.0e+2}"#,
    r#"{"id":3,"name":"caf\u00e9 \ud83d\ude00","raw":"café 😀 日本","ctl":"a\tb\nc\u0000d","q":"\"\\\/"}"#,
    r#"{"id":4,"dup":1,"dup":2,"nested":{"z":[1, 2.50, {"y": null}],"a":true},"empty":{},"list":[]}"#,
];

#[tokio::test]
async fn compact_records_are_written_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let body = format!("[{}]", AWKWARD.join(" ,\t"));
    let text = write(records_of(&body), &path).await;
    let expected: String = AWKWARD.iter().map(|r| format!("{r}\n")).collect();
    assert_eq!(text, expected);
}

#[tokio::test]
async fn pretty_records_become_one_valid_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let body = "[\n  {\n    \"id\": 1,\n    \"s\": \"a b\\nc\",\n    \"n\": {\r\n      \"x\": [\n        1,\n        1e400\n      ]\n    }\n  },\n  {\n\t\"id\": 2, \"u\": \"\\ud83d\\ude00\"\n  },\n  {\"id\": 3, \"one line\": true}\n]";
    let text = write(records_of(body), &path).await;
    assert_eq!(
        text,
        concat!(
            "{\"id\":1,\"s\":\"a b\\nc\",\"n\":{\"x\":[1,1e400]}}\n",
            "{\"id\":2,\"u\":\"\\ud83d\\ude00\"}\n",
            // Already one line: kept as it came, spaces included.
            "{\"id\": 3, \"one line\": true}\n",
        )
    );
    for line in text.lines() {
        let _: &RawValue = serde_json::from_str(line).unwrap();
    }
}

#[tokio::test]
async fn tree_records_are_written_compactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let records = vec![
        Record::from(json!({"id": 1, "s": "line\nbreak", "n": {"b": [1, 2.5]}})),
        Record::from(json!({"z": null, "a": "é"})),
    ];
    let text = write(records, &path).await;
    assert_eq!(
        text,
        "{\"id\":1,\"s\":\"line\\nbreak\",\"n\":{\"b\":[1,2.5]}}\n{\"z\":null,\"a\":\"é\"}\n"
    );
}

#[tokio::test]
async fn text_and_tree_records_mix_in_one_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let mut records = records_of(r#"[{"id": 1, "v": 1.50}, {"id":2,"v":1e400}]"#);
    records.insert(1, Record::from(json!({"id": 1.5})));
    records.push(Record::from_json(&b"\n {\"id\": 3}\n"[..]).unwrap());
    let text = write(records, &path).await;
    assert_eq!(
        text,
        "{\"id\": 1, \"v\": 1.50}\n{\"id\":1.5}\n{\"id\":2,\"v\":1e400}\n{\"id\": 3}\n"
    );
}
