//! Load benchmark: faucet's PostgreSQL sink against `psql \copy`.
//!
//! Loads N records of the shape `{id, first_name, country, amount,
//! created_at, active, attributes: {tier, score, tags[]}}` and prints, from
//! the same run on the same server, rows/s of:
//!
//! - `psql \copy` from a CSV file (the ceiling a user would reach by hand),
//! - `psql \copy` from a binary COPY file (the server's own limit),
//! - faucet append (a pipeline from in-memory pages into a new table),
//! - faucet upsert into a table already holding the rows (key `id`),
//! - tokio-postgres's own `BinaryCopyInWriter` fed the same records
//!   (converted to typed values), in one transaction: the alternative to
//!   faucet's hand-rolled encoder,
//!
//! each as the median of several runs, with faucet's ratios to the CSV
//! ceiling, and faucet's own CPU time per record (user + system of this
//! process, which does not include the server's: the figure that does
//! not depend on the machine's load). Pages are built before the clock starts, so the figures are the
//! sink's (encode + stream + commit), not a source's.
//!
//! ```text
//! cargo bench -p faucet-sink-postgres --bench load             # 1,000,000 rows, 3 runs
//! FAUCET_BENCH_ROWS=20000 FAUCET_BENCH_RUNS=1 cargo bench -p faucet-sink-postgres --bench load
//! ```
//!
//! Records are JSON text by default, as a JSON source delivers them
//! (`FAUCET_BENCH_RECORDS=tree` loads trees made with `json!` instead).
//!
//! PostgreSQL comes from `faucet_testkit::postgres` (`FAUCET_TEST_DATABASE_URL`,
//! a local server, or a throwaway cluster).

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use bytes::BufMut;
use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_core::futures::StreamExt;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
use faucet_testkit::postgres;

const PAGE: usize = 1_000;
const COLUMNS: &str = "id bigint, first_name text, country text, amount double precision, \
                       created_at timestamptz, active boolean, attributes jsonb";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a bare number sets the row count.
    let arg_rows = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok());
    let rows = arg_rows.unwrap_or_else(|| env_usize("FAUCET_BENCH_ROWS", 1_000_000));
    let runs = env_usize("FAUCET_BENCH_RUNS", 3).max(1);
    let server = postgres::server();
    let psql = psql_path(server);
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let schema = runtime.block_on(server.fresh_schema());
    let url = schema.url().to_owned();

    println!("faucet-sink-postgres load benchmark: {rows} rows, {runs} runs, pages of {PAGE}");
    let csv = dir.path().join("rows.csv");
    let bin = dir.path().join("rows.bin");
    write_files(rows, &csv, &bin);

    let mut cpu: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut results: Vec<(&str, Vec<f64>)> = vec![
        ("psql \\copy CSV", Vec::new()),
        ("psql \\copy binary", Vec::new()),
        ("faucet append", Vec::new()),
        ("faucet upsert (rows present)", Vec::new()),
        ("BinaryCopyInWriter (1 txn)", Vec::new()),
    ];
    for run in 0..runs {
        let sql = |s: &str| {
            runtime
                .block_on(schema.client().batch_execute(s))
                .expect("setup SQL")
        };
        sql(&format!(
            "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling ({COLUMNS})"
        ));
        results[0]
            .1
            .push(rate(rows, || psql_copy(&psql, &url, &csv, "csv")));
        sql(&format!(
            "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling ({COLUMNS})"
        ));
        results[1]
            .1
            .push(rate(rows, || psql_copy(&psql, &url, &bin, "binary")));

        sql("DROP TABLE IF EXISTS appended; DROP TABLE IF EXISTS faucet_state");
        let append = config(&url, schema.name(), "appended", WriteMode::Append);
        let (rate, us) = runtime.block_on(faucet_rate(rows, append, "append"));
        results[2].1.push(rate);
        cpu[0].push(us);

        // Upsert: the table holds the rows (with its primary key) already.
        if run == 0 {
            sql("DROP TABLE IF EXISTS upserted");
            let mut seed = config(&url, schema.name(), "upserted", WriteMode::Append);
            seed.key = vec!["id".into()];
            runtime.block_on(faucet_rate(rows, seed, "seed"));
        }
        sql("DELETE FROM faucet_state WHERE pipeline = 'upsert'");
        let mut upsert = config(&url, schema.name(), "upserted", WriteMode::Upsert);
        upsert.key = vec!["id".into()];
        let (rate, us) = runtime.block_on(faucet_rate(rows, upsert, "upsert"));
        results[3].1.push(rate);
        cpu[1].push(us);

        sql(&format!(
            "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling ({COLUMNS})"
        ));
        results[4].1.push(runtime.block_on(writer_rate(rows, &url)));
        eprintln!("run {} of {runs} done", run + 1);
    }
    report(&results);
    println!();
    for (name, us) in [("append", &cpu[0]), ("upsert", &cpu[1])] {
        println!(
            "faucet {name}: {:.2} µs CPU per record (median)",
            median(us)
        );
    }
}

