//! Every auth kind and every injected fault, against the fixture server.

mod support;

use std::time::{Duration, Instant};

use faucet_core::connector::*;
use faucet_testkit::fixture::{Fault, FaultRule, FixtureAuth, FixtureConfig, FixtureServer};
use support::*;

async fn server_with(auth: FixtureAuth) -> FixtureServer {
    FixtureServer::start(FixtureConfig::new(120).with_auth(auth))
        .await
        .unwrap()
}

fn paged(auth: Value) -> Value {
    json!({
        "path": "/records/page", "records": "data", "auth": auth,
        "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50}
    })
}

#[tokio::test]
async fn bearer_basic_and_api_keys_authenticate() {
    let cases = [
        (
            FixtureAuth::Bearer("t0k".into()),
            json!({"kind": "bearer", "token": "t0k"}),
        ),
        (
            FixtureAuth::Basic {
                username: "u".into(),
                password: "p@ss".into(),
            },
            json!({"kind": "basic", "username": "u", "password": "p@ss"}),
        ),
        (
            FixtureAuth::ApiKeyHeader {
                name: "X-Api-Key".into(),
                value: "k1".into(),
            },
            json!({"kind": "api_key", "name": "X-Api-Key", "value": "k1"}),
        ),
        (
            FixtureAuth::ApiKeyQuery {
                name: "api_key".into(),
                value: "k2".into(),
            },
            json!({"kind": "api_key", "name": "api_key", "value": "k2", "location": "query"}),
        ),
    ];
    for (server_auth, config_auth) in cases {
        let api = server_with(server_auth).await;
        let out = run(&source(&api, paged(config_auth.clone())), None)
            .await
            .unwrap();
        assert_exactly(&out.records, 1..=120);
        // And the wrong secret is refused with a clear, secret-free error.
        let mut wrong = config_auth;
        for field in ["token", "password", "value"] {
            if wrong.get(field).is_some() {
                wrong[field] = json!("WRONG-SECRET");
            }
        }
        let err = run(&source(&api, paged(wrong)), None)
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("HTTP 401"), "{err}");
        assert!(!err.contains("WRONG-SECRET"), "secret leaked: {err}");
    }
}

#[tokio::test]
async fn secrets_from_the_environment_and_never_in_debug() {
    // SAFETY: set once, read by this test only.
    unsafe { std::env::set_var("FAUCET_REST_TEST_TOKEN", "env-t0k") };
    let api = server_with(FixtureAuth::Bearer("env-t0k".into())).await;
    let src = source(
        &api,
        paged(json!({"kind": "bearer", "token": "${FAUCET_REST_TEST_TOKEN}"})),
    );
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=120);
    let config = config_for(&api, paged(json!({"kind": "bearer", "token": "hunter2"})));
    assert!(!format!("{config:?} {src:?}").contains("hunter2"));
}

fn oauth_server_auth() -> FixtureAuth {
    FixtureAuth::OAuth2 {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
        refresh_token: "rtoken".into(),
        ttl: Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn oauth2_client_credentials_caches_and_refreshes_once_on_401() {
    let api = server_with(oauth_server_auth()).await;
    let token_url = format!("{}/oauth/token", api.url());
    let src = source(
        &api,
        paged(json!({
            "kind": "oauth2", "token_url": token_url, "client_id": "cid", "client_secret": "csecret"
        })),
    );
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=120);
    assert_eq!(
        api.requests_to("/oauth/token").len(),
        1,
        "token cached across pages"
    );
    api.revoke_tokens();
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=120);
    assert_eq!(
        api.requests_to("/oauth/token").len(),
        2,
        "one refresh after the 401"
    );
}

#[tokio::test]
async fn oauth2_refresh_token_grant_and_bad_credentials() {
    let api = server_with(oauth_server_auth()).await;
    let token_url = format!("{}/oauth/token", api.url());
    let src = source(
        &api,
        paged(json!({
            "kind": "oauth2", "token_url": token_url, "client_id": "cid", "refresh_token": "rtoken"
        })),
    );
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=120);
    let form = &api.requests_to("/oauth/token")[0].body;
    assert!(form.contains("grant_type=refresh_token"), "{form}");

    let bad = source(
        &api,
        paged(json!({
            "kind": "oauth2", "token_url": token_url, "client_id": "cid", "client_secret": "nope-secret"
        })),
    );
    let err = run(&bad, None).await.err().unwrap();
    assert!(matches!(err, FaucetError::Auth { .. }), "{err}");
    assert!(!err.to_string().contains("nope-secret"));
}

fn fault_source(api: &FixtureServer) -> faucet_source_rest::RestSource {
    source(
        api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 1,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50},
            "http": {"timeout_secs": 1, "retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5, "max_retry_after_secs": 5}}
        }),
    )
}

