//! "Completed" means complete: stop signals that contradict each other,
//! totals that were not reached, bodies that are not pages, and retries
//! by cause, against the fixture server on 127.0.0.1.

mod support;

use faucet_core::connector::*;
use faucet_core::parse_config;
use faucet_source_rest::{RestSource, RestSourceConfig};
use faucet_testkit::fixture::{Fault, FaultRule, FixtureServer};
use support::{assert_exactly, assert_mentions, config_path, run, run_counted, server, source};

fn stripe(api: &FixtureServer, records: u64, limit: u64, cursor: Value) -> RestSource {
    let mut pagination =
        json!({"kind": "cursor", "param": "starting_after", "stop": {"has_more_path": "has_more"}});
    for (k, v) in cursor.as_object().unwrap() {
        pagination[k] = v.clone();
    }
    source(
        api,
        json!({
            "path": "/records/stripe", "records": "data",
            "query": {"limit": limit.to_string(), "records": records.to_string()},
            "pagination": pagination
        }),
    )
}

#[tokio::test]
async fn has_more_true_without_a_cursor_is_an_error_naming_the_url_and_the_paths() {
    let api = server(30).await;
    // A typo in the cursor path: the first page says `has_more: true`.
    let src = source(
        &api,
        json!({
            "path": "/records/cursor", "records": "data", "query": {"limit": "10"},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursr", "stop": {"has_more_path": "has_more"}}
        }),
    );
    let err = run(&src, None).await.err().expect("must fail").to_string();
    assert_mentions(
        &err,
        &[
            "/records/cursor?limit=10",
            "`pagination.stop.has_more_path`",
            "`has_more` is true",
            "pagination.cursor_path",
        ],
    );
    assert_eq!(api.request_count(), 1);
}

#[tokio::test]
async fn a_negative_index_cursor_path_reads_every_page() {
    let api = server(0).await;
    let src = stripe(&api, 25, 10, json!({"cursor_path": "$.data[-1].id"}));
    let out = run(&src, None).await.unwrap();
    assert_exactly(&out.records, 1..=25);
    assert_eq!(api.request_count(), 3);
}

#[test]
fn unsupported_path_expressions_are_config_errors_at_their_path() {
    let build = |config: Value| -> Result<RestSource> {
        let mut full = json!({"base_url": "http://127.0.0.1:9"});
        for (k, v) in config.as_object().unwrap() {
            full[k] = v.clone();
        }
        RestSource::new(parse_config::<RestSourceConfig>(full)?)
    };
    let cases = [
        (
            json!({"pagination": {"kind": "cursor", "cursor_path": "$.data["}}),
            "pagination.cursor_path",
        ),
        (json!({"records": "$.items[?@.x ==]"}), "records"),
        (
            json!({"pagination": {"kind": "cursor", "cursor_path": "c", "stop": {"has_more_path": "$$"}}}),
            "pagination.stop.has_more_path",
        ),
        (
            json!({"pagination": {"kind": "cursor", "cursor_from": "last_record", "cursor_field": "a[0"}}),
            "pagination.cursor_field",
        ),
        (
            json!({"pagination": {"kind": "cursor", "cursor_from": "last_record", "cursor_path": "x"}}),
            "pagination.cursor_path",
        ),
        (
            json!({"pagination": {"kind": "cursor"}}),
            "pagination.cursor_path",
        ),
        (json!({"records": {"single": false}}), "records.single"),
    ];
    for (config, path) in cases {
        let err = build(config.clone()).expect_err(&config.to_string());
        assert_eq!(config_path(err), path, "{config}");
    }
}

