//! Shared helpers: a fixture server, a source built from JSON, and a
//! stream runner that keeps every page's checkpoint.

#![allow(dead_code, unreachable_pub)]

use faucet_core::connector::*;
use faucet_source_rest::{RestSource, RestSourceConfig};
use faucet_testkit::fixture::{FixtureConfig, FixtureServer, record};
use futures::StreamExt;

pub async fn server(records: u64) -> FixtureServer {
    FixtureServer::start(FixtureConfig::new(records))
        .await
        .expect("fixture server starts")
}

/// A source for `server` with `config` merged over fast-retry defaults.
pub fn source(server: &FixtureServer, config: Value) -> RestSource {
    RestSource::new(config_for(server, config)).expect("valid config")
}

/// A source for the API at `base_url` with `config` merged over
/// fast-retry defaults.
pub fn source_at(base_url: &str, config: Value) -> RestSource {
    RestSource::new(config_at(base_url, config)).expect("valid config")
}

pub fn config_for(server: &FixtureServer, config: Value) -> RestSourceConfig {
    config_at(&server.url(), config)
}

fn config_at(base_url: &str, config: Value) -> RestSourceConfig {
    let mut full = json!({
        "base_url": base_url,
        "http": {"retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}, "timeout_secs": 5}
    });
    for (k, v) in config.as_object().expect("object config") {
        full[k] = v.clone();
    }
    faucet_core::parse_config(full).expect("config parses")
}

/// Every page of a run: records and checkpoint.
pub struct Run {
    pub records: Vec<Value>,
    pub checkpoints: Vec<Option<Checkpoint>>,
    pub page_sizes: Vec<usize>,
}

pub async fn run(source: &RestSource, resume: Option<Checkpoint>) -> Result<Run> {
    let mut pages = source.stream_pages(SourceContext::new().with_resume(resume));
    let mut out = Run {
        records: Vec::new(),
        checkpoints: Vec::new(),
        page_sizes: Vec::new(),
    };
    while let Some(page) = pages.next().await {
        let page = page?;
        out.page_sizes.push(page.records().len());
        out.records
            .extend(page.records().iter().map(|r| r.to_value().expect("a tree")));
        out.checkpoints.push(page.checkpoint().cloned());
    }
    Ok(out)
}

pub fn ids(records: &[Value]) -> Vec<u64> {
    records
        .iter()
        .map(|r| r["id"].as_u64().expect("id"))
        .collect()
}

/// Asserts that `records` are exactly ids `range`, as served.
pub fn assert_exactly(records: &[Value], range: std::ops::RangeInclusive<u64>) {
    let expected: Vec<u64> = range.clone().collect();
    assert_eq!(ids(records), expected);
    for r in records {
        assert_eq!(r, &record(r["id"].as_u64().unwrap()));
    }
}

/// A run from the start that counts retries by cause: what it read (or
/// the error that ended it) and the counts.
pub async fn run_counted(
    source: &RestSource,
) -> (Result<Run>, std::collections::BTreeMap<String, u64>) {
    let counter = faucet_core::RetryCounter::default();
    let mut pages = source.stream_pages(SourceContext::new().with_retries(counter.clone()));
    let mut out = Run {
        records: Vec::new(),
        checkpoints: Vec::new(),
        page_sizes: Vec::new(),
    };
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                out.page_sizes.push(page.records().len());
                out.records
                    .extend(page.records().iter().map(|r| r.to_value().expect("a tree")));
                out.checkpoints.push(page.checkpoint().cloned());
            }
            Err(err) => return (Err(err), counter.snapshot()),
        }
    }
    (Ok(out), counter.snapshot())
}

/// The config path of a [`FaucetError::Config`], or a panic naming the
/// error.
pub fn config_path(err: FaucetError) -> String {
    match err {
        FaucetError::Config { path, .. } => path,
        other => panic!("expected a config error, got {other}"),
    }
}

/// Asserts that `message` contains every one of `parts`.
pub fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "missing `{part}` in: {message}");
    }
}

pub mod shop;