#[tokio::test]
async fn transient_faults_are_retried_and_nothing_is_lost_or_duplicated() {
    let faults = [
        Fault::Status {
            status: 429,
            retry_after: None,
            headers: vec![],
        },
        Fault::Status {
            status: 429,
            retry_after: Some("0".into()),
            headers: vec![],
        },
        Fault::Status {
            status: 500,
            retry_after: None,
            headers: vec![],
        },
        Fault::Status {
            status: 502,
            retry_after: None,
            headers: vec![],
        },
        Fault::Status {
            status: 503,
            retry_after: None,
            headers: vec![],
        },
        Fault::DropMidBody,
        Fault::Delay { ms: 1500 },
    ];
    for fault in faults {
        let api = server(120).await;
        api.inject(FaultRule::new(fault.clone()).after(1).times(2));
        let out = run(&fault_source(&api), None).await;
        let out = out.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_exactly(&out.records, 1..=120);
        // A request cut off by the client's timeout never completes on the
        // server, so the server logs only completed ones for `Delay`.
        let expected = if matches!(fault, Fault::Delay { .. }) {
            4
        } else {
            6
        };
        assert_eq!(
            api.request_count(),
            expected,
            "{fault:?}: 2 retries, then the rest"
        );
    }
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let api = server(120).await;
    api.inject(FaultRule::new(Fault::Status {
        status: 503,
        retry_after: Some("1".into()),
        headers: vec![],
    }));
    let started = Instant::now();
    assert_exactly(
        &run(&fault_source(&api), None).await.unwrap().records,
        1..=120,
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );

    api.inject(FaultRule::new(Fault::Status {
        status: 429,
        retry_after: Some("3600".into()),
        headers: vec![],
    }));
    let err = run(&fault_source(&api), None).await.err().unwrap();
    assert!(matches!(err, FaucetError::RateLimited { .. }), "{err}");
    assert!(err.to_string().contains("3600"), "{err}");
}

#[tokio::test]
async fn persistent_failures_stop_with_the_last_error_after_the_attempts() {
    let api = server(120).await;
    api.inject(
        FaultRule::new(Fault::Status {
            status: 503,
            retry_after: None,
            headers: vec![],
        })
        .times(100),
    );
    let err = run(&fault_source(&api), None).await.err().unwrap();
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(api.request_count(), 6, "max_attempts defaults to 6");
}

#[tokio::test]
async fn client_errors_name_status_url_and_body_without_secrets() {
    let api = server(10).await;
    let src = source(
        &api,
        json!({
            "path": "/no/such/endpoint",
            "auth": {"kind": "api_key", "name": "api_key", "value": "very-secret", "location": "query"}
        }),
    );
    let err = run(&src, None).await.err().unwrap().to_string();
    assert!(
        err.contains("HTTP 404")
            && err.contains("/no/such/endpoint")
            && err.contains("no endpoint"),
        "{err}"
    );
    assert!(!err.contains("very-secret"), "{err}");
    assert_eq!(api.request_count(), 1, "4xx is not retried");
}

#[tokio::test]
async fn malformed_truncated_and_oversize_bodies_are_clear_errors() {
    let api = server(120).await;
    // Every attempt at the page gets the fault: retried, then a clear error.
    api.inject(FaultRule::new(Fault::Malformed).after(1).times(100));
    let err = run(&fault_source(&api), None)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("/records/page")
            && err.contains("invalid JSON at byte")
            && err.contains("status 200, content type application/json"),
        "{err}"
    );

    api.clear_faults();
    api.inject(FaultRule::new(Fault::Truncated).times(100));
    let err = run(&fault_source(&api), None)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("truncated JSON at byte"), "{err}");

    api.clear_faults();
    api.inject(FaultRule::new(Fault::Oversize { bytes: 2_000_000 }));
    let capped = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "http": {"max_response_bytes": 1_000_000}
        }),
    );
    let err = run(&capped, None).await.err().unwrap().to_string();
    assert!(
        err.contains("1000000-byte limit") && err.contains("/records/page"),
        "{err}"
    );
}

#[tokio::test]
async fn records_path_not_found_lists_the_keys() {
    let api = server(10).await;
    let src = source(&api, json!({"path": "/records/page", "records": "$.items"}));
    let err = run(&src, None).await.err().unwrap().to_string();
    assert!(
        err.contains("`$.items` not found") && err.contains("data, page"),
        "{err}"
    );
}