/// This process's CPU time (user + system, all threads) in seconds, from
/// `/proc/self/stat`; 0 where that file does not exist.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces): utime is the
    // 12th, stime the 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

fn config(url: &str, schema: &str, table: &str, mode: WriteMode) -> PostgresSinkConfig {
    let mut config = PostgresSinkConfig::new(url, table);
    config.schema = schema.to_owned();
    config.mode = mode;
    config
}

fn rate(rows: usize, f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    rows as f64 / start.elapsed().as_secs_f64()
}

/// Runs a pipeline from pre-built pages into the sink; rows/s and CPU µs
/// per record.
async fn faucet_rate(rows: usize, config: PostgresSinkConfig, name: &str) -> (f64, f64) {
    let source = Prebuilt(Mutex::new(pages(rows)));
    let sink = PostgresSink::new(config).expect("valid config");
    let cpu = cpu_seconds();
    let start = Instant::now();
    let report = Pipeline::new(source, sink)
        .with_name(name)
        .run()
        .await
        .expect("faucet run");
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(report.progress.records_written, rows as u64);
    (rows as f64 / secs, cpu * 1e6 / rows as f64)
}

/// The same records through tokio-postgres's `BinaryCopyInWriter`, typed
/// per row, in one transaction; rows/s.
async fn writer_rate(rows: usize, url: &str) -> f64 {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    let pages = pages(rows);
    let client = postgres::connect(url).await;
    let start = Instant::now();
    client.batch_execute("BEGIN").await.expect("begin");
    let sink = client
        .copy_in("COPY ceiling FROM STDIN (FORMAT binary)")
        .await
        .expect("copy");
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::FLOAT8,
        Type::TIMESTAMPTZ,
        Type::BOOL,
        Type::JSONB,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for page in &pages {
        for r in page.records() {
            let created = chrono::DateTime::parse_from_rfc3339(r["created_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc);
            let row: [&(dyn ToSql + Sync); 7] = [
                &r["id"].as_i64().unwrap(),
                &r["first_name"].as_str().unwrap(),
                &r["country"].as_str().unwrap(),
                &r["amount"].as_f64().unwrap(),
                &created,
                &r["active"].as_bool().unwrap(),
                &r["attributes"],
            ];
            writer.as_mut().write(&row).await.expect("write row");
        }
    }
    writer.finish().await.expect("finish");
    client.batch_execute("COMMIT").await.expect("commit");
    rows as f64 / start.elapsed().as_secs_f64()
}

/// Pages made before the clock starts, handed out in order.
struct Prebuilt(Mutex<Vec<Page>>);

#[async_trait]
impl Source for Prebuilt {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(Vec::new())
    }
    fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
        let pages = std::mem::take(&mut *self.0.lock().expect("not poisoned"));
        faucet_core::futures::stream::iter(pages.into_iter().map(Ok)).boxed()
    }
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }
}

