//! Scenario 9: a Singer tap into PostgreSQL, faucet against what a
//! Meltano user runs today.
//!
//! The benchmark's records (the CSV of the other scenarios, `--records`
//! rows) are loaded into a table that meltanolabs-tap-postgres 0.10.0
//! reads (full table, the catalog discovered once and not timed). faucet
//! runs the tap through `faucet-source-singer` into its PostgreSQL sink
//! (append, binary `COPY`), as `bench/src/bin/singer-faucet.rs`; the
//! baseline is the same tap piped into meltanolabs-target-postgres 0.8.1
//! (`tap-postgres … | target-postgres …`). Both write a fresh table of
//! their own; the ratio is faucet's records/s over the baseline's, wall
//! time of the whole process (tap start-up included on both sides).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::report::Series;
use crate::scenarios::{Bench, Measured, SCHEMA, record};

/// The table the tap reads.
const SOURCE: &str = "singer_source";
/// faucet's table.
const FAUCET_TABLE: &str = "singer_faucet";
/// The schema target-postgres writes into.
const TARGET_SCHEMA: &str = "faucet_bench_singer_target";

/// The scenario's series.
pub(crate) fn series(records: u64) -> Series {
    Series::new(
        "9. Singer tap-postgres → PostgreSQL",
        records,
        "same tap → meltanolabs-target-postgres 0.8.1",
        "≥ 1.5×",
        1.5,
    )
}

/// What every run shares: the installed tools and the files they read.
pub(crate) struct Singer {
    tap: PathBuf,
    target: PathBuf,
    tap_config: PathBuf,
    target_config: PathBuf,
    catalog: PathBuf,
    faucet: PathBuf,
}

/// `host`, `port`, `user`, `password`, `database` of a
/// `postgresql://user[:password]@host[:port]/database` URL.
fn connection(url: &str) -> anyhow::Result<Value> {
    let rest = url.split_once("://").context("a URL")?.1;
    let (auth, rest) = rest.split_once('@').context("a user in the URL")?;
    let (host_port, database) = rest.split_once('/').context("a database in the URL")?;
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    let (user, password) = auth
        .split_once(':')
        .unwrap_or((auth, "unused-with-trust-auth"));
    Ok(json!({
        "host": host,
        "port": port.parse::<u16>()?,
        "user": user,
        "password": password,
        "database": database.split('?').next().unwrap_or(database),
    }))
}

