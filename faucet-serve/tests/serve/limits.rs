//! One run per pipeline (409) and the limit of runs in flight (429).

use faucet_serve::RunState;

use crate::support::Harness;

#[tokio::test]
async fn a_second_run_of_a_running_pipeline_is_refused_with_the_running_id() {
    let mut h = Harness::start(4).await;
    let spec = h.spec("once", 2, 1);
    let first = h.start_run(&spec, "").await;
    let response = h.post("/runs", spec.to_string()).await;
    assert_eq!(response.status(), 409);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["running_id"], first.id);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("`once` is already running")
    );

    h.post(&format!("/runs/{}/cancel", first.id), String::new())
        .await;
    assert_eq!(h.wait_final(&first.id).await.state, RunState::Cancelled);
    h.stop().await;
}

#[tokio::test]
async fn runs_beyond_the_limit_get_429_with_retry_after_until_one_ends() {
    let mut h = Harness::start(1).await;
    let first = h.start_run(&h.spec("a", 1, 1), "").await;
    let other = h.spec("b", 1, 1);
    let response = h.post("/runs", other.to_string()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("1 runs are in flight")
    );

    h.gate.add_permits(1);
    assert_eq!(h.wait_final(&first.id).await.state, RunState::Completed);
    let second = h.start_run(&other, "").await;
    let all = h.get_json("/runs").await;
    let in_flight: Vec<&serde_json::Value> = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "queued" || r["state"] == "running")
        .collect();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0]["id"], second.id.as_str());
    let completed = h.get_json("/runs?state=completed").await;
    assert_eq!(completed["runs"][0]["id"], first.id.as_str());
    h.gate.add_permits(1);
    assert_eq!(h.wait_final(&second.id).await.state, RunState::Completed);
    let of_b = h.get_json("/runs?pipeline=b").await;
    assert_eq!(of_b["runs"][0]["id"], second.id.as_str());
    assert_eq!(of_b["runs"].as_array().unwrap().len(), 1);
    let newest = h.get_json("/runs?limit=1").await;
    assert_eq!(newest["runs"].as_array().unwrap().len(), 1);
    assert_eq!(newest["runs"][0]["id"], second.id.as_str());
    let all = h.get_json("/runs?state=completed&limit=5").await;
    assert_eq!(all["runs"].as_array().unwrap().len(), 2);
    let bad = h
        .client
        .get(format!("{}/runs?state=sleeping", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown variant `sleeping`"),
        "{body}"
    );
    h.stop().await;
}
