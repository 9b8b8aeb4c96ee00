//! The benchmark orchestrator behind `bench/run.sh`: runs every scenario
//! of the proof next to its baseline, several times, and writes
//! `bench/RESULTS.md`.
//!
//! ```text
//! faucet-bench [--records N] [--runs R] [--rss-sizes A,B,C]
//!              [--latency-records N] [--page-size N] [--out FILE]
//!              [--profile release|debug] [--scenarios 1,2,3,4,5,6,7,8,9]
//! ```
//! Scenarios: 1 REST → PostgreSQL append, page numbers (concurrent);
//! 2 the same with cursor pagination (sequential); 3 upsert; 4 REST →
//! JSON Lines against a naive loop; 5 20 ms per page, concurrency 8 vs 1;
//! 6 peak RSS at several sizes; 7 scenario 1 with `select` + `rename` +
//! `filter` transforms, against scenario 1 of the same run; 8 a child
//! resource per parent record (100 × 1,000 at 20 ms per request,
//! concurrency 8) against the ideal wall time (see `children.rs`); 9 a
//! Singer tap (meltanolabs-tap-postgres) into PostgreSQL through faucet
//! against the same tap piped into meltanolabs-target-postgres (see
//! `singer.rs`; it installs both from the Python package registry into
//! cached virtualenvs, `FAUCET_TEST_VENVS`; run only when `--scenarios`
//! names it, since target-postgres loads about 3,000 records/s).
//! Each option also reads an environment variable (`FAUCET_BENCH_RECORDS`,
//! `FAUCET_BENCH_RUNS`, `FAUCET_BENCH_RSS_SIZES`,
//! `FAUCET_BENCH_LATENCY_RECORDS`, `FAUCET_BENCH_SCENARIOS`,
//! `FAUCET_BENCH_PROFILE`). Defaults are the full scale: 1,000,000
//! records, 3 runs, RSS at 100k/1M/5M, and 300,000 records (300 pages) for
//! the latency scenario, so that starting a process and its first request
//! weigh little next to 300 round trips.
//!
//! Binaries are the release builds in the workspace's target directory
//! (`run.sh` builds them); `--profile debug` uses the debug ones, to check
//! the harness quickly (its figures mean nothing). PostgreSQL comes from
//! `faucet_testkit::postgres` (`FAUCET_TEST_DATABASE_URL`, 127.0.0.1:5432,
//! or a throwaway cluster).

mod children;
mod environment;
mod report;
mod scenarios;
mod singer;

use anyhow::Context;
use faucet_bench::binaries;
use faucet_bench::pipeline::{RestSource, Style};
use faucet_bench::process::FixtureProcess;

use report::Series;
use scenarios::{Bench, record};

/// Parsed options.
#[derive(Debug, Clone)]
struct Options {
    records: u64,
    runs: u32,
    rss_sizes: Vec<u64>,
    latency_records: u64,
    page_size: u64,
    out: std::path::PathBuf,
    profile: binaries::Profile,
    scenarios: Vec<u8>,
}

fn options() -> anyhow::Result<Options> {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let mut raw = [
        ("--records", env("FAUCET_BENCH_RECORDS", "1000000")),
        ("--runs", env("FAUCET_BENCH_RUNS", "3")),
        (
            "--rss-sizes",
            env("FAUCET_BENCH_RSS_SIZES", "100000,1000000,5000000"),
        ),
        (
            "--latency-records",
            env("FAUCET_BENCH_LATENCY_RECORDS", "300000"),
        ),
        ("--page-size", "1000".to_owned()),
        ("--profile", env("FAUCET_BENCH_PROFILE", "release")),
        (
            "--scenarios",
            env("FAUCET_BENCH_SCENARIOS", "1,2,3,4,5,6,7,8"),
        ),
        (
            "--out",
            binaries::workspace_root()
                .join("bench/RESULTS.md")
                .display()
                .to_string(),
        ),
    ];
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = raw
            .iter_mut()
            .find(|(name, _)| *name == flag)
            .with_context(|| format!("unknown option {flag}"))?;
        slot.1 = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
    }
    let get = |name: &str| {
        raw.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let num = |name: &str| -> anyhow::Result<u64> {
        get(name)
            .replace('_', "")
            .parse()
            .with_context(|| format!("{name} must be a number"))
    };
    Ok(Options {
        records: num("--records")?,
        runs: num("--runs")?.max(1) as u32,
        rss_sizes: get("--rss-sizes")
            .split(',')
            .map(|s| s.trim().replace('_', "").parse())
            .collect::<Result<_, _>>()
            .context("--rss-sizes must be numbers separated by commas")?,
        latency_records: num("--latency-records")?,
        page_size: num("--page-size")?,
        out: get("--out").into(),
        scenarios: get("--scenarios")
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .context("--scenarios must be numbers 1-9 separated by commas")?,
        profile: match get("--profile").as_str() {
            "release" => binaries::Profile::Release,
            "debug" => binaries::Profile::Debug,
            other => anyhow::bail!("--profile must be release or debug, not {other}"),
        },
    })
}

