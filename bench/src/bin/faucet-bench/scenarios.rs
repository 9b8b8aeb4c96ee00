//! The scenarios of the benchmark, each measured next to its baseline in
//! the same run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::process::{Child, Exit, FixtureProcess, tree_cpu};
use faucet_bench::verify;

use crate::report::Series;

/// A `faucet run` longer than this is killed and reported as a failure.
const RUN_DEADLINE: Duration = Duration::from_secs(1800);

/// Everything the scenarios share.
pub(crate) struct Bench {
    pub(crate) faucet: PathBuf,
    pub(crate) fixture_bin: PathBuf,
    pub(crate) naive: PathBuf,
    pub(crate) psql: PathBuf,
    pub(crate) pg_url: String,
    pub(crate) client: tokio_postgres::Client,
    pub(crate) work: PathBuf,
    pub(crate) csv: PathBuf,
    pub(crate) records: u64,
    pub(crate) page_size: u64,
    /// The local PostgreSQL server's postmaster, for its CPU time.
    pub(crate) postmaster: Option<u32>,
    /// The fixture server process serving the current scenario, for its
    /// CPU time.
    pub(crate) api: std::cell::Cell<Option<u32>>,
}

/// One measured process: the figures a series records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured {
    /// Wall time from spawn to exit.
    pub(crate) wall: Duration,
    /// The process's CPU time.
    pub(crate) cpu: Duration,
    /// The process's peak RSS in MiB.
    pub(crate) rss_mib: f64,
    /// CPU time the PostgreSQL server used meanwhile, when it is local.
    pub(crate) server_cpu: Option<Duration>,
    /// CPU time the fixture API server used meanwhile.
    pub(crate) api_cpu: Option<Duration>,
}

/// The schema every benchmark table lives in.
pub(crate) const SCHEMA: &str = "faucet_bench";

impl Bench {
    fn table(name: &str) -> String {
        format!("{SCHEMA}.{name}")
    }

    async fn recreate(&self, name: &str, primary_key: bool) -> anyhow::Result<()> {
        let table = Self::table(name);
        let sql = format!(
            "DROP TABLE IF EXISTS {table}; {}",
            faucet_bench::dataset::create_table_sql(&table, primary_key)
        );
        self.client.batch_execute(&sql).await?;
        Ok(())
    }

    async fn drop_table(&self, name: &str) -> anyhow::Result<()> {
        let sql = format!("DROP TABLE IF EXISTS {}", Self::table(name));
        self.client.batch_execute(&sql).await?;
        Ok(())
    }

    /// Runs `cmd` to its end, with the server's CPU time meanwhile.
    pub(crate) fn measure(&self, cmd: &mut Command) -> anyhow::Result<(Exit, Measured)> {
        let server_before = self.postmaster.and_then(tree_cpu);
        let api_before = self.api.get().and_then(tree_cpu);
        let exit = Child::spawn(cmd)?.wait(RUN_DEADLINE)?;
        let server_after = self.postmaster.and_then(tree_cpu);
        let api_after = self.api.get().and_then(tree_cpu);
        let measured = Measured {
            wall: exit.wall,
            cpu: exit.cpu,
            rss_mib: exit.peak_rss_mib(),
            server_cpu: server_before
                .zip(server_after)
                .map(|(b, a)| a.saturating_sub(b)),
            api_cpu: api_before.zip(api_after).map(|(b, a)| a.saturating_sub(b)),
        };
        Ok((exit, measured))
    }

    /// Runs one `psql` meta-command.
    pub(crate) fn psql(&self, command: &str) -> anyhow::Result<Measured> {
        let (exit, measured) = self.measure(
            Command::new(&self.psql)
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
                .arg(&self.pg_url)
                .arg("-c")
                .arg(command),
        )?;
        if !exit.success() {
            bail!("psql failed: {}", exit.describe());
        }
        Ok(measured)
    }

    /// `\copy` of the CSV into a fresh table: the ceiling's wall time.
    pub(crate) async fn copy_csv(&self, name: &str, primary_key: bool) -> anyhow::Result<Measured> {
        self.recreate(name, primary_key).await?;
        let measured = self.psql(&format!(
            "\\copy {} FROM '{}' WITH (FORMAT csv)",
            Self::table(name),
            self.csv.display()
        ))?;
        self.expect_count(name).await?;
        Ok(measured)
    }

    /// `\copy … (FORMAT binary)` of the same rows from a file made once
    /// from a loaded table: the server's own ingest limit.
    pub(crate) async fn copy_binary(&self, from: &str, name: &str) -> anyhow::Result<Measured> {
        let file = self.work.join("data.bin");
        if !file.exists() {
            self.psql(&format!(
                "\\copy {} TO '{}' WITH (FORMAT binary)",
                Self::table(from),
                file.display()
            ))?;
        }
        self.recreate(name, false).await?;
        let measured = self.psql(&format!(
            "\\copy {} FROM '{}' WITH (FORMAT binary)",
            Self::table(name),
            file.display()
        ))?;
        self.expect_count(name).await?;
        self.drop_table(name).await?;
        Ok(measured)
    }