#[tokio::test]
async fn the_last_record_cursor_reads_every_record_once_whether_or_not_pages_divide_the_total() {
    // (records, limit, requests): 30/10 divides (3 full pages, the last
    // says has_more false), 31/10 and 7/3 do not.
    for (records, limit, requests) in [(30, 10, 3), (31, 10, 4), (7, 3, 3)] {
        let api = server(0).await;
        let src = stripe(&api, records, limit, json!({"cursor_from": "last_record"}));
        let out = run(&src, None).await.unwrap();
        assert_exactly(&out.records, 1..=records);
        assert_eq!(api.request_count(), requests, "{records}/{limit}");
        let sent: Vec<Option<String>> = api
            .requests()
            .iter()
            .map(|r| {
                let q = r.query.clone().unwrap_or_default();
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "starting_after")
                    .map(|(_, v)| v.into_owned())
            })
            .collect();
        let expected: Vec<Option<String>> = (0..requests)
            .map(|i| (i > 0).then(|| (i * limit).to_string()))
            .collect();
        assert_eq!(sent, expected, "{records}/{limit}");
    }
}

#[tokio::test]
async fn a_body_total_above_what_was_read_fails_unless_told_to_warn() {
    let api = server(50).await;
    let config = |on_mismatch: &str| {
        json!({
            "path": "/records/page", "records": "data", "query": {"total_extra": "5"},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 10,
                "stop": {"total_path": "total", "on_total_mismatch": on_mismatch}}
        })
    };
    let err = run(&source(&api, config("error")), None)
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert_mentions(
        &err,
        &[
            "after 50 records",
            "announced 55",
            "pagination.stop.total_path",
            "/records/page",
        ],
    );
    let out = run(&source(&api, config("warn")), None).await.unwrap();
    assert_exactly(&out.records, 1..=50);
}

#[tokio::test]
async fn a_header_total_fails_a_link_header_run_that_only_read_the_first_page() {
    // The server sends `Link` only when the request names a page, and
    // always `X-Total-Count`.
    let api = server(50).await;
    let query = |page: bool| {
        let mut q = json!({"per_page": "10", "x_total": "true", "link_only_with_page": "true"});
        if page {
            q["page"] = json!("1");
        }
        q
    };
    let src = |page: bool| {
        source(
            &api,
            json!({"path": "/records/link", "query": query(page), "pagination": {"kind": "link_header"}}),
        )
    };
    let err = run(&src(false), None)
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert_mentions(&err, &["after 10 records", "announced 50", "total_headers"]);
    let out = run(&src(true), None).await.unwrap();
    assert_exactly(&out.records, 1..=50);
}

fn link_source(api: &FixtureServer) -> RestSource {
    source(
        api,
        json!({
            "path": "/records/link", "query": {"per_page": "10"},
            "pagination": {"kind": "link_header"}
        }),
    )
}

#[tokio::test]
async fn wrong_shape_2xx_bodies_are_retried_then_fail_naming_url_status_type_and_body() {
    let cases = [
        (
            "application/json",
            r#"{"error":"temporarily unavailable, try again"}"#,
            "expected an array of records",
        ),
        (
            "text/html",
            "<!doctype html><title>Maintenance</title>",
            "the server answered HTML (text/html), not JSON",
        ),
        ("application/json", "", "the body is empty"),
    ];
    for (content_type, body, reason) in cases {
        let api = server(50).await;
        api.inject(
            FaultRule::new(Fault::Body {
                status: 200,
                content_type: content_type.into(),
                body: body.into(),
            })
            .after(2)
            .times(100),
        );
        let (result, retries) = run_counted(&link_source(&api)).await;
        let err = result.err().expect("must fail").to_string();
        let start: String = body.chars().take(20).collect();
        assert_mentions(
            &err,
            &[
                reason,
                "/records/link?per_page=10&page=3",
                "status 200",
                &format!("content type {content_type}"),
                &format!("body starts: `{start}"),
            ],
        );
        // 2 good pages, then the default 6 attempts at page 3.
        assert_eq!(api.request_count(), 2 + 6, "{reason}");
        assert_eq!(retries.get("malformed_body"), Some(&5), "{reason}");
    }
}

#[tokio::test]
async fn a_wrong_shape_body_once_is_retried_and_the_run_completes() {
    let api = server(50).await;
    api.inject(
        FaultRule::new(Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"error":"try again"}"#.into(),
        })
        .after(2),
    );
    let (result, retries) = run_counted(&link_source(&api)).await;
    assert_exactly(&result.unwrap().records, 1..=50);
    assert_eq!(retries.get("malformed_body"), Some(&1));
    assert_eq!(api.request_count(), 6);
}

