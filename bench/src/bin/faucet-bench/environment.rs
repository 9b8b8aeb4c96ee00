//! Setting the benchmark up (binaries, PostgreSQL, the CSV) and writing
//! the report with the machine and versions it ran on.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use faucet_bench::binaries::{self, Profile};
use faucet_bench::dataset;

use crate::report::{self, Series};
use crate::scenarios::{Bench, SCHEMA};
use crate::{AllSeries, Options};

pub(crate) async fn setup(opts: &Options) -> anyhow::Result<Bench> {
    let faucet = binaries::faucet(opts.profile)?;
    let fixture_bin = binaries::fixture_server(opts.profile)?;
    let naive = std::env::current_exe()?.with_file_name("naive-jsonl");
    if !naive.is_file() {
        bail!(
            "{} is missing: build it with `cargo build --release -p faucet-bench`",
            naive.display()
        );
    }
    let server = faucet_testkit::postgres::server();
    let pg_url = server.url().to_owned();
    let psql = match server.cluster() {
        Some(c) if c.bin_dir().join("psql").is_file() => c.bin_dir().join("psql"),
        _ => PathBuf::from("psql"),
    };
    let client = faucet_testkit::postgres::connect(&pg_url).await;
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"
        ))
        .await
        .context("cannot create the benchmark schema")?;
    let postmaster = postmaster_pid(&client).await;
    let work = tempfile::Builder::new()
        .prefix("faucet-bench-")
        .tempdir()?
        .keep();
    let csv = work.join("data.csv");
    eprintln!(
        "Writing {} records as CSV to {}",
        opts.records,
        csv.display()
    );
    dataset::write_csv(&csv, opts.records)?;
    Ok(Bench {
        faucet,
        fixture_bin,
        naive,
        psql,
        pg_url,
        client,
        work,
        csv,
        records: opts.records,
        page_size: opts.page_size,
        postmaster,
        api: std::cell::Cell::new(None),
    })
}