    async fn expect_count(&self, name: &str) -> anyhow::Result<()> {
        let count = verify::pg_count(&self.client, &Self::table(name)).await;
        if count != self.records {
            bail!("{name} holds {count} rows, expected {}", self.records);
        }
        Ok(())
    }

    /// Runs `faucet run` on `pipeline`, written to a file named `name`.
    pub(crate) fn faucet_run(
        &self,
        name: &str,
        pipeline: &serde_json::Value,
    ) -> anyhow::Result<Measured> {
        // One file name per scenario (no run number), so failure reasons
        // read the same across runs and are reported once.
        let stem = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
        let file = self.work.join(format!("{stem}.yaml"));
        pipeline::write(&file, pipeline)?;
        let (exit, measured) = self.measure(Command::new(&self.faucet).arg("run").arg(&file))?;
        if !exit.success() {
            bail!("`faucet run` failed: {}", first_error_line(&exit));
        }
        Ok(measured)
    }

    fn rest(&self, url: &str) -> RestSource {
        RestSource::new(url, Style::PageNumber, self.page_size)
    }

    /// Scenarios 1 and 2, one run: REST → PostgreSQL append into a table
    /// identical to the ceiling's, the API read with page numbers (pages
    /// fetched concurrently) or with a cursor (one page after another).
    pub(crate) async fn append(
        &self,
        url: &str,
        style: Style,
        run: u32,
        verify_all: bool,
    ) -> anyhow::Result<Measured> {
        let (name, file) = match style {
            Style::Cursor => ("faucet_append_cursor", "append-cursor"),
            _ => ("faucet_append", "append"),
        };
        self.recreate(name, false).await?;
        let sink = pipeline::postgres_sink(&self.pg_url, SCHEMA, name, PgMode::Append, 100_000);
        let source = RestSource::new(url, style, self.page_size);
        let p = pipeline::pipeline(&format!("bench-{file}-{run}"), source.to_value(), sink);
        let measured = self.faucet_run(file, &p)?;
        self.check_table(name, verify_all).await?;
        self.drop_table(name).await?;
        Ok(measured)
    }

    /// Scenario 7, one run: scenario 1 with three transforms that keep
    /// every record and all of its data (`select` of every field, `rename`
    /// of one, a `filter` true for all), into a table the sink creates.
    pub(crate) async fn append_transformed(&self, url: &str, run: u32) -> anyhow::Result<Measured> {
        let name = "faucet_transformed";
        self.drop_table(name).await?;
        let sink = pipeline::postgres_sink(&self.pg_url, SCHEMA, name, PgMode::Append, 100_000);
        let source = RestSource::new(url, Style::PageNumber, self.page_size);
        let mut p =
            pipeline::pipeline(&format!("bench-transformed-{run}"), source.to_value(), sink);
        p["transforms"] = serde_json::json!([
            {"type": "select", "fields": [
                "id", "first_name", "country", "amount", "created_at", "active", "attributes"
            ]},
            {"type": "rename", "fields": {"first_name": "name"}},
            {"type": "filter", "where": "amount >= 0.0"},
        ]);
        let measured = self.faucet_run("transformed", &p)?;
        self.expect_count(name).await?;
        self.drop_table(name).await?;
        Ok(measured)
    }

    /// Scenario 3, one run: REST → PostgreSQL upsert into a table that
    /// already holds every row.
    pub(crate) async fn upsert(
        &self,
        url: &str,
        run: u32,
        verify_all: bool,
    ) -> anyhow::Result<Measured> {
        let name = "faucet_upsert";
        self.copy_csv(name, true).await?;
        self.client
            .batch_execute(&format!("VACUUM ANALYZE {}", Self::table(name)))
            .await?;
        let sink = pipeline::postgres_sink(&self.pg_url, SCHEMA, name, PgMode::Upsert, 100_000);
        let p = pipeline::pipeline(
            &format!("bench-upsert-{run}"),
            self.rest(url).to_value(),
            sink,
        );
        let measured = self.faucet_run("upsert", &p)?;
        self.check_table(name, verify_all).await?;
        self.drop_table(name).await?;
        Ok(measured)
    }

    async fn check_table(&self, name: &str, verify_all: bool) -> anyhow::Result<()> {
        if !verify_all {
            return self.expect_count(name).await;
        }
        let got = verify::pg_digest(&self.client, &Self::table(name)).await?;
        let want = faucet_bench::dataset::expected_digest(self.records);
        if got != want {
            bail!("{name} does not hold the source's records: {got}, expected {want}");
        }
        Ok(())
    }