#[tokio::test]
async fn truncated_bodies_are_retried_and_every_record_arrives_exactly_once() {
    let api = server(100).await;
    // Requests 2, 4 and 7 of the run get a body cut in half.
    for skip in [1, 3, 6] {
        api.inject(FaultRule::new(Fault::Truncated).after(skip));
    }
    let (result, retries) = run_counted(&link_source(&api)).await;
    assert_exactly(&result.unwrap().records, 1..=100);
    assert_eq!(retries.get("malformed_body"), Some(&3));
    assert_eq!(api.request_count(), 10 + 3);
}

#[tokio::test]
async fn retries_are_counted_by_cause() {
    let api = server(30).await;
    let status = |status| Fault::Status {
        status,
        retry_after: Some("0".into()),
        headers: vec![],
    };
    for (skip, fault) in [
        (0, status(503)),
        (1, status(429)),
        (2, Fault::Truncated),
        (3, Fault::Delay { ms: 1500 }),
        (4, Fault::DropMidBody),
    ] {
        api.inject(FaultRule::new(fault).after(skip));
    }
    let src = source(
        &api,
        json!({
            "path": "/records/link", "query": {"per_page": "10"},
            "pagination": {"kind": "link_header"},
            "http": {"timeout_secs": 1, "retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}}
        }),
    );
    let (result, retries) = run_counted(&src).await;
    assert_exactly(&result.unwrap().records, 1..=30);
    let expected: std::collections::BTreeMap<String, u64> = [
        ("503", 1),
        ("429", 1),
        ("malformed_body", 1),
        ("timeout", 1),
        ("connection", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(retries, expected);
}

#[tokio::test]
async fn a_malformed_post_body_is_requested_again_only_when_the_config_says_idempotent() {
    let config = |idempotent: Option<bool>| {
        let mut c = json!({
            "path": "/records/cursor", "method": "post", "records": "data",
            "body": {"limit": 10},
            "pagination": {"kind": "cursor", "cursor_path": "next_cursor", "location": "body"}
        });
        if let Some(i) = idempotent {
            c["idempotent"] = json!(i);
        }
        c
    };
    let api = server(30).await;
    api.inject(FaultRule::new(Fault::Malformed).after(1));
    let err = run(&source(&api, config(None)), None).await.err().unwrap();
    assert!(err.to_string().contains("invalid JSON"), "{err}");
    assert_eq!(api.request_count(), 2);

    let api = server(30).await;
    api.inject(FaultRule::new(Fault::Malformed).after(1));
    let out = run(&source(&api, config(Some(true))), None).await.unwrap();
    assert_exactly(&out.records, 1..=30);
    assert_eq!(api.request_count(), 3 + 1);
}

#[tokio::test]
async fn one_object_as_one_record_must_be_explicit() {
    let api = server(0).await;
    let implicit = source(
        &api,
        json!({"path": "/health", "http": {"retry": {"max_attempts": 1}}}),
    );
    let err = run(&implicit, None).await.err().unwrap().to_string();
    assert!(
        err.contains("expected an array") && err.contains("{single: true}"),
        "{err}"
    );
    let explicit = source(
        &api,
        json!({"path": "/health", "records": {"single": true}}),
    );
    let out = run(&explicit, None).await.unwrap();
    assert_eq!(out.records, vec![json!({"ok": true})]);
}

#[tokio::test]
async fn a_total_given_on_the_first_page_only_is_remembered_reconciled_and_announced() {
    use futures::StreamExt;
    let api = server(45).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "query": {"total_first_only": "true"},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 10,
                "stop": {"total_path": "total"}}
        }),
    );
    let mut pages = src.stream_pages(SourceContext::new());
    let (mut records, mut totals) = (Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        totals.push(page.expected_total());
        records.extend(page.records().iter().map(|r| r.to_value().unwrap()));
    }
    assert_exactly(&records, 1..=45);
    assert!(!totals.is_empty());
    assert!(totals.iter().all(|t| *t == Some(45)), "{totals:?}");
    assert_eq!(api.request_count(), 5, "the total bounds the pages");
}

