//! `POST /pipelines/validate` and `/pipelines/check`, and bad bodies.

use serde_json::json;

use crate::support::Harness;

#[tokio::test]
async fn a_good_spec_is_valid_and_its_checks_pass() {
    let mut h = Harness::start(2).await;
    let spec = h.spec("good", 1, 1).to_string();
    let response = h.post("/pipelines/validate", spec.clone()).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"valid": true, "name": "good"}));

    let response = h.post("/pipelines/check", spec).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["name"], "good");
    assert_eq!(body["passed"], true);
    assert!(body["source"]["items"].is_array());
    h.stop().await;
}

#[tokio::test]
async fn every_error_of_a_bad_spec_comes_back_with_its_path_and_no_secret() {
    let mut h = Harness::start(2).await;
    let spec = json!({
        "name": "bad",
        "source": {"type": "gated", "pages": "many", "per_page": 1, "token": "tok-VERY-SECRET"},
        "sink": {"type": "parquet"},
    });
    let response = h.post("/pipelines/validate", spec.to_string()).await;
    assert_eq!(response.status(), 422);
    let text = response.text().await.unwrap();
    assert!(!text.contains("tok-VERY-SECRET"), "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["valid"], false);
    let errors = body["errors"].as_array().unwrap();
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["source.pages", "sink.type"]);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("expected u64"),
        "{text}"
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("unknown sink type `parquet`")
    );

    let response = h.post("/pipelines/check", spec.to_string()).await;
    assert_eq!(response.status(), 422);
    h.stop().await;
}

#[tokio::test]
async fn malformed_non_utf8_and_oversized_bodies_get_a_4xx_with_a_message() {
    let mut h = Harness::start(2).await;
    let response = h.post("/pipelines/validate", "{\"name\": ".into()).await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("not a JSON spec")
    );

    let url = format!("{}/pipelines/validate", h.url);
    let response = h
        .client
        .post(&url)
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("UTF-8"), "{body}");

    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(65 * 1024));
    let response = h.post("/runs", big).await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("length limit"),
        "{body}"
    );

    let response = h
        .client
        .get(format!("{}/nowhere", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "no such endpoint");

    let response = h
        .client
        .get(format!("{}/runs/nope", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "no run `nope`");
    h.stop().await;
}
