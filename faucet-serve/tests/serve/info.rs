//! `GET /health`, `/ready`, `/manifest`, `/metrics`.

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