#[tokio::test]
async fn relative_next_links_are_followed_and_a_content_range_total_is_reconciled() {
    let api = server(0).await;
    let src = |records: u64, extra: u64| {
        source(
            &api,
            json!({
                "path": "/records/next", "records": "data",
                "query": {"limit": "10", "records": records.to_string(), "relative_next": "true",
                    "content_range": "true", "total_extra": extra.to_string()},
                "pagination": {"kind": "next_url", "next_path": "links.next"}
            }),
        )
    };
    let first: Value = reqwest::get(format!(
        "{}/records/next?limit=10&records=35&relative_next=true",
        api.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let link = first["links"]["next"].as_str().unwrap();
    assert!(link.starts_with("/records/next?"), "{link}");
    api.clear_log();

    let out = run(&src(35, 0), None).await.unwrap();
    assert_exactly(&out.records, 1..=35);
    let next_queries: Vec<String> = api
        .requests()
        .iter()
        .skip(1)
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(next_queries.len(), 3);
    assert!(
        next_queries.iter().all(|q| q.contains("offset=")),
        "{next_queries:?}"
    );

    let err = run(&src(35, 1), None)
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert_mentions(&err, &["after 35 records", "announced 36", "total_headers"]);
}

#[tokio::test]
async fn a_server_ignoring_the_page_parameter_fails_its_total_instead_of_ending() {
    // `pg` is not the fixture's page parameter: every request gets page 1,
    // the same body twice ends pagination, and the total says 50.
    let api = server(50).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data",
            "pagination": {"kind": "page_number", "param": "pg", "size_param": "per_page", "size": 10,
                "stop": {"total_path": "total"}}
        }),
    );
    let err = run(&src, None).await.err().expect("must fail").to_string();
    assert_mentions(
        &err,
        &[
            "after 10 records",
            "announced 50",
            "pagination.stop.total_path",
            "/records/page",
        ],
    );
}

#[tokio::test]
async fn has_more_on_a_page_repeating_a_cursor_is_an_error_not_an_end() {
    // `after` is not the fixture's cursor parameter: the same first page
    // comes back with `has_more: true`.
    let api = server(0).await;
    let right = stripe(&api, 50, 10, json!({"cursor_from": "last_record"}));
    assert_exactly(&run(&right, None).await.unwrap().records, 1..=50);
    let before = api.request_count();
    let src = source(
        &api,
        json!({
            "path": "/records/stripe", "records": "data",
            "query": {"limit": "10", "records": "50"},
            "pagination": {"kind": "cursor", "param": "after", "cursor_from": "last_record",
                "stop": {"has_more_path": "has_more"}}
        }),
    );
    let err = run(&src, None).await.err().expect("must fail").to_string();
    assert_mentions(
        &err,
        &[
            "/records/stripe",
            "repeats",
            "`pagination.stop.has_more_path`",
            "pagination.param",
        ],
    );
    assert_eq!(api.request_count() - before, 2, "fails at the first repeat");
}

#[tokio::test]
async fn a_page_count_above_what_was_read_fails_unless_told_to_warn() {
    // 50 records at 10 a page, but every page announces total_pages 7.
    let api = server(50).await;
    let config = |on_mismatch: &str| {
        json!({
            "path": "/records/page", "records": "data", "query": {"total_extra": "15"},
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 10,
                "stop": {"total_pages_path": "total_pages", "on_total_mismatch": on_mismatch}}
        })
    };
    let err = run(&source(&api, config("error")), None)
        .await
        .err()
        .expect("must fail")
        .to_string();
    assert_mentions(
        &err,
        &[
            "pages, but the API announced 7",
            "pagination.stop.total_pages_path",
            "/records/page",
        ],
    );
    let out = run(&source(&api, config("warn")), None).await.unwrap();
    assert_exactly(&out.records, 1..=50);
}