/// The throughput series, in report order.
struct AllSeries {
    append: Series,
    append_cursor: Series,
    upsert: Series,
    jsonl: Series,
    latency: Series,
    transformed: Series,
    children: Series,
    singer: Series,
    binary: Vec<f64>,
    /// The 1-minute load average when each run started.
    loads: Vec<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let opts = options()?;
    let bench = environment::setup(&opts).await?;
    let mut all = AllSeries {
        append: Series::new(
            "1. REST → PostgreSQL append (page numbers, concurrent)",
            opts.records,
            "`psql \\copy` CSV",
            "≥ 1.3×",
            1.3,
        ),
        append_cursor: Series::new(
            "2. REST → PostgreSQL append (cursor, sequential)",
            opts.records,
            "`psql \\copy` CSV",
            "≥ 1.3×",
            1.3,
        ),
        upsert: Series::new(
            "3. REST → PostgreSQL upsert (rows present)",
            opts.records,
            "`psql \\copy` CSV",
            "≥ 0.7×",
            0.7,
        ),
        jsonl: Series::new(
            "4. REST → JSON Lines",
            opts.records,
            "naive loop (reqwest + serde_json, pages in turn)",
            "≥ 4×",
            4.0,
        ),
        latency: Series::new(
            "5. REST, 20 ms/page: concurrency 8 vs 1 (JSON Lines)",
            opts.latency_records,
            "same at concurrency 1",
            "≥ 7×",
            7.0,
        ),
        transformed: Series::new(
            "7. REST → select + rename + filter → PostgreSQL append (page numbers)",
            opts.records,
            "scenario 1 of the same run (no transforms)",
            "≥ 0.9×",
            0.9,
        ),
        children: children::series(),
        singer: singer::series(opts.records),
        binary: Vec::new(),
        loads: Vec::new(),
    };
    let fixture = bench.fixture(opts.records, 0)?;
    let slow = bench.fixture(opts.latency_records, 20)?;
    let shop = if opts.scenarios.contains(&8) {
        Some(children::ShopProcess::start(&bench.fixture_bin)?)
    } else {
        None
    };
    let tools = if opts.scenarios.contains(&9) {
        match singer::Singer::setup(&bench).await {
            Ok(tools) => Some(tools),
            Err(err) => {
                all.singer.fail(format!("{err:#}"));
                None
            }
        }
    } else {
        None
    };
    for run in 1..=opts.runs {
        eprintln!("Run {run} of {}", opts.runs);
        all.loads.push(environment::load_average());
        one_round(&bench, &mut all, (&fixture, &slow), run, &opts.scenarios).await;
        if let Some(shop) = &shop {
            children::run(&bench, &mut all.children, shop, run);
        }
        if let Some(tools) = &tools {
            singer::run(&bench, &mut all.singer, tools, run).await;
        }
    }
    drop((fixture, slow, shop));
    let rss = if opts.scenarios.contains(&6) {
        rss_sizes(&bench, &opts)
    } else {
        Vec::new()
    };
    for (k, series) in [
        (1, &mut all.append),
        (2, &mut all.append_cursor),
        (3, &mut all.upsert),
        (4, &mut all.jsonl),
        (5, &mut all.latency),
        (7, &mut all.transformed),
        (8, &mut all.children),
        (9, &mut all.singer),
    ] {
        if !opts.scenarios.contains(&k) {
            series.fail("not run: not selected with --scenarios".to_owned());
        }
    }
    if opts.scenarios.contains(&8) {
        // The row for RESULTS.md, on its own.
        println!("{}", report::throughput_table(&[&all.children]));
        println!("{}", report::cpu_table(&[&all.children]));
    }
    if opts.scenarios.contains(&9) {
        println!("{}", report::throughput_table(&[&all.singer]));
        println!("{}", report::cpu_table(&[&all.singer]));
    }
    let text = environment::render(&opts, &bench, &all, &rss).await;
    std::fs::write(&opts.out, text)
        .with_context(|| format!("cannot write {}", opts.out.display()))?;
    eprintln!("Wrote {}", opts.out.display());
    Ok(())
}

