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
