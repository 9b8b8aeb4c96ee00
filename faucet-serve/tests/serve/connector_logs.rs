//! The connectors' own log lines in their run's events.

use faucet_testkit::fixture::{
    Fault, FaultRule, FixtureAuth, FixtureConfig, FixtureServer, record,
};
use serde_json::{Value, json};

use crate::support::{Harness, lines, log_lines, registry, sse_events};

const API_TOKEN: &str = "api-token-not-for-logs";

async fn api() -> FixtureServer {
    let config = FixtureConfig::new(120).with_auth(FixtureAuth::Bearer(API_TOKEN.into()));
    FixtureServer::start(config).await.unwrap()
}

/// Pipeline `name`: the fixture's page-numbered records, 50 a page, one
/// request at a time, fast retries, into `<dir>/<name>.jsonl`.
fn rest_spec(h: &Harness, name: &str, api: &FixtureServer) -> Value {
    json!({
        "name": name,
        "source": {
            "type": "rest", "base_url": api.url(), "path": "/records/page", "records": "data",
            "concurrency": 1,
            "auth": {"kind": "bearer", "token": API_TOKEN},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50},
            "http": {"timeout_secs": 5, "retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}}
        },
        "sink": {"type": "jsonl", "path": h.out(name), "fsync": false},
    })
}

/// Every event of run `id`, from its start to its end.
async fn events_of(h: &Harness, id: &str) -> (String, Vec<(String, Value)>) {
    let url = format!("{}/runs/{id}/events", h.url);
    let text = h
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse_events(&text);
    (text, events)
}

#[tokio::test]
async fn a_retry_warning_of_the_rest_source_reaches_its_run_events_in_order() {
    let mut h = Harness::start_with(2, |gate| {
        let mut registry = registry(gate);
        faucet_source_rest::register(&mut registry);
        registry
    })
    .await;
    let (faulty_api, clean_api) = (api().await, api().await);
    faulty_api.inject(
        FaultRule::new(Fault::Status {
            status: 429,
            retry_after: None,
            headers: vec![],
        })
        .after(1)
        .times(1),
    );
    // Two runs at once: each run's lines go to that run only.
    let faulty = h.start_run(&rest_spec(&h, "faulty", &faulty_api), "").await;
    let clean = h.start_run(&rest_spec(&h, "clean", &clean_api), "").await;
    let (text, events) = events_of(&h, &faulty.id).await;
    let (clean_text, clean_events) = events_of(&h, &clean.id).await;

    let logs = log_lines(&events);
    assert_eq!(
        logs[0],
        ("info".to_owned(), "Run started: started fresh.".to_owned()),
        "{logs:?}"
    );
    let retries: Vec<usize> = (0..logs.len())
        .filter(|&i| logs[i].1.starts_with("Request failed; retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "one 429, one retry: {logs:?}");
    let (level, retry) = &logs[retries[0]];
    assert_eq!(level, "warn");
    assert!(retry.contains("429"), "{retry}");
    assert!(retry.contains("attempt=1"), "{retry}");
    assert!(retry.contains("/records/page"), "{retry}");
    let last = logs.last().unwrap();
    assert!(
        last.1
            .starts_with("Run completed (120 records committed in "),
        "{logs:?}"
    );
    assert!(retries[0] > 0 && retries[0] < logs.len() - 1, "{logs:?}");
    // The stream ends with the final progress.
    let (event, data) = events.last().unwrap();
    assert_eq!(
        (event.as_str(), data["state"].as_str()),
        ("progress", Some("completed"))
    );
    assert_eq!(data["retries"]["429"], 1, "{data}");

    let clean_logs = log_lines(&clean_events);
    assert!(
        clean_logs
            .iter()
            .all(|(_, line)| !line.contains("retrying")),
        "{clean_logs:?}"
    );
    assert!(
        clean_logs
            .last()
            .unwrap()
            .1
            .starts_with("Run completed (120 records")
    );
    assert!(!text.contains(API_TOKEN) && !clean_text.contains(API_TOKEN));

    // Every record arrived once, field by field, in order.
    for name in ["faulty", "clean"] {
        let got = lines(&h.out(name));
        let want: Vec<Value> = (1..=120).map(record).collect();
        assert_eq!(got, want, "{name}");
    }
    h.stop().await;
}

#[tokio::test]
async fn a_connector_line_naming_a_secret_is_masked_in_the_events() {
    let mut h = Harness::start(2).await;
    let mut spec = h.spec("warns", 2, 1);
    spec["source"]["token"] = json!("gated-token-SECRET");
    spec["source"]["warn_at"] = json!(1);
    let run = h.start_run(&spec, "").await;
    h.gate.add_permits(2);
    let (text, events) = events_of(&h, &run.id).await;
    let logs = log_lines(&events);
    let messages: Vec<&str> = logs.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages.len(), 3, "{logs:?}");
    assert_eq!(messages[0], "Run started: started fresh.");
    assert_eq!(messages[1], "Gated source warns page=1 token=***");
    assert_eq!(logs[1].0, "warn");
    assert!(
        messages[2].starts_with("Run completed (2 records"),
        "{logs:?}"
    );
    assert!(!text.contains("gated-token-SECRET"), "{text}");
    h.stop().await;
}

#[tokio::test]
async fn postgresql_notices_reach_the_run_events() {
    let mut h = Harness::start_with(2, |gate| {
        let mut registry = registry(gate);
        faucet_source_rest::register(&mut registry);
        faucet_sink_postgres::register(&mut registry);
        registry
    })
    .await;
    let api = api().await;
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let mut spec = rest_spec(&h, "notices", &api);
    // Replace mode drops the load table if it exists before it starts:
    // PostgreSQL notices that it does not.
    spec["sink"] = json!({"type": "postgres", "url": schema.url(), "schema": schema.name(),
                          "table": "events", "mode": "replace"});
    let run = h.start_run(&spec, "").await;
    let (text, events) = events_of(&h, &run.id).await;
    let logs = log_lines(&events);
    let notice = logs
        .iter()
        .find(|(_, line)| line.starts_with("PostgreSQL says: "))
        .unwrap_or_else(|| panic!("no notice: {logs:?}"));
    assert_eq!(notice.0, "info");
    assert!(notice.1.contains("does not exist, skipping"), "{notice:?}");
    assert!(notice.1.contains("severity=NOTICE"), "{notice:?}");
    assert!(
        logs.last()
            .unwrap()
            .1
            .starts_with("Run completed (120 records"),
        "{logs:?}"
    );
    assert!(!text.contains(API_TOKEN));
    // Every record once, each field as served.
    let sql = format!(
        "SELECT to_jsonb(t)::text FROM {}.events t ORDER BY id",
        schema.name()
    );
    let rows = schema.client().query(&sql, &[]).await.unwrap();
    let got: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::from_str(r.get::<_, &str>(0)).unwrap())
        .collect();
    assert_eq!(got.len(), 120);
    for (got, id) in got.iter().zip(1..) {
        let want = record(id);
        for (key, value) in want.as_object().unwrap() {
            let got = &got[key];
            match (value.as_f64(), got.as_f64()) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{id} {key}: {got} vs {value}"),
                // timestamptz comes back in the server's format.
                _ if key == "created_at" => assert!(got.is_string(), "{id} {key}: {got}"),
                _ => assert_eq!(got, value, "{id} {key}"),
            }
        }
    }
    h.stop().await;
}