impl Singer {
    /// Installs the tap and the target (cached virtualenvs), loads the
    /// source table and writes the tap's catalog with it selected.
    pub(crate) async fn setup(bench: &Bench) -> anyhow::Result<Self> {
        let faucet = std::env::current_exe()?.with_file_name("singer-faucet");
        if !faucet.is_file() {
            bail!(
                "{} is missing: build it with `cargo build --release -p faucet-bench`",
                faucet.display()
            );
        }
        eprintln!("Installing meltanolabs-tap-postgres and meltanolabs-target-postgres");
        let tap =
            faucet_testkit::python::tool("meltanolabs-tap-postgres", "0.10.0", "tap-postgres");
        let target =
            faucet_testkit::python::tool("meltanolabs-target-postgres", "0.8.1", "target-postgres");
        let table = format!("{SCHEMA}.{SOURCE}");
        let sql = format!(
            "DROP TABLE IF EXISTS {table}; {}",
            faucet_bench::dataset::create_table_sql(&table, true)
        );
        bench.client.batch_execute(&sql).await?;
        bench.psql(&format!(
            "\\copy {table} FROM '{}' WITH (FORMAT csv)",
            bench.csv.display()
        ))?;
        let mut tap_config = connection(&bench.pg_url)?;
        tap_config["filter_schemas"] = json!([SCHEMA]);
        let mut target_config = connection(&bench.pg_url)?;
        target_config["default_target_schema"] = json!(TARGET_SCHEMA);
        let tap_config_path = bench.work.join("singer-tap-config.json");
        let target_config_path = bench.work.join("singer-target-config.json");
        std::fs::write(&tap_config_path, tap_config.to_string())?;
        std::fs::write(&target_config_path, target_config.to_string())?;
        let catalog = bench.work.join("singer-catalog.json");
        let out = Command::new(&tap)
            .arg("--config")
            .arg(&tap_config_path)
            .arg("--discover")
            .output()?;
        if !out.status.success() {
            bail!(
                "tap-postgres --discover failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut discovered: Value = serde_json::from_slice(&out.stdout)?;
        select_only(&mut discovered, &format!("{SCHEMA}-{SOURCE}"))?;
        std::fs::write(&catalog, discovered.to_string())?;
        Ok(Self {
            tap,
            target,
            tap_config: tap_config_path,
            target_config: target_config_path,
            catalog,
            faucet,
        })
    }

    /// faucet's run: the tap through faucet-source-singer into a fresh table.
    async fn faucet_run(&self, bench: &Bench, run: u32) -> anyhow::Result<Measured> {
        let table = format!("{SCHEMA}.{FAUCET_TABLE}");
        bench
            .client
            .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
            .await?;
        let config: Value = serde_json::from_slice(&std::fs::read(&self.tap_config)?)?;
        let spec = json!({
            "name": format!("bench-singer-{run}"),
            "source": {
                "executable": self.tap,
                "config": config,
                "catalog": self.catalog,
                "page_records": 5000,
            },
            "sink": {"url": bench.pg_url, "schema": SCHEMA, "table": FAUCET_TABLE, "batch_rows": 100000},
        });
        let spec_path = bench.work.join("singer-faucet.json");
        std::fs::write(&spec_path, spec.to_string())?;
        let (exit, measured) = bench.measure(Command::new(&self.faucet).arg(&spec_path))?;
        if !exit.success() {
            bail!("singer-faucet failed: {}", exit.describe());
        }
        expect_rows(bench, &table).await?;
        bench
            .client
            .batch_execute(&format!("DROP TABLE {table}"))
            .await?;
        Ok(measured)
    }

    /// The baseline's run: `tap-postgres | target-postgres` into a fresh schema.
    async fn baseline_run(&self, bench: &Bench) -> anyhow::Result<Measured> {
        let reset =
            format!("DROP SCHEMA IF EXISTS {TARGET_SCHEMA} CASCADE; CREATE SCHEMA {TARGET_SCHEMA}");
        bench.client.batch_execute(&reset).await?;
        let script = format!(
            "set -o pipefail; '{}' --config '{}' --catalog '{}' | '{}' --config '{}' > /dev/null",
            self.tap.display(),
            self.tap_config.display(),
            self.catalog.display(),
            self.target.display(),
            self.target_config.display()
        );
        let (exit, measured) = bench.measure(Command::new("bash").arg("-c").arg(&script))?;
        if !exit.success() {
            bail!("tap-postgres | target-postgres failed: {}", exit.describe());
        }
        let row = bench
            .client
            .query_one(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
                &[&TARGET_SCHEMA],
            )
            .await
            .context("target-postgres made no table")?;
        let table: String = row.get(0);
        expect_rows(bench, &format!("{TARGET_SCHEMA}.\"{table}\"")).await?;
        Ok(measured)
    }
}

/// Marks exactly `stream` selected in a discovered catalog.
fn select_only(catalog: &mut Value, stream: &str) -> anyhow::Result<()> {
    let mut found = false;
    for entry in catalog["streams"].as_array_mut().context("a catalog")? {
        let on = entry["tap_stream_id"] == json!(stream);
        found |= on;
        entry["selected"] = json!(on);
        for meta in entry["metadata"].as_array_mut().into_iter().flatten() {
            if meta["breadcrumb"] == json!([]) {
                meta["metadata"]["selected"] = json!(on);
            }
        }
    }
    if !found {
        bail!("tap-postgres discovered no stream {stream}");
    }
    Ok(())
}

async fn expect_rows(bench: &Bench, table: &str) -> anyhow::Result<()> {
    let count = faucet_bench::verify::pg_count(&bench.client, table).await;
    if count != bench.records {
        bail!("{table} holds {count} rows, expected {}", bench.records);
    }
    Ok(())
}

/// Scenario 9, one run: the baseline, then faucet, recorded in `series`.
pub(crate) async fn run(bench: &Bench, series: &mut Series, singer: &Singer, run: u32) {
    bench.api.set(None);
    let baseline = singer.baseline_run(bench).await;
    let faucet = singer.faucet_run(bench, run).await;
    record(series, bench.records, &faucet, &baseline, None);
}