/// The postmaster of a server on this machine: the parent of our backend.
async fn postmaster_pid(client: &tokio_postgres::Client) -> Option<u32> {
    let row = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .ok()?;
    let backend: i32 = row.get(0);
    let stat = std::fs::read_to_string(format!("/proc/{backend}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The 1-minute load average now.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn machine(opts: &Options, bench: &Bench, all: &AllSeries) -> String {
    let pg = match bench.client.query_one("SELECT version()", &[]).await {
        Ok(row) => row.get::<_, String>(0),
        Err(e) => format!("unknown ({e})"),
    };
    let faucet = command_output(&bench.faucet.display().to_string(), &["--version"]);
    let root = binaries::workspace_root().display().to_string();
    let commit = command_output("git", &["-C", &root, "rev-parse", "--short", "HEAD"]);
    let dirty = command_output(
        "git",
        &["-C", &root, "status", "--porcelain", "--untracked-files=no"],
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "- Date: {} UTC",
        chrono::Utc::now().format("%Y-%m-%d %H:%M")
    );
    let _ = writeln!(
        out,
        "- Machine: {} cores ({}), {} memory; {}",
        command_output("nproc", &[]),
        cpu_model(),
        command_output("sh", &["-c", "free -h | awk '/Mem:/ {print $2}'"]),
        command_output("uname", &["-sr"]),
    );
    let _ = writeln!(
        out,
        "- 1-minute load average at the start of each run: {} (other work on this shared \
         machine competes for its 2 cores)",
        all.loads.join(", ")
    );
    let _ = writeln!(
        out,
        "- faucet: `{faucet}` ({}), commit {commit}{}",
        if opts.profile == Profile::Release {
            "release build"
        } else {
            "**debug** build: figures not meaningful"
        },
        if dirty.is_empty() || dirty == "unknown" {
            ""
        } else {
            " plus uncommitted changes in the work tree"
        }
    );
    let _ = writeln!(out, "- Rust: {}", command_output("rustc", &["--version"]));
    let _ = writeln!(
        out,
        "- PostgreSQL: {pg}; client {}",
        command_output(&bench.psql.display().to_string(), &["--version"])
    );
    out
}

pub(crate) async fn render(
    opts: &Options,
    bench: &Bench,
    all: &AllSeries,
    rss: &[(u64, Vec<f64>, Vec<String>)],
) -> String {
    let series: Vec<&Series> = vec![
        &all.append,
        &all.append_cursor,
        &all.upsert,
        &all.jsonl,
        &all.latency,
        &all.transformed,
        &all.children,
        &all.singer,
    ];
    let mut out = String::from(
        "# faucet benchmark results\n\nWritten by `bench/run.sh` (the `faucet-bench` orchestrator); do not edit by hand.\n\n",
    );
    out += &machine(opts, bench, all).await;
    let _ = writeln!(
        out,
        "- Command: `bench/run.sh --records {} --runs {} --rss-sizes {} --latency-records {} --page-size {}`\n",
        opts.records,
        opts.runs,
        opts.rss_sizes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        opts.latency_records,
        opts.page_size
    );
    out += "## Throughput against the ceiling\n\n";
    out += "Each run measures faucet and its baseline back to back; ratios are per run \
            (faucet ÷ baseline), then the median and range over runs. Records/s is records \
            divided by the wall time of the whole process (start, connect, read, write, commit). \
            \"vs binary `\\copy`\" is faucet's rate over the binary `\\copy` of the same run (the server's \
            own ingest limit; target ≥ 0.9× for append). CPU per record is the `faucet` process's user + \
            system time over the records it moved: the figure that depends least on the machine's load \
            (aim: ≤ 1 µs for append). Every scenario's peak RSS must stay under 48 MiB.\n\n";
    out += &report::throughput_table(&series);
    out += "\n### Where the time goes\n\nCPU time over wall time (1.00 = one core busy throughout; the machine has 2). \
            PostgreSQL's is the whole server's (postmaster, backends, background writers), read from /proc.\n\n";
    out += &report::cpu_table(&series);
    let _ = writeln!(
        out,
        "\nReference: `psql \\copy … (FORMAT binary)` of the same rows from a file (the server's own ingest limit): {} records/s.\n",
        match report::stats(&all.binary) {
            Some((m, lo, hi)) => format!(
                "{} ({}–{})",
                report::thousands(m),
                report::thousands(lo),
                report::thousands(hi)
            ),
            None => "not measured".to_owned(),
        }
    );
    out += "## Peak memory (scenario 6)\n\nPeak RSS of the `faucet run` process (its `VmHWM`, sampled every 2 ms), REST → JSON Lines; target: under 48 MiB at every size, flat.\n\n";
    if rss.is_empty() {
        out += "Not run: not selected with --scenarios.\n";
    } else {
        out += &report::rss_table(rss, report::RSS_LIMIT_MIB);
    }
    let failures = report::failures(&series);
    if !failures.is_empty() {
        out += "\n## Not measured\n\n";
        out += &failures;
    }
    out += &setup_notes();
    out
}

fn setup_notes() -> String {
    "\n## Setup\n\n\
     - Records: the fixture server's generated records (`faucet_testkit::fixture::record`), \
       served by the `faucet-fixture-server` process (its own process, 1 worker thread), \
       1,000 per page; the same records written as CSV for `\\copy`.\n\
     - Scenario 1 reads `/records/page` (page numbers, fetched concurrently at the source's \
       default concurrency); scenario 2 reads `/records/cursor` (`next_cursor`, one page after \
       another); both append into the same kind of table, against the same run's `\\copy`.\n\
     - Tables: identical for faucet and `\\copy` (bigint, text, text, double precision, \
       timestamptz, boolean, jsonb; primary key on `id` for upsert), created before each run.\n\
     - Scenario 3 loads the table with `\\copy` first (not timed), then faucet upserts every \
       row again; its baseline is the CSV `\\copy` rate of the same run.\n\
     - Scenario 4's baseline is `bench/src/bin/naive-jsonl.rs`: one reqwest client fetching \
       pages in turn, `serde_json` parse, one line per record, buffered writes.\n\
     - Scenario 5: a fixture server adding 20 ms before every response; faucet at \
       `concurrency: 8` vs `concurrency: 1`; the ratio is rate(8) ÷ rate(1).\n\
     - Scenario 8: `faucet-fixture-server --api shop` (100 accounts, 1,000 orders each, 20 ms \
       before every response); the REST source reads `accounts` and, per account, its `orders` \
       (cursor, 100 a page) with `concurrency: 8` and `parent_concurrency: 8` into JSON Lines, \
       a `filter` dropping the accounts (one stream per sink in this version); the baseline is \
       the ideal wall time (101 × 20 ms × 10 pages) ÷ 8, the ratio ideal ÷ wall.\n\
     - Scenario 9: the benchmark's records in a table (primary key on `id`) read by \
       meltanolabs-tap-postgres 0.10.0 (full table, catalog discovered once, not timed), into \
       PostgreSQL: faucet through `faucet-source-singer` and its PostgreSQL sink (append, a table \
       it creates from the tap's schema; `bench/src/bin/singer-faucet.rs`) against the same tap \
       piped into meltanolabs-target-postgres 0.8.1 (defaults), each into a fresh table; both \
       wall times include the tap's start-up; every run checks both tables' row counts. The \
       Python tools install into cached virtualenvs (`FAUCET_TEST_VENVS`).\n\
     - The first run of scenarios 1, 2 and 3 checks the whole table against the source \
       (count, distinct ids, payload checksum); later runs check the count.\n"
        .to_owned()
}