async fn one_round(
    bench: &Bench,
    all: &mut AllSeries,
    (api, slow): (&FixtureProcess, &FixtureProcess),
    run: u32,
    selected: &[u8],
) {
    let (url, slow_url) = (api.url(), slow.url());
    bench.api.set(Some(api.pid()));
    let n = bench.records;
    let verify_all = run == 1;
    let on = |k: u8| selected.contains(&k);
    if !on(1) && !on(2) && !on(3) && !on(7) {
        return one_round_rest(bench, all, (url, slow_url, slow.pid()), run, selected);
    }
    // The ceilings (CSV, then binary `\copy`), then faucet, in the same run.
    let ceiling = bench.copy_csv("ceiling_csv", false).await;
    let mut binary = None;
    if let Ok(m) = &ceiling {
        if let Ok(bin) = bench.copy_binary("ceiling_csv", "ceiling_binary").await {
            all.binary.push(n as f64 / bin.wall.as_secs_f64());
            binary = Some(bin);
        }
        eprintln!(
            "  ceiling: \\copy CSV {:.0}/s",
            n as f64 / m.wall.as_secs_f64()
        );
    }
    let mut plain = Err(anyhow::anyhow!(
        "needs scenario 1 in the same run (--scenarios 1,7)"
    ));
    for (k, style) in [(1, Style::PageNumber), (2, Style::Cursor)] {
        if on(k) {
            let append = bench.append(url, style, run, verify_all).await;
            let series = if k == 1 {
                &mut all.append
            } else {
                &mut all.append_cursor
            };
            record(series, n, &append, &ceiling, binary.as_ref());
            if k == 1 {
                plain = append;
            }
        }
    }
    // 7: the same append with transforms, against 1 of this run.
    if on(7) {
        let transformed = bench.append_transformed(url, run).await;
        record(&mut all.transformed, n, &transformed, &plain, None);
    }
    // 3: upsert against the same ceiling.
    if on(3) {
        let upsert = bench.upsert(url, run, verify_all).await;
        record(&mut all.upsert, n, &upsert, &ceiling, None);
    }
    one_round_rest(bench, all, (url, slow_url, slow.pid()), run, selected);
}

/// Scenarios 4 and 5 of one run, when selected.
fn one_round_rest(
    bench: &Bench,
    all: &mut AllSeries,
    (url, slow_url, slow_pid): (&str, &str, u32),
    run: u32,
    selected: &[u8],
) {
    // 4: naive loop, then faucet.
    if selected.contains(&4) {
        let naive = bench.naive(url, run);
        record(
            &mut all.jsonl,
            bench.records,
            &bench.jsonl_default(url, run),
            &naive,
            None,
        );
    }
    // 5: latency, concurrency 1 then 8.
    if selected.contains(&5) {
        bench.api.set(Some(slow_pid));
        let one = RestSource::new(slow_url, Style::PageNumber, bench.page_size).with_concurrency(1);
        let eight = one.clone().with_concurrency(8);
        let m = all.latency.records;
        let c1 = bench.jsonl(one, &format!("latency-c1-{run}"), m);
        let c8 = bench.jsonl(eight, &format!("latency-c8-{run}"), m);
        record(&mut all.latency, m, &c8, &c1, None);
    }
}

/// Scenario 6: peak RSS of REST → JSON Lines at each size.
fn rss_sizes(bench: &Bench, opts: &Options) -> Vec<(u64, Vec<f64>, Vec<String>)> {
    let mut out = Vec::new();
    for &size in &opts.rss_sizes {
        eprintln!("Peak RSS at {size} records");
        let mut values = Vec::new();
        let mut failures = Vec::new();
        match bench.fixture(size, 0) {
            Ok(server) => {
                bench.api.set(Some(server.pid()));
                for run in 1..=opts.runs {
                    let source = RestSource::new(server.url(), Style::PageNumber, bench.page_size);
                    match bench.jsonl(source, &format!("rss-{size}-{run}"), size) {
                        Ok(m) => {
                            eprintln!("  {size}: {:.1} MiB", m.rss_mib);
                            values.push(m.rss_mib);
                        }
                        Err(err) => {
                            let reason = format!("{err:#}");
                            if !failures.contains(&reason) {
                                failures.push(reason);
                            }
                        }
                    }
                }
            }
            Err(err) => failures.push(format!("{err:#}")),
        }
        out.push((size, values, failures));
    }
    out
}
