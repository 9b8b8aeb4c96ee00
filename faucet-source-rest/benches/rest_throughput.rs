//! REST source throughput, concurrency and memory, measured in one run
//! against the test kit's fixture server (its own tokio runtime and thread
//! pool, so client and server compete for the cores as two processes
//! would):
//!
//! (a) records/s into a no-op sink, page size 1,000, at concurrency 1 and
//!     the default, against a naive loop (one reqwest client fetching each
//!     page in turn and parsing it with serde_json) in the same run;
//! (b) with 20 ms added latency per page, concurrency 8 against 1;
//! (c) peak RSS (VmHWM) of a whole run at N/10 and N records, each in a
//!     fresh child process, so the figures are flat if memory is bounded.
//!
//! `FAUCET_BENCH_RECORDS` (default 1,000,000) sets N; `FAUCET_BENCH_RUNS`
//! (default 3) the repetitions, reported as median and min–max;
//! `FAUCET_BENCH_CONCURRENCY` replaces the default concurrency in (a). Run:
//! `cargo bench -p faucet-source-rest --bench rest_throughput`.

use std::time::{Duration, Instant};

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_source_rest::{RestSource, RestSourceConfig};
use faucet_testkit::fixture::{FixtureConfig, FixtureServer};

struct Discard;

#[async_trait]
impl Sink for Discard {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        Ok(records.len())
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts the fixture server on its own runtime thread; returns its URL.
fn start_server(records: u64) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let config = FixtureConfig::new(records)
                .with_page_size(1000)
                .with_log_limit(0);
            let server = FixtureServer::start(config).await.expect("fixture server");
            tx.send(server.url()).expect("send url");
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("server url")
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

/// Records/s of faucet: RestSource → Pipeline → no-op sink.
async fn faucet_run(url: &str, concurrency: usize, query: &[(&str, String)]) -> (u64, Duration) {
    let mut config = RestSourceConfig::new(url, "/records/page")
        .with_records("data")
        .with_concurrency(concurrency)
        .with_pagination(
            serde_json::from_value(
                json!({"kind": "page_number", "size_param": "per_page", "size": 1000}),
            )
            .expect("pagination"),
        );
    for (k, v) in query {
        config = config.with_query(*k, v.clone());
    }
    let source = RestSource::new(config).expect("source");
    let started = Instant::now();
    let report = Pipeline::new(&source, Discard)
        .run()
        .await
        .expect("faucet run");
    (report.progress.records_written, started.elapsed())
}

/// The cost floor: fetch each page in turn, parse it with serde_json.
async fn naive_run(url: &str) -> (u64, Duration) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut total = 0u64;
    for page in 1.. {
        let body = client
            .get(format!("{url}/records/page?page={page}&per_page=1000"))
            .send()
            .await
            .expect("naive request")
            .bytes()
            .await
            .expect("naive body");
        let mut doc: Value = serde_json::from_slice(&body).expect("naive parse");
        let Value::Array(records) = doc["data"].take() else {
            panic!("no data")
        };
        if records.is_empty() {
            break;
        }
        total += records.len() as u64;
    }
    (total, started.elapsed())
}

fn rate((records, elapsed): (u64, Duration)) -> f64 {
    records as f64 / elapsed.as_secs_f64()
}

/// Median, min and max.
fn summary(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with `)`): utime is the
    // 12th, stime the 13th, in clock ticks (100 per second on Linux).
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Repeated measurements of one scenario.
#[derive(Default)]
struct Runs {
    rates: Vec<f64>,
    cpu_us_per_record: Vec<f64>,
}

impl Runs {
    fn measure(&mut self, expected: u64, run: impl FnOnce() -> (u64, Duration)) {
        let cpu = cpu_time();
        let result = run();
        let cpu = cpu_time() - cpu;
        assert_eq!(result.0, expected, "every record arrived");
        self.rates.push(rate(result));
        self.cpu_us_per_record
            .push(cpu.as_secs_f64() * 1e6 / expected as f64);
    }

    fn print(&self, name: &str, base: f64) {
        let (median, min, max) = summary(self.rates.clone());
        let (cpu, cpu_min, cpu_max) = summary(self.cpu_us_per_record.clone());
        println!(
            "  {name:<28} {median:>10.0} records/s ({min:.0}-{max:.0}) {:.2}x naive; CPU {cpu:.2} us/record ({cpu_min:.2}-{cpu_max:.2})",
            median / base
        );
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Child mode: one run of `records` records, then print VmHWM.
fn child_rss(records: u64) {
    let url = start_server(records);
    let (n, _) = client_runtime().block_on(faucet_run(
        &url,
        faucet_source_rest::DEFAULT_CONCURRENCY,
        &[],
    ));
    assert_eq!(n, records);
    println!("{}", peak_rss_kib());
}

fn measure_rss(records: u64) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env("FAUCET_BENCH_RSS_CHILD", records.to_string())
        .output()
        .expect("child run");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("VmHWM figure")
}

fn main() {
    if let Ok(records) = std::env::var("FAUCET_BENCH_RSS_CHILD") {
        child_rss(records.parse().expect("record count"));
        return;
    }
    let records = env_u64("FAUCET_BENCH_RECORDS", 1_000_000);
    let runs = env_u64("FAUCET_BENCH_RUNS", 3).max(1);
    let default_concurrency = env_u64(
        "FAUCET_BENCH_CONCURRENCY",
        faucet_source_rest::DEFAULT_CONCURRENCY as u64,
    ) as usize;
    let url = start_server(records);
    let rt = client_runtime();
    println!("rest_throughput: {records} records, page size 1000, {runs} runs (median, min-max)");

    // (a) throughput against the naive loop; CPU time per record (client
    // and server threads of this process) is reported too, as it is far
    // less sensitive than wall time to other load on the machine.
    let (mut naive, mut c1, mut cdef) = (Runs::default(), Runs::default(), Runs::default());
    for _ in 0..runs {
        naive.measure(records, || rt.block_on(naive_run(&url)));
        c1.measure(records, || rt.block_on(faucet_run(&url, 1, &[])));
        cdef.measure(records, || {
            rt.block_on(faucet_run(&url, default_concurrency, &[]))
        });
    }
    let base = summary(naive.rates.clone()).0;
    naive.print("naive reqwest+serde_json", base);
    c1.print("faucet concurrency 1", base);
    cdef.print(&format!("faucet concurrency {default_concurrency}"), base);

    // (b) 20 ms latency per page: concurrency 8 against 1.
    let latency_records = (records / 10).clamp(1000, 100_000);
    let query = [
        ("latency_ms", "20".to_owned()),
        ("records", latency_records.to_string()),
    ];
    let slow1 = rate(rt.block_on(faucet_run(&url, 1, &query)));
    let slow8 = rate(rt.block_on(faucet_run(&url, 8, &query)));
    println!(
        "  20 ms latency, {latency_records} records: concurrency 1 {slow1:.0}/s, 8 {slow8:.0}/s: {:.2}x",
        slow8 / slow1
    );

    // (c) peak memory, each size in a fresh process.
    let small = (records / 10).max(1000);
    let (rss_small, rss_big) = (measure_rss(small), measure_rss(records));
    println!(
        "  peak RSS: {small} records {:.1} MiB, {records} records {:.1} MiB ({:.2}x)",
        rss_small as f64 / 1024.0,
        rss_big as f64 / 1024.0,
        rss_big as f64 / rss_small as f64
    );
}