#[tokio::test]
async fn the_rate_limit_headers_pause_requests() {
    let api = server(120).await;
    let exhausted = || {
        vec![
            ("X-RateLimit-Remaining".into(), "0".into()),
            ("X-RateLimit-Reset".into(), "1".into()),
        ]
    };
    // A 429 saying no requests remain until the reset waits for it.
    api.inject(FaultRule::new(Fault::Status {
        status: 429,
        retry_after: None,
        headers: exhausted(),
    }));
    let started = Instant::now();
    assert_exactly(
        &run(&fault_source(&api), None).await.unwrap().records,
        1..=120,
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_storm_halves_the_concurrency_limit() {
    let api = server(2000).await;
    api.inject(
        FaultRule::new(Fault::Status {
            status: 429,
            retry_after: None,
            headers: vec![],
        })
        .times(3),
    );
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 8,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
        }),
    );
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=2000);
    let statuses: Vec<u16> = api.requests().iter().map(|r| r.status).collect();
    let throttled = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(throttled, 3, "{statuses:?}");
    // Three halvings take 8 → 4 → 2 → 1. Each 200 then adds 1/limit (capped
    // at 8). The highest the limit can end is when all three halvings come
    // before every 200: replay that from 1; any later halving ends lower.
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let ceiling = (0..ok).fold(1.0f64, |l, _| (l + 1.0 / l).min(8.0)) as usize;
    let limit = src.client().concurrency().limit();
    assert!(
        (1..=ceiling).contains(&limit) && ceiling < 8,
        "limit {limit} after 3 halvings and {ok} successes (ceiling {ceiling})"
    );
}

#[tokio::test]
async fn the_token_bucket_spaces_requests() {
    let api = server(500).await;
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data", "concurrency": 4,
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 50},
            "http": {"rate_limit": {"requests_per_second": 40, "burst": 1}}
        }),
    );
    let started = Instant::now();
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=500);
    let elapsed = started.elapsed();
    // 500 / 50 = 10 pages and the empty page 11; at most `concurrency` (4)
    // speculative pages past page 10: 11 ..= 10 + 1 + 4 requests.
    let n = api.request_count() as u32;
    assert!((11..=10 + 1 + 4).contains(&n), "{n} requests");
    // 40 per second with a burst of 1: one request every 25 ms after the
    // first, so at least (n − 1) × 25 ms (a burst would be faster). The top,
    // 4 × that + 2 s, only catches a stall; machines are noisy.
    let interval = Duration::from_millis(25);
    let spaced = interval * (n - 1);
    assert!(
        elapsed >= spaced && elapsed <= spaced * 4 + Duration::from_secs(2),
        "{n} requests in {elapsed:?}"
    );
}

#[tokio::test]
async fn cancellation_ends_a_long_retry_after_wait() {
    let api = server(120).await;
    api.inject(FaultRule::new(Fault::Status {
        status: 503,
        retry_after: Some("3600".into()),
        headers: vec![],
    }));
    let src = source(
        &api,
        json!({
            "path": "/records/page", "records": "data",
            "http": {"retry": {"max_retry_after_secs": 7200}}
        }),
    );
    let cancel = CancellationToken::new();
    let mut pages = src.stream_pages(SourceContext::new().with_cancel(cancel.clone()));
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    use futures::StreamExt;
    // Bounded: without cancellation this would wait an hour.
    let first = tokio::time::timeout(Duration::from_secs(60), pages.next())
        .await
        .expect("no hang");
    assert!(
        matches!(first, Some(Err(FaucetError::Cancelled))),
        "{first:?}"
    );
    canceller.await.unwrap();
}

#[tokio::test]
async fn an_api_key_echoed_into_next_links_stays_out_of_checkpoints() {
    let api = server_with(FixtureAuth::ApiKeyQuery {
        name: "api_key".into(),
        value: "qk-secret".into(),
    })
    .await;
    let src = source(
        &api,
        json!({
            "path": "/records/next", "records": "data", "query": {"limit": "50"},
            "auth": {"kind": "api_key", "name": "api_key", "value": "qk-secret", "location": "query"},
            "pagination": {"kind": "next_url", "next_path": "links.next"}
        }),
    );
    let out = run(&src, None).await.unwrap();
    assert_exactly(&out.records, 1..=120);
    for checkpoint in out.checkpoints.iter().flatten() {
        assert!(
            !checkpoint.to_string().contains("qk-secret"),
            "{checkpoint}"
        );
    }
    for request in api.requests() {
        assert_eq!(
            request.query_values("api_key"),
            vec!["qk-secret"],
            "sent exactly once"
        );
    }
}

#[tokio::test]
async fn oauth2_tokens_are_refreshed_before_they_expire() {
    let auth = FixtureAuth::OAuth2 {
        client_id: "cid".into(),
        client_secret: "csecret".into(),
        refresh_token: "rtoken".into(),
        ttl: Duration::from_secs(2),
    };
    let api = server_with(auth).await;
    let token_url = format!("{}/oauth/token", api.url());
    // A 2 s token is refreshed after 1 s (the margin is capped at half the
    // lifetime), before the server would reject it.
    let src = source(
        &api,
        paged(json!({
            "kind": "oauth2", "token_url": token_url, "client_id": "cid", "client_secret": "csecret",
            "refresh_margin_secs": 60
        })),
    );
    run(&src, None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_exactly(&run(&src, None).await.unwrap().records, 1..=120);
    assert_eq!(api.requests_to("/oauth/token").len(), 2);
    assert!(
        api.requests().iter().all(|r| r.status != 401),
        "no request was rejected"
    );
}
