//! `GET /health`, `/ready`, `/manifest`, `/metrics`.

use faucet_core::Registry;
use faucet_core::connector::*;

use crate::support::Harness;

#[tokio::test]
async fn health_ready_and_the_manifest_list_every_connector_with_its_schema() {
    let mut h = Harness::start(2).await;
    assert_eq!(h.get_json("/health").await["status"], "ok");
    assert_eq!(h.get_json("/ready").await["status"], "ready");

    let manifest = h.get_json("/manifest").await;
    assert_eq!(manifest["name"], "faucet-test");
    assert_eq!(manifest["version"], "9.9.9");
    let connectors = manifest["connectors"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = connectors
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("source", "gated"), ("sink", "jsonl")]);
    assert_eq!(connectors[0]["description"], "Pages the test lets through.");
    let pages = &connectors[0]["config_schema"]["properties"]["pages"];
    assert_eq!(pages["description"], "Pages with records.");
    let path = &connectors[1]["config_schema"]["properties"]["path"];
    assert!(
        path["description"]
            .as_str()
            .unwrap()
            .contains("JSON document per line")
    );
    h.stop().await;
}

#[tokio::test]
async fn metrics_start_at_zero_in_prometheus_text() {
    let mut h = Harness::start(2).await;
    let response = h
        .client
        .get(format!("{}/metrics", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "# TYPE faucet_records_written_total counter\nfaucet_records_written_total 0\n"
        )
    );
    assert!(text.contains("faucet_runs_total{outcome=\"completed\"} 0\n"));
    assert!(text.contains("faucet_runs_in_flight 0\n"));
    h.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_only_endpoints_the_server_answers() {
    let mut h = Harness::start(2).await;
    let doc = h.get_json("/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 11);
    for (path, methods) in paths {
        for method in methods.as_object().unwrap().keys() {
            let url = format!("{}{}", h.url, path.replace("{id}", "0"));
            let request = match method.as_str() {
                "get" => h.client.get(url),
                "post" => h.client.post(url).body("{}"),
                other => panic!("{other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let answered = status != 404 && status != 405 || text.contains("no run `0`");
            assert!(answered, "{method} {path}: {status} {text}");
            let documented = &methods[method]["responses"][status.to_string()];
            assert!(
                documented.is_object(),
                "{method} {path}: {status} undocumented"
            );
        }
    }
    h.stop().await;
}

#[tokio::test]
async fn the_manifest_lists_the_built_ins_capabilities_and_actions() {
    let mut h = Harness::start_with(2, |_| {
        let mut registry = Registry::new();
        faucet_source_rest::register(&mut registry);
        faucet_sink_postgres::register(&mut registry);
        faucet_sink_jsonl::register(&mut registry);
        registry.register_transform("upper", "Declares nothing.", |_: Value| Ok(Upper));
        registry
    })
    .await;
    let manifest = h.get_json("/manifest").await;
    let connectors = manifest["connectors"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = connectors
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("source", "rest"),
            ("sink", "jsonl"),
            ("sink", "postgres"),
            ("transform", "upper")
        ]
    );
    let caps = |i: usize| connectors[i]["capabilities"].clone();
    let on = |value: Value| {
        let mut on: Vec<String> = value
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.as_bool().unwrap())
            .map(|(k, _)| k.clone())
            .collect();
        on.sort();
        on
    };
    // Every capability is present, true or false.
    for i in 0..4 {
        assert_eq!(caps(i).as_object().unwrap().len(), 8, "{}", caps(i));
    }
    assert_eq!(
        on(caps(0)),
        [
            "concurrent",
            "discover",
            "incremental",
            "resumable",
            "streams"
        ]
    );
    assert_eq!(on(caps(1)), ["exactly_once", "streams"]);
    assert_eq!(
        on(caps(2)),
        ["dead_letters", "exactly_once", "idempotent", "streams"]
    );
    assert!(on(caps(3)).is_empty());
    let actions = |i: usize| -> Vec<String> {
        connectors[i]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert!(!a["description"].as_str().unwrap().is_empty(), "{a}");
                a["name"].as_str().unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(actions(0), ["check", "discover"]);
    assert_eq!(actions(1), ["check", "reset_state"]);
    assert_eq!(actions(2), ["check", "reset_state"]);
    // No actions: an empty list, not a missing key.
    assert_eq!(connectors[3]["actions"], json!([]));
    assert!(connectors[0]["config_schema"]["properties"]["base_url"].is_object());
    h.stop().await;
}

/// A transform that declares nothing.
struct Upper;

impl Transform for Upper {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        out.push(record);
        Ok(())
    }
}
