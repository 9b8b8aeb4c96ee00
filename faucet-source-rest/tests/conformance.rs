//! The core's conformance kit, for every pagination style.

mod support;

use faucet_core::conformance;
use faucet_core::connector::*;
use faucet_source_rest::RestSource;
use support::*;

#[tokio::test]
async fn the_rest_source_passes_the_conformance_kit() {
    let api = server(500).await;
    let styles = [
        json!({"path": "/records/page", "records": "data",
               "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50}}),
        json!({"path": "/records/offset", "records": "data", "pagination": {"kind": "offset", "limit": 60}}),
        json!({"path": "/records/cursor", "records": "data", "query": {"limit": "70"},
               "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}}),
        json!({"path": "/records/link", "query": {"per_page": "80"}, "pagination": {"kind": "link_header"}}),
    ];
    for config in styles {
        conformance::check_source(&source(&api, config))
            .await
            .assert_passed();
    }
}

#[test]
fn bad_configs_are_config_errors_not_panics() {
    let build = |config: Value| RestSource::new(faucet_core::parse_config(config)?);
    let bad = [
        json!({}),
        json!({"base_url": 3}),
        json!({"base_url": "not a url"}),
        json!({"base_url": "http://x", "concurrency": 0}),
        json!({"base_url": "http://x", "records": "a[?"}),
        json!({"base_url": "http://x", "pagination": {"kind": "offset", "limit": 0}}),
        json!({"base_url": "http://x", "pagination": {"kind": "cursr"}}),
        json!({"base_url": "http://x", "headers": {"bad header": "v"}}),
        json!({"base_url": "http://x", "http": {"timeout_secs": 0}}),
        json!({"base_url": "http://x", "http": {"rate_limit": {"requests_per_second": -1}}}),
        json!({"base_url": "http://x", "auth": {"kind": "oauth2", "token_url": "::", "client_id": "c", "client_secret": "s"}}),
        json!({"base_url": "http://x", "body": [1], "method": "post"}),
        json!({"base_url": "http://x", "incremental": {"replication_key": "k", "param": "p", "location": "body"}}),
        json!({"base_url": "http://x", "unknown_field": true}),
        json!({"base_url": "http://x", "pagination": {"kind": "page_number", "stop": {"empty_page": false}}}),
    ];
    conformance::check_config_errors(build, &bad).assert_passed();
}