    /// REST → JSON Lines with `source`, checking the output.
    pub(crate) fn jsonl(
        &self,
        source: RestSource,
        name: &str,
        records: u64,
    ) -> anyhow::Result<Measured> {
        let out = self.work.join(format!("{name}.jsonl"));
        remove_output(&out);
        let sink = pipeline::jsonl_sink(&out, 20_000);
        let p = pipeline::pipeline(name, source.to_value(), sink);
        let measured = self.faucet_run(name, &p)?;
        let lines = verify::line_count(&out);
        remove_output(&out);
        if lines != records {
            bail!("{name}: the output has {lines} lines, expected {records}");
        }
        Ok(measured)
    }

    /// Scenario 4, one run: REST → JSON Lines (page size as configured,
    /// the source's default concurrency).
    pub(crate) fn jsonl_default(&self, url: &str, run: u32) -> anyhow::Result<Measured> {
        self.jsonl(self.rest(url), &format!("jsonl-{run}"), self.records)
    }

    /// Scenario 4's baseline: one reqwest client fetching pages in turn.
    pub(crate) fn naive(&self, url: &str, run: u32) -> anyhow::Result<Measured> {
        let out = self.work.join(format!("naive-{run}.jsonl"));
        let (exit, measured) = self.measure(
            Command::new(&self.naive)
                .arg(format!("{url}/records/page"))
                .arg(self.page_size.to_string())
                .arg(&out),
        )?;
        let lines = verify::line_count(&out);
        let _ = std::fs::remove_file(&out);
        if !exit.success() {
            bail!("naive loop failed: {}", exit.describe());
        }
        if lines != self.records {
            bail!("naive loop wrote {lines} lines, expected {}", self.records);
        }
        Ok(measured)
    }

    /// Starts a fixture server process of `records` records.
    pub(crate) fn fixture(&self, records: u64, latency_ms: u64) -> anyhow::Result<FixtureProcess> {
        FixtureProcess::start(&self.fixture_bin, records, self.page_size, latency_ms, 1)
            .context("cannot start the fixture server")
    }
}

fn remove_output(out: &Path) {
    let _ = std::fs::remove_file(out);
    let mut state = out.as_os_str().to_owned();
    state.push(".faucet-state.json");
    let _ = std::fs::remove_file(state);
}

/// The most useful lines of a failed run's stderr: from the first naming
/// an error (else the last non-empty one), up to three lines.
fn first_error_line(exit: &Exit) -> String {
    let lines: Vec<&str> = exit
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines
        .iter()
        .position(|l| l.to_lowercase().contains("error"))
        .unwrap_or(lines.len().saturating_sub(1));
    let text = lines
        .iter()
        .skip(start)
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let text: String = text.chars().take(400).collect();
    let text = if text.is_empty() {
        "(no stderr)".to_owned()
    } else {
        text
    };
    format!("{} — {}", exit.status, text.replace('|', "\\|"))
}

/// Adds one run's figures to `series`: records/s of faucet and of the
/// baseline (both must be measured for the run to count), and of the
/// binary `\copy` of the same run when there is one to compare with.
pub(crate) fn record(
    series: &mut Series,
    records: u64,
    faucet: &anyhow::Result<Measured>,
    baseline: &anyhow::Result<Measured>,
    binary: Option<&Measured>,
) {
    match (faucet, baseline) {
        (Ok(f), Ok(b)) => {
            let rate = |m: &Measured| records as f64 / m.wall.as_secs_f64();
            series.faucet.push(rate(f));
            series.baseline.push(rate(b));
            series.binary.push(binary.map(rate));
            series.rss_mib.push(f.rss_mib);
            series
                .cores
                .push(f.cpu.as_secs_f64() / f.wall.as_secs_f64());
            series
                .cpu_us_per_record
                .push(f.cpu.as_secs_f64() * 1e6 / records.max(1) as f64);
            let server =
                |m: &Measured| m.server_cpu.map(|c| c.as_secs_f64() / m.wall.as_secs_f64());
            series.server_cores.extend(server(f));
            series
                .api_cores
                .extend(f.api_cpu.map(|c| c.as_secs_f64() / f.wall.as_secs_f64()));
            series.baseline_server_cores.extend(server(b));
            eprintln!(
                "  {}: faucet {:.0}/s vs {:.0}/s, {:.2} µs CPU/record, RSS {:.1} MiB",
                series.title,
                rate(f),
                rate(b),
                f.cpu.as_secs_f64() * 1e6 / records.max(1) as f64,
                f.rss_mib
            );
        }
        (Err(err), _) | (_, Err(err)) => series.fail(format!("{err:#}")),
    }
}
