//! Resuming from checkpoints, incremental runs, check and discover, and
//! config errors.

mod support;

use faucet_core::connector::*;
use faucet_core::{CheckStatus, Pipeline};
use faucet_source_rest::RestSource;
use faucet_testkit::fixture::{
    Fault, FaultRule, FixtureAuth, FixtureConfig, FixtureServer, created_at,
};
use support::*;

fn styles() -> Vec<(&'static str, Value)> {
    vec![
        (
            "page",
            json!({"path": "/records/page", "records": "data",
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 40}}),
        ),
        (
            "offset",
            json!({"path": "/records/offset", "records": "data",
            "pagination": {"kind": "offset", "limit": 40}}),
        ),
        (
            "cursor",
            json!({"path": "/records/cursor", "records": "data", "query": {"limit": "40"},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}}),
        ),
        (
            "next",
            json!({"path": "/records/next", "records": "data", "query": {"limit": "40"},
            "pagination": {"kind": "next_url", "next_path": "links.next"}}),
        ),
        (
            "link",
            json!({"path": "/records/link", "query": {"per_page": "40"},
            "pagination": {"kind": "link_header"}}),
        ),
    ]
}

#[tokio::test]
async fn every_style_resumes_after_the_last_durable_page() {
    let api = server(300).await;
    for (name, config) in styles() {
        let src = source(&api, config);
        let full = run(&src, None).await.unwrap();
        assert_exactly(&full.records, 1..=300);
        // Resume after page 3: the rest arrives, nothing before it again.
        let after_three = full.checkpoints[2].clone();
        assert!(
            after_three.is_some(),
            "{name}: every page carries a checkpoint"
        );
        let rest = run(&src, after_three).await.unwrap();
        assert_exactly(&rest.records, 121..=300);
        // A finished full-refresh run starts over.
        let again = run(&src, full.checkpoints.last().cloned().flatten())
            .await
            .unwrap();
        assert_exactly(&again.records, 1..=300);
    }
}

#[tokio::test]
async fn the_api_going_away_fails_and_a_rerun_resumes() {
    let api = server(300).await;
    api.inject(
        FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            headers: vec![],
        })
        .after(3)
        .times(100),
    );
    let src = source(
        &api,
        json!({
            "path": "/records/offset", "records": "data", "concurrency": 1,
            "pagination": {"kind": "offset", "limit": 50}
        }),
    );
    let state = std::sync::Arc::new(faucet_core::MemoryStateStore::default());
    let sink = Collect::default();
    let err = Pipeline::new(&src, &sink)
        .with_state_store(state.clone())
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(sink.ids(), (1..=150).collect::<Vec<_>>());
    api.clear_faults();
    let report = Pipeline::new(&src, &sink)
        .with_state_store(state)
        .run()
        .await
        .unwrap();
    assert!(report.resumed_from.is_some());
    assert_eq!(
        sink.ids(),
        (1..=300).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
}

#[derive(Default)]
struct Collect(std::sync::Mutex<Vec<Value>>);

impl Collect {
    fn ids(&self) -> Vec<u64> {
        ids(&self.0.lock().unwrap())
    }
}

#[async_trait]
impl Sink for Collect {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        self.0
            .lock()
            .unwrap()
            .extend(records.iter().map(|r| r.to_value().unwrap()));
        Ok(records.len())
    }
}

