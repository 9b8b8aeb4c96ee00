//! Scenario 8: a child resource read once per parent record, against a
//! slow API. 100 accounts, 1,000 orders each, from `faucet-fixture-server
//! --api shop` adding 20 ms before every response; the REST source reads
//! `accounts` (one page) and `orders` (`parent: accounts`, a cursor, 100 a
//! page, so 10 pages per account, one after another) with `concurrency: 8`
//! and `parent_concurrency: 8`, into JSON Lines.
//!
//! The baseline is the ideal: every request's 20 ms spread evenly over 8
//! connections, `(101 × 20 ms × 10 pages) ÷ 8` = 2.525 s (the lead's
//! figure; the exact request count is 1 + 100 × 10 = 1,001). The ratio is
//! ideal ÷ wall: 1.00 would hide every round trip behind the others.
//!
//! The sinks of this version write one stream per pipeline, and `faucet
//! run` has no stream selection yet, so a `filter` transform drops the
//! accounts (`account_ref != null` is true for orders only): the figures
//! include one CEL evaluation per record.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;
use faucet_bench::pipeline;
use faucet_bench::process::Child;
use faucet_bench::verify;
use serde_json::json;

use crate::report::Series;
use crate::scenarios::{Bench, Measured, record};

/// Parent records (accounts).
const PARENTS: u64 = 100;
/// Child records (orders) per parent.
const CHILDREN: u64 = 1_000;
/// Orders per page.
const PAGE: u64 = 100;
/// Milliseconds the API waits before every response.
const LATENCY_MS: u64 = 20;
/// Requests in flight, and parents whose children are read at once.
const CONCURRENCY: u64 = 8;

/// Child pages per parent.
const fn pages() -> u64 {
    CHILDREN.div_ceil(PAGE)
}

/// The ideal wall time: `(PARENTS + 1) × latency × pages ÷ concurrency`.
fn ideal() -> Duration {
    Duration::from_millis(LATENCY_MS * (PARENTS + 1) * pages()) / CONCURRENCY as u32
}

/// The records written: every order.
pub(crate) const RECORDS: u64 = PARENTS * CHILDREN;

/// The scenario's series.
pub(crate) fn series() -> Series {
    Series::new(
        "8. REST, 100 parents × 1,000 children, 20 ms/request, concurrency 8 (JSON Lines)",
        RECORDS,
        &format!(
            "ideal: (101 × 20 ms × {} pages) ÷ 8 = {:.3} s",
            pages(),
            ideal().as_secs_f64()
        ),
        "≥ 0.8×",
        0.8,
    )
}

/// A `faucet-fixture-server --api shop` process, killed when dropped.
pub(crate) struct ShopProcess {
    child: Child,
    url: String,
}

impl ShopProcess {
    /// Starts the shop of this scenario on a free port of 127.0.0.1.
    pub(crate) fn start(bin: &Path) -> anyhow::Result<Self> {
        let child = Child::spawn(Command::new(bin).args([
            "--api",
            "shop",
            "--accounts",
            &PARENTS.to_string(),
            "--orders-per-account",
            &CHILDREN.to_string(),
            "--page-size",
            &PAGE.to_string(),
            "--latency-ms",
            &LATENCY_MS.to_string(),
            "--threads",
            "1",
        ]))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut line = String::new();
            BufReader::new(std::fs::File::open(child.stdout_path())?).read_line(&mut line)?;
            if line.ends_with('\n') {
                let url = line.trim().to_owned();
                return Ok(Self { child, url });
            }
            if child.has_exited() {
                let exit = child.wait(Duration::ZERO)?;
                bail!("the shop server exited early: {}", exit.describe());
            }
            if Instant::now() > deadline {
                bail!("the shop server printed no URL within 20 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.pid()
    }
}

/// The pipeline's source: accounts, then each account's orders.
fn source(url: &str) -> serde_json::Value {
    json!({
        "type": "rest",
        "base_url": url,
        "concurrency": CONCURRENCY,
        "resources": [
            {
                "name": "accounts",
                "records": "accounts",
                "query": {"per_page": PARENTS.to_string()},
                "pagination": {"kind": "page_number", "size_param": "per_page", "size": PARENTS,
                               "stop": {"has_more_path": "has_more"}}
            },
            {
                "name": "orders",
                "parent": "accounts",
                "path": "/accounts/{parent.id}/orders",
                "parent_fields": {"id": "account_ref"},
                "parent_concurrency": CONCURRENCY,
                "query": {"limit": PAGE.to_string()},
                "records": "data",
                "pagination": {"kind": "cursor", "cursor_path": "next_cursor", "param": "cursor"}
            }
        ]
    })
}

/// One run: the pipeline through `faucet run`, its output counted.
fn one_run(bench: &Bench, url: &str, run: u32) -> anyhow::Result<Measured> {
    let name = format!("children-{run}");
    let out = bench.work.join(format!("{name}.jsonl"));
    let state = bench.work.join(format!("{name}.jsonl.faucet-state.json"));
    let _ = (std::fs::remove_file(&out), std::fs::remove_file(&state));
    let mut p = pipeline::pipeline(&name, source(url), pipeline::jsonl_sink(&out, 20_000));
    p["transforms"] = json!([{"type": "filter", "where": "account_ref != null"}]);
    let measured = bench.faucet_run(&name, &p)?;
    let lines = verify::line_count(&out);
    let _ = (std::fs::remove_file(&out), std::fs::remove_file(&state));
    if lines != RECORDS {
        bail!("the output has {lines} lines, expected {RECORDS}");
    }
    Ok(measured)
}

/// Scenario 8, one run, recorded in `series`; prints the wall time next
/// to the ideal.
pub(crate) fn run(bench: &Bench, series: &mut Series, shop: &ShopProcess, run: u32) {
    bench.api.set(Some(shop.pid()));
    let faucet = one_run(bench, &shop.url, run);
    let ideal = Measured {
        wall: ideal(),
        cpu: Duration::ZERO,
        rss_mib: 0.0,
        server_cpu: None,
        api_cpu: None,
    };
    if let Ok(m) = &faucet {
        eprintln!(
            "  8: wall {:.3} s, ideal {:.3} s, wall ÷ ideal {:.2}",
            m.wall.as_secs_f64(),
            ideal.wall.as_secs_f64(),
            m.wall.as_secs_f64() / ideal.wall.as_secs_f64()
        );
    }
    record(series, RECORDS, &faucet, &Ok(ideal), None);
}