fn record(i: usize) -> Value {
    const NAMES: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const COUNTRIES: [&str; 6] = ["FR", "DE", "JP", "US", "BR", "IN"];
    const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
    let secs = 1_700_000_000 + (i as i64 * 37) % 31_536_000;
    let created =
        chrono::DateTime::from_timestamp(secs, (i % 1000) as u32 * 1_000_000).expect("valid time");
    json!({
        "id": i,
        "first_name": format!("{}{}", NAMES[i % NAMES.len()], i % 997),
        "country": COUNTRIES[i % COUNTRIES.len()],
        "amount": (i % 100_000) as f64 / 100.0 + 0.25,
        "created_at": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "active": !i.is_multiple_of(3),
        "attributes": {
            "tier": TIERS[i % TIERS.len()],
            "score": (i % 1000) as f64 / 7.0,
            "tags": ["t1", format!("t{}", i % 10)],
        },
    })
}

fn pages(rows: usize) -> Vec<Page> {
    let trees = std::env::var("FAUCET_BENCH_RECORDS").is_ok_and(|v| v == "tree");
    let make = |i: usize| {
        let value = record(i);
        if trees {
            Record::from_value(value)
        } else {
            Record::from_json(value.to_string()).expect("valid JSON")
        }
    };
    (0..rows)
        .step_by(PAGE)
        .map(|start| {
            let end = (start + PAGE).min(rows);
            Page::new((start..end).map(make).collect()).with_checkpoint(json!({"next": end}))
        })
        .collect()
}

/// The same rows as CSV and as a binary COPY file.
fn write_files(rows: usize, csv: &Path, bin: &Path) {
    let mut c = std::io::BufWriter::new(std::fs::File::create(csv).expect("csv file"));
    let mut b = bytes::BytesMut::new();
    b.put_slice(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0");
    for i in 0..rows {
        let r = record(i);
        let attributes = r["attributes"].to_string();
        let created = r["created_at"].as_str().expect("string");
        let micros = chrono::DateTime::parse_from_rfc3339(created)
            .expect("rfc3339")
            .timestamp_micros()
            - 946_684_800_000_000;
        writeln!(
            c,
            "{},{},{},{},{},{},\"{}\"",
            r["id"],
            r["first_name"].as_str().unwrap(),
            r["country"].as_str().unwrap(),
            r["amount"],
            created,
            r["active"],
            attributes.replace('"', "\"\"")
        )
        .expect("write csv");
        b.put_i16(7);
        b.put_i32(8);
        b.put_i64(r["id"].as_i64().unwrap());
        for s in [
            r["first_name"].as_str().unwrap(),
            r["country"].as_str().unwrap(),
        ] {
            b.put_i32(s.len() as i32);
            b.put_slice(s.as_bytes());
        }
        b.put_i32(8);
        b.put_f64(r["amount"].as_f64().unwrap());
        b.put_i32(8);
        b.put_i64(micros);
        b.put_i32(1);
        b.put_u8(u8::from(r["active"].as_bool().unwrap()));
        b.put_i32(attributes.len() as i32 + 1);
        b.put_u8(1);
        b.put_slice(attributes.as_bytes());
    }
    b.put_i16(-1);
    c.flush().expect("flush csv");
    std::fs::write(bin, &b).expect("binary file");
}

fn psql_path(server: &postgres::PgServer) -> String {
    if let Some(dir) = server.cluster().map(|c| c.bin_dir().join("psql"))
        && dir.is_file()
    {
        return dir.display().to_string();
    }
    "psql".to_owned()
}

fn psql_copy(psql: &str, url: &str, file: &Path, format: &str) {
    let command = format!(
        "\\copy ceiling FROM '{}' WITH (FORMAT {format})",
        file.display()
    );
    let out = Command::new(psql)
        .args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &command])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

fn report(results: &[(&str, Vec<f64>)]) {
    let ceiling = median(&results[0].1);
    let binary = median(&results[1].1);
    println!();
    println!(
        "{:<30} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "scenario", "median/s", "min/s", "max/s", "vs CSV", "vs binary"
    );
    for (name, values) in results {
        let m = median(values);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(0.0, f64::max);
        println!(
            "{name:<30} {m:>12.0} {min:>12.0} {max:>12.0} {:>9.2}x {:>9.2}x",
            m / ceiling,
            m / binary
        );
    }
}