#[tokio::test]
async fn incremental_runs_fetch_only_new_records() {
    let api = server(1000).await;
    let config = |records: u64, extra: Value| {
        let mut c = json!({
            "path": "/records/page", "records": "data",
            "query": {"records": records.to_string()},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100},
            "incremental": {"replication_key": "created_at", "param": "since"}
        });
        for (k, v) in extra.as_object().unwrap() {
            c["incremental"][k] = v.clone();
        }
        c
    };
    // First run: 500 records exist.
    let first_src = source(&api, config(500, json!({})));
    let first = run(&first_src, None).await.unwrap();
    assert_exactly(&first.records, 1..=500);
    let last = first.checkpoints.last().cloned().flatten().unwrap();
    assert_eq!(
        last.as_value()["partitions"][0]["max"],
        json!(created_at(500))
    );
    // Then 300 more appear: the next run asks for them only.
    api.clear_log();
    let second = run(&source(&api, config(800, json!({}))), Some(last.clone()))
        .await
        .unwrap();
    assert_exactly(&second.records, 501..=800);
    assert_eq!(
        api.requests()[0].query_value("since"),
        Some(created_at(500))
    );
    // With a lookback of 10 minutes, the 10 records before the max again.
    let lookback = run(
        &source(&api, config(800, json!({"lookback_secs": 600}))),
        Some(last),
    )
    .await
    .unwrap();
    assert_exactly(&lookback.records, 490..=800);
    // A start value for the first run, sent as epoch seconds.
    api.clear_log();
    let start = json!({"start": created_at(990), "format": "epoch_seconds"});
    let from_start = run(&source(&api, config(1000, start)), None).await.unwrap();
    assert_exactly(&from_start.records, 990..=1000);
    let sent = api.requests()[0].query_value("since").unwrap();
    assert!(sent.parse::<i64>().is_ok(), "{sent}");
}

#[tokio::test]
async fn incremental_filters_client_side_when_the_api_ignores_the_parameter() {
    let api = server(300).await;
    let src = source(
        &api,
        json!({
            "path": "/records/all",
            "incremental": {"replication_key": "/created_at", "param": "ignored_by_api", "start": created_at(250)}
        }),
    );
    assert_exactly(&run(&src, None).await.unwrap().records, 250..=300);
}

#[tokio::test]
async fn a_replication_key_needs_object_records() {
    let api = server(10).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data[0].attributes.tags",
            "incremental": {"replication_key": "id", "param": "since"}
        }),
    );
    let err = run(&src, None).await.err().unwrap().to_string();
    assert!(
        err.contains("not an object") || err.contains("is a string") || err.contains("a string"),
        "{err}"
    );
}

#[tokio::test]
async fn partitions_resume_each_from_its_own_position() {
    let api = server(400).await;
    let partitions: Vec<Value> = (0..2).map(|s| json!({"shard": s.to_string()})).collect();
    let src = source(
        &api,
        json!({
            "path": "/shards/{shard}/records/cursor", "records": "data",
            "query": {"shards": "2", "limit": "25"}, "partitions": partitions,
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}
        }),
    );
    let full = run(&src, None).await.unwrap();
    let resumed = run(&src, full.checkpoints[3].clone()).await.unwrap();
    let mut all = ids(&full.records[..full.page_sizes[..4].iter().sum()]);
    all.extend(ids(&resumed.records));
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=400).collect::<Vec<_>>(),
        "every record exactly once across the two runs"
    );
}

#[tokio::test]
async fn check_reports_a_named_checklist() {
    let api = server(10).await;
    let ok = source(&api, json!({"path": "/records/page", "records": "data"}));
    let report = ok.check().await.unwrap();
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["reachable", "authorised", "records"]);
    assert!(report.passed());

    let wrong_path = source(&api, json!({"path": "/records/page", "records": "nope"}));
    let report = wrong_path.check().await.unwrap();
    assert!(
        matches!(&report.items[2].status, CheckStatus::Failed(m) if m.contains("`nope` not found"))
    );

    let locked =
        FixtureServer::start(FixtureConfig::new(5).with_auth(FixtureAuth::Bearer("t".into())))
            .await
            .unwrap();
    let report = source(&locked, json!({"path": "/records/page"}))
        .check()
        .await
        .unwrap();
    assert_eq!(report.items[0].status, CheckStatus::Passed);
    assert!(matches!(report.items[1].status, CheckStatus::Failed(_)));

    let gone = api.url();
    drop(api);
    drop(locked);
    let config = json!({"base_url": gone, "path": "/records/page",
        "http": {"retry": {"max_attempts": 1}, "connect_timeout_secs": 1}});
    let report = RestSource::new(faucet_core::parse_config(config).unwrap())
        .unwrap()
        .check()
        .await
        .unwrap();
    assert!(
        matches!(report.items[0].status, CheckStatus::Failed(_)),
        "{report:?}"
    );
}

