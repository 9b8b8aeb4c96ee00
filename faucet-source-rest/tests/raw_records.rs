//! Records as bytes, end to end against the fixture server: what a sink
//! receives is the API's own text of each record (a slice of the page
//! body), whatever the page looks like, and the scan route agrees with
//! the tree route on the same pages.

mod support;

use std::sync::Mutex;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_source_rest::RestSource;
use faucet_testkit::fixture::{Fault, FaultRule, FixtureServer, record};
use serde_json::value::RawValue;
use support::{server, source};

/// A sink that keeps every record it is given.
#[derive(Default)]
struct Keep(Mutex<Vec<Record>>);

#[async_trait]
impl Sink for Keep {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        self.0.lock().unwrap().extend_from_slice(records);
        Ok(records.len())
    }
}

async fn received(source: &RestSource) -> Vec<Record> {
    let sink = Keep::default();
    Pipeline::new(source, &sink).run().await.expect("run");
    sink.0.into_inner().unwrap()
}

fn page_source(api: &FixtureServer, extra: Value) -> RestSource {
    let mut config = json!({
        "path": "/records/page",
        "records": "data",
        "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100},
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    source(api, config)
}

/// One page served as `body` to a source without pagination.
async fn one_page(body: &str, records: Value) -> Vec<Record> {
    let api = server(1).await;
    api.inject(FaultRule::new(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: body.into(),
    }));
    received(&source(
        &api,
        json!({"path": "/records/page", "records": records}),
    ))
    .await
}

#[tokio::test]
async fn a_compact_apis_records_arrive_byte_for_byte() {
    let api = server(250).await;
    let records = received(&page_source(&api, json!({}))).await;
    let client = reqwest::Client::new();
    let mut served = Vec::new();
    for page in 1..=3 {
        let url = format!("{}/records/page?page={page}&per_page=100", api.url());
        let body = client.get(url).send().await.unwrap().bytes().await.unwrap();
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            data: Vec<&'a RawValue>,
        }
        let page: Page<'_> = serde_json::from_slice(&body).unwrap();
        served.extend(page.data.iter().map(|r| r.get().as_bytes().to_vec()));
    }
    assert_eq!(records.len(), 250);
    assert_eq!(served.len(), 250);
    for (record, served) in records.iter().zip(&served) {
        assert_eq!(record.raw_json(), Some(served.as_slice()));
        assert_eq!(record.to_json_bytes(), served.as_slice());
    }
}

#[tokio::test]
async fn a_pretty_printed_apis_records_keep_their_lines_and_write_one() {
    let api = server(120).await;
    let records = received(&page_source(&api, json!({"query": {"pretty": "true"}}))).await;
    assert_eq!(records.len(), 120);
    for (i, got) in records.iter().enumerate() {
        let raw = got.raw_json().expect("text record");
        assert!(raw.contains(&b'\n'), "as received, on many lines");
        let mut line = Vec::new();
        got.write_json(&mut line);
        assert!(!line.contains(&b'\n'));
        let written: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(written, record(i as u64 + 1));
    }
}

#[tokio::test]
async fn long_decimals_big_integers_and_1e400_arrive_as_written() {
    let items = [
        r#"{"id":1,"price":12345678901234567890.123456789012345678,"neg":-0}"#,
        r#"{"id":2,"big":18446744073709551616123,"small":-123456789012345678901234567890}"#,
        r#"{"id":3,"huge":1e400,"tiny":1E-400,"s":"\u00e9t\u00e9 \ud83d\ude00 ünï"}"#,
    ];
    let body = format!(r#"{{"data": [{}], "meta": {{"n": 3}}}}"#, items.join(", "));
    let records = one_page(&body, json!("data")).await;
    let texts: Vec<&[u8]> = records.iter().map(|r| r.raw_json().unwrap()).collect();
    let expected: Vec<&[u8]> = items.iter().map(|i| i.as_bytes()).collect();
    assert_eq!(texts, expected);
    for (record, item) in records.iter().zip(items) {
        assert_eq!(record.to_json_bytes(), item.as_bytes());
    }
    let Some(Ok((_, ValueRef::Number(price)))) = records[0].fields().unwrap().nth(1) else {
        panic!("a number");
    };
    assert_eq!(price.as_str(), "12345678901234567890.123456789012345678");
}

#[tokio::test]
async fn nested_and_negative_paths_agree_with_the_tree_route() {
    let nested = r#"{"data": {"items": [{"id": 1, "v": [1, {"a": null}]}, {"id": 2}], "n": 2}}"#;
    let pages = r#"{"pages": [[{"id": 1}], [{"id": 2, "x": "y"}, {"id": 3}]]}"#;
    // A slice (`[0:]`) selects every item too, but only on a tree.
    let cases = [
        (nested, "$.data.items", "$.data.items[0:]"),
        (nested, "data.items", "$.data['items'][0:]"),
        (nested, "$.data.items[*]", "$.data.items[0:]"),
        (pages, "$.pages[-1]", "$.pages[-1][0:]"),
        (pages, "pages.0", "$.pages[0][0:]"),
    ];
    for (body, simple, tree) in cases {
        let scanned = one_page(body, json!(simple)).await;
        let treed = one_page(body, json!(tree)).await;
        assert!(!scanned.is_empty(), "{simple}");
        assert_eq!(scanned, treed, "{simple} against {tree}");
        assert!(
            scanned.iter().all(|r| r.raw_json().is_some()),
            "{simple}: text"
        );
        assert!(
            treed.iter().all(|r| r.raw_json().is_none()),
            "{tree}: trees"
        );
    }
    let one = r#"{"result": {"id": 9, "tags": ["a"]}, "next": null}"#;
    let single = one_page(one, json!({"single": true, "path": "$.result"})).await;
    assert_eq!(
        single[0].raw_json(),
        Some(br#"{"id": 9, "tags": ["a"]}"#.as_slice())
    );
}
