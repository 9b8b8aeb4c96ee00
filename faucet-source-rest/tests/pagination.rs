//! Every pagination style against the fixture server, with stop rules and
//! loop guards.

mod support;

use faucet_core::connector::*;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_numbers_deliver_every_record_in_order_at_any_concurrency() {
    let api = server(1050).await;
    for concurrency in [1, 4, 16] {
        let src = source(
            &api,
            json!({
                "path": "/records/page", "records": "data", "concurrency": concurrency,
                "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
            }),
        );
        let out = run(&src, None).await.unwrap();
        assert_exactly(&out.records, 1..=1050);
        assert_eq!(
            out.checkpoints.last().unwrap().as_ref().unwrap().as_value(),
            &Value::Null
        );
    }
}

#[tokio::test]
async fn offsets_stop_at_the_total_without_extra_requests() {
    let api = server(950).await;
    let src = source(
        &api,
        json!({
            "path": "/records/offset", "records": "$.data", "concurrency": 1,
            "pagination": {"kind": "offset", "limit": 100, "stop": {"total_path": "total"}}
        }),
    );
    let out = run(&src, None).await.unwrap();
    assert_exactly(&out.records, 1..=950);
    assert_eq!(api.request_count(), 10, "no request past the total");
}

#[tokio::test]
async fn total_on_the_first_page_only_still_stops() {
    let api = server(450).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 1,
            "query": {"total_first_only": "true"},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100,
                           "stop": {"total_path": "total", "empty_page": false}}
        }),
    );
    let out = run(&src, None).await.unwrap();
    assert_exactly(&out.records, 1..=450);
    assert_eq!(api.request_count(), 5);
}

#[tokio::test]
async fn has_more_short_page_and_max_pages_stop() {
    let api = server(250).await;
    let has_more = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 1,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100, "stop": {"has_more_path": "has_more"}}
        }),
    );
    assert_exactly(&run(&has_more, None).await.unwrap().records, 1..=250);
    assert_eq!(api.request_count(), 3);

    api.clear_log();
    let short = source(
        &api,
        json!({
            "path": "/records/offset", "records": "data", "concurrency": 1,
            "pagination": {"kind": "offset", "limit": 100, "stop": {"short_page": true}}
        }),
    );
    assert_exactly(&run(&short, None).await.unwrap().records, 1..=250);
    assert_eq!(api.request_count(), 3);

    let max = source(
        &api,
        json!({
            "path": "/records/cursor", "records": "data", "query": {"limit": "10"},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor", "stop": {"max_pages": 2}}
        }),
    );
    assert_exactly(&run(&max, None).await.unwrap().records, 1..=20);

    // With pages fetched ahead, max_pages also bounds the speculation.
    api.clear_log();
    let max_concurrent = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 8,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 10, "stop": {"max_pages": 3}}
        }),
    );
    assert_exactly(&run(&max_concurrent, None).await.unwrap().records, 1..=30);
    assert_eq!(api.request_count(), 3);
}

#[tokio::test]
async fn cursors_in_the_query_and_in_a_post_body() {
    let api = server(333).await;
    let query = source(
        &api,
        json!({
            "path": "/records/cursor", "records": "data", "query": {"limit": "50"},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}
        }),
    );
    let out = run(&query, None).await.unwrap();
    assert_exactly(&out.records, 1..=333);
    assert_eq!(out.page_sizes.len(), 7);

    api.clear_log();
    let body = source(
        &api,
        json!({
            "path": "/records/cursor", "records": "data", "method": "post", "body": {"limit": 100},
            "pagination": {"kind": "cursor", "cursor_path": "/next_cursor", "location": "body"}
        }),
    );
    assert_exactly(&run(&body, None).await.unwrap().records, 1..=333);
    let second = &api.requests()[1];
    assert_eq!(second.method, "POST");
    let sent: Value = serde_json::from_str(&second.body).unwrap();
    assert_eq!(sent["limit"], 100);
    assert!(sent["cursor"].is_string());
}