#[tokio::test]
async fn discover_infers_the_record_schema() {
    let api = server(10).await;
    let src = source(&api, json!({"path": "/records/page", "records": "data"}));
    let streams = src.discover().await.unwrap();
    assert_eq!(streams[0].name, "/records/page");
    let props = &streams[0].schema["properties"];
    assert_eq!(props["id"]["type"], "integer");
    assert_eq!(props["created_at"]["format"], "date-time");
    assert_eq!(
        props["attributes"]["properties"]["score"]["type"],
        "integer"
    );
}

#[test]
fn config_errors_name_the_field() {
    let bad = |config: Value| {
        RestSource::new(faucet_core::parse_config(config).unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(bad(json!({"base_url": "ftp://x"})).contains("`base_url`"));
    assert!(bad(json!({"base_url": "http://x", "concurrency": 0})).contains("`concurrency`"));
    assert!(bad(json!({"base_url": "http://x", "path": "/a/{account}/b"})).contains("{account}"));
    let err = bad(
        json!({"base_url": "http://x", "path": "/a/{account}", "partitions": [{"account": "1"}, {"acct": "2"}]}),
    );
    assert!(err.contains("partitions[1]"), "{err}");
    let err = bad(
        json!({"base_url": "http://x", "pagination": {"kind": "cursor", "cursor_path": "c", "stop": {"short_page": true}}}),
    );
    assert!(err.contains("pagination.stop.short_page"), "{err}");
    let err = bad(
        json!({"base_url": "http://x", "auth": {"kind": "oauth2", "token_url": "http://x/t", "client_id": "c"}}),
    );
    assert!(err.contains("`auth`"), "{err}");
    let err = bad(
        json!({"base_url": "http://x", "auth": {"kind": "bearer", "token": "${FAUCET_SURELY_UNSET_VAR_X}"}}),
    );
    assert!(
        err.contains("auth.token") && err.contains("FAUCET_SURELY_UNSET_VAR_X"),
        "{err}"
    );
}

#[test]
fn capabilities_and_schema_are_declared() {
    let src = RestSource::new(faucet_core::parse_config(json!({"base_url": "http://x"})).unwrap())
        .unwrap();
    let caps = src.capabilities();
    assert!(caps.resumable && caps.concurrent && !caps.incremental);
    let schema = serde_json::to_value(src.config_schema().unwrap()).unwrap();
    assert!(faucet_core::schema::undocumented_properties(&schema).is_empty());
}

#[tokio::test]
async fn the_start_value_can_go_in_a_header_or_the_body() {
    let api = server(100).await;
    let header = source(
        &api,
        json!({
            "path": "/records/all",
            "incremental": {"replication_key": "created_at", "param": "X-Since", "location": "header",
                            "start": created_at(95), "format": "epoch_millis"}
        }),
    );
    // The fixture ignores the header; the client-side filter still applies.
    assert_exactly(&run(&header, None).await.unwrap().records, 95..=100);
    let sent = api.requests()[0]
        .header("x-since")
        .map(str::to_owned)
        .unwrap();
    assert_eq!(
        sent,
        (faucet_testkit::fixture::created_at_epoch(95) * 1000).to_string()
    );

    api.clear_log();
    let body = source(
        &api,
        json!({
            "path": "/records/offset", "records": "data", "method": "post", "body": {"limit": 3},
            "pagination": {"kind": "offset", "limit": 3, "param": "offset"},
            "incremental": {"replication_key": "created_at", "param": "since", "location": "body",
                            "start": created_at(90), "format": "iso8601"}
        }),
    );
    assert_exactly(&run(&body, None).await.unwrap().records, 90..=100);
    let first: Value = serde_json::from_str(&api.requests()[0].body).unwrap();
    assert_eq!(first["since"], json!(created_at(90)));
}