#[tokio::test]
async fn next_urls_link_headers_and_no_pagination() {
    let api = server(420).await;
    let next = source(
        &api,
        json!({
            "path": "/records/next", "records": "data", "query": {"limit": "100"},
            "pagination": {"kind": "next_url", "next_path": "links.next"}
        }),
    );
    assert_exactly(&run(&next, None).await.unwrap().records, 1..=420);

    let link = source(
        &api,
        json!({
            "path": "/records/link", "query": {"per_page": "64"},
            "pagination": {"kind": "link_header"}
        }),
    );
    let out = run(&link, None).await.unwrap();
    assert_exactly(&out.records, 1..=420);
    assert_eq!(out.page_sizes.len(), 7);

    let all = source(&api, json!({"path": "/records/all"}));
    let out = run(&all, None).await.unwrap();
    assert_exactly(&out.records, 1..=420);
    assert_eq!(out.checkpoints, vec![Some(Checkpoint::new(Value::Null))]);
}

#[tokio::test]
async fn a_repeated_last_page_is_not_delivered_twice() {
    let api = server(250).await;
    for concurrency in [1, 4] {
        let src = source(
            &api,
            json!({
                "path": "/records/page", "records": "data", "concurrency": concurrency,
                "query": {"repeat_last": "true"},
                "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
            }),
        );
        assert_exactly(&run(&src, None).await.unwrap().records, 1..=250);
    }
    let next = source(
        &api,
        json!({
            "path": "/records/next", "records": "data", "query": {"limit": "100", "repeat_last": "true"},
            "pagination": {"kind": "next_url", "next_path": "links.next"}
        }),
    );
    assert_exactly(&run(&next, None).await.unwrap().records, 1..=250);
}

#[tokio::test]
async fn a_cursor_loop_ends_pagination_without_duplicates() {
    let api = server(100).await;
    let src = source(
        &api,
        json!({
            "path": "/records/cursor", "records": "data", "query": {"limit": "10", "cursor_loop": "true"},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}
        }),
    );
    let out = run(&src, None).await.unwrap();
    // Page 3 points back to page 2: pages 1-3 arrive once, then it stops.
    assert_exactly(&out.records, 1..=30);
    assert_eq!(api.request_count(), 3);
}

#[tokio::test]
async fn speculative_pages_past_the_end_are_discarded() {
    let api = server(120).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 8,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50}
        }),
    );
    let out = run(&src, None).await.unwrap();
    assert_exactly(&out.records, 1..=120);
    // 120 records / 50 = pages 1-3, and the empty page 4 ends the run; at
    // most `concurrency` (8) speculative pages past page 3 can be in flight,
    // so 4 ..= 3 + 1 + 8 requests.
    let n = api.request_count();
    assert!((4..=3 + 1 + 8).contains(&n), "{n} requests");
}

#[tokio::test]
async fn partitions_fill_path_placeholders_and_run_concurrently() {
    let api = server(1000).await;
    let partitions: Vec<Value> = (0..4).map(|s| json!({"shard": s.to_string()})).collect();
    let src = source(
        &api,
        json!({
            "path": "/shards/{shard}/records/page", "records": "data",
            "query": {"shards": "4"}, "partitions": partitions,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 60}
        }),
    );
    let out = run(&src, None).await.unwrap();
    let mut got = ids(&out.records);
    got.sort_unstable();
    assert_eq!(got, (1..=1000).collect::<Vec<_>>());
    let shard_paths: std::collections::BTreeSet<String> =
        api.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(shard_paths.len(), 4);
    let mid = out.checkpoints[2].as_ref().unwrap().as_value();
    assert_eq!(mid["partitions"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn repeated_query_keys_and_static_headers_are_sent() {
    let api = server(5).await;
    let src = source(
        &api,
        json!({
            "path": "/records/all",
            "query": {"tag": ["a", "b"]},
            "headers": {"X-Trace": "t-1"}
        }),
    );
    run(&src, None).await.unwrap();
    let request = &api.requests()[0];
    assert_eq!(request.query_values("tag"), vec!["a", "b"]);
    assert_eq!(request.header("x-trace"), Some("t-1"));
}
