//! Scenario 10, `faucet serve` under load: runs in flight at once while
//! clients poll `GET /runs/{id}` and one follows the server-sent events of
//! a run, against the same runs as `faucet run` processes side by side.
//!
//! ```text
//! faucet-serve-load [--records N] [--runs-in-flight R] [--pollers C]
//!                   [--poll-ms MS] [--reps K] [--page-size P] [--out FILE]
//!                   [--serve-workers W]
//! ```
//!
//! Each repetition runs R pipelines (REST page numbers → JSON Lines, N
//! records each, from one `faucet-fixture-server` process) twice: as R
//! `faucet run` processes started together, and as R runs started with
//! `POST /runs` on one `faucet serve` while C clients (each its own
//! connection) poll the runs round-robin every MS milliseconds and one
//! client follows run 1's events to their end. Throughput is records
//! written over the wall time from the start (process spawn, or the first
//! `POST`) to the end of the last run; every output file is checked to
//! hold N distinct records. CPU per record is the user + system time of
//! the `faucet` processes (the four runs; the server, polls served
//! included) over the records written: the figure that depends least on
//! the machine's other load. `--serve-workers` sets the server's
//! `TOKIO_WORKER_THREADS` (default: tokio's, one per core). Prints a
//! Markdown section (and writes it to `--out`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use faucet_bench::binaries::{self, Profile};
use faucet_bench::pipeline::{self, RestSource, Style};
use faucet_bench::process::{Child, FixtureProcess};
use faucet_bench::verify;
use serde_json::Value;

mod report;

/// The scenario's settings.
#[derive(Debug, Clone)]
struct Settings {
    records: u64,
    runs: usize,
    pollers: usize,
    poll_ms: u64,
    reps: usize,
    page_size: u64,
    out: Option<PathBuf>,
    serve_workers: Option<usize>,
}

fn settings() -> anyhow::Result<Settings> {
    let mut s = Settings {
        records: 250_000,
        runs: 4,
        pollers: 50,
        poll_ms: 100,
        reps: 3,
        page_size: 1000,
        out: None,
        serve_workers: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--records" => s.records = value.parse()?,
            "--runs-in-flight" => s.runs = value.parse()?,
            "--pollers" => s.pollers = value.parse()?,
            "--poll-ms" => s.poll_ms = value.parse()?,
            "--reps" => s.reps = value.parse()?,
            "--page-size" => s.page_size = value.parse()?,
            "--out" => s.out = Some(value.into()),
            "--serve-workers" => s.serve_workers = Some(value.parse()?),
            other => bail!("unknown option {other}"),
        }
    }
    ensure!(
        s.runs > 0 && s.pollers > 0 && s.reps > 0,
        "counts must be positive"
    );
    Ok(s)
}

/// One repetition's figures.
#[derive(Debug)]
struct Rep {
    cli_rate: f64,
    serve_rate: f64,
    cli_cpu_us: f64,
    serve_cpu_us: f64,
    latencies_us: Vec<u64>,
    sse_events: usize,
    load: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let s = settings()?;
    let faucet = binaries::faucet(Profile::Release)?;
    let fixture_bin = binaries::fixture_server(Profile::Release)?;
    let fixture = FixtureProcess::start(&fixture_bin, s.records, s.page_size, 0, 1)?;
    let mut reps = Vec::new();
    for rep in 0..s.reps {
        let load = load_average();
        let dir = tempfile::Builder::new()
            .prefix("faucet-serve-load-")
            .tempdir()?;
        let specs = specs(&s, fixture.url(), dir.path());
        let (cli_rate, cli_cpu_us) =
            cli_round(&s, &faucet, &specs, &dir.path().join("cli")).await?;
        let (serve_rate, serve_cpu_us, latencies_us, sse_events) =
            serve_round(&s, &faucet, &specs, &dir.path().join("serve")).await?;
        eprintln!(
            "rep {}: cli {cli_rate:.0} records/s, serve {serve_rate:.0} records/s ({:.2}×), {} polls",
            rep + 1,
            serve_rate / cli_rate,
            latencies_us.len()
        );
        reps.push(Rep {
            cli_rate,
            serve_rate,
            cli_cpu_us,
            serve_cpu_us,
            latencies_us,
            sse_events,
            load,
        });
    }
    let report = report::markdown(&s, &reps);
    println!("{report}");
    if let Some(out) = &s.out {
        std::fs::write(out, &report).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// Pipeline `load-i` of each run, its output under `<root>/<mode>/`.
fn specs(s: &Settings, url: &str, root: &Path) -> Vec<(String, Value)> {
    (1..=s.runs)
        .map(|i| {
            let name = format!("load-{i}");
            let source = RestSource::new(url, Style::PageNumber, s.page_size).to_value();
            // The output path is set per mode by `with_out`.
            let sink = pipeline::jsonl_sink(&root.join("unset"), 20_000);
            (name.clone(), pipeline::pipeline(&name, source, sink))
        })
        .collect()
}

/// `spec` writing `<dir>/<name>.jsonl`.
fn with_out(spec: &Value, name: &str, dir: &Path) -> Value {
    let mut spec = spec.clone();
    spec["sink"]["path"] = dir.join(format!("{name}.jsonl")).to_string_lossy().into();
    spec
}

/// Every output file holds the fixture's records once.
fn check_outputs(s: &Settings, specs: &[(String, Value)], dir: &Path) -> anyhow::Result<()> {
    for (name, _) in specs {
        let digest = verify::jsonl_digest(&dir.join(format!("{name}.jsonl")))?;
        ensure!(
            digest.count == s.records && digest.distinct_ids == s.records,
            "{name}: {digest:?}, expected {} records",
            s.records
        );
    }
    Ok(())
}

/// The runs as `faucet run` processes started together: records/s and
/// CPU µs per record.
async fn cli_round(
    s: &Settings,
    faucet: &Path,
    specs: &[(String, Value)],
    dir: &Path,
) -> anyhow::Result<(f64, f64)> {
    std::fs::create_dir_all(dir)?;
    let mut files = Vec::new();
    for (name, spec) in specs {
        let file = dir.join(format!("{name}.yaml"));
        pipeline::write(&file, &with_out(spec, name, dir))?;
        files.push(file);
    }
    let started = Instant::now();
    let children: Vec<Child> = files
        .iter()
        .map(|file| Child::spawn(Command::new(faucet).arg("run").arg(file).current_dir(dir)))
        .collect::<anyhow::Result<_>>()?;
    let mut cpu = Duration::ZERO;
    for child in children {
        let exit = child.wait(Duration::from_secs(600))?;
        ensure!(exit.success(), "faucet run: {}", exit.describe());
        cpu += exit.cpu;
    }
    let wall = started.elapsed();
    check_outputs(s, specs, dir)?;
    let records = (s.records * s.runs as u64) as f64;
    Ok((records / wall.as_secs_f64(), per_record_us(cpu, records)))
}

fn per_record_us(cpu: Duration, records: f64) -> f64 {
    cpu.as_secs_f64() * 1e6 / records
}

/// The runs on one `faucet serve` under polling: records/s, CPU µs per
/// record, every poll's latency in µs, and the number of events the
/// follower received.
async fn serve_round(
    s: &Settings,
    faucet: &Path,
    specs: &[(String, Value)],
    dir: &Path,
) -> anyhow::Result<(f64, f64, Vec<u64>, usize)> {
    std::fs::create_dir_all(dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(faucet);
    command
        .args(["serve", "--no-auth", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--max-runs")
        .arg(s.runs.to_string())
        .arg("--state-dir")
        .arg(dir.join("state"))
        .current_dir(dir);
    if let Some(workers) = s.serve_workers {
        command.env("TOKIO_WORKER_THREADS", workers.to_string());
    }
    let server = Child::spawn(&mut command)?;
    let client = reqwest::Client::new();
    wait_healthy(&client, &url, &server).await?;

    let started_ms = now_ms();
    let mut ids = Vec::new();
    for (name, spec) in specs {
        let body = with_out(spec, name, dir).to_string();
        let response = client.post(format!("{url}/runs")).body(body).send().await?;
        ensure!(
            response.status() == 202,
            "POST /runs: {}",
            response.status()
        );
        let run = json(response).await?;
        ids.push(run["id"].as_str().context("a run id")?.to_owned());
    }
    let follower = tokio::spawn(follow(format!("{url}/runs/{}/events", ids[0])));
    let pollers: Vec<_> = (0..s.pollers)
        .map(|i| {
            let run_url = format!("{url}/runs/{}", ids[i % ids.len()]);
            tokio::spawn(poll(run_url, Duration::from_millis(s.poll_ms)))
        })
        .collect();
    let mut latencies = Vec::new();
    for poller in pollers {
        latencies.extend(poller.await??);
    }
    let sse_events = follower.await??;
    let mut finished_ms = 0;
    for id in &ids {
        let run = json(client.get(format!("{url}/runs/{id}")).send().await?).await?;
        ensure!(run["state"] == "completed", "run {id}: {run}");
        finished_ms = finished_ms.max(run["finished_at_ms"].as_u64().context("finished_at_ms")?);
    }
    server.signal(libc::SIGTERM);
    let exit = server.wait(Duration::from_secs(30))?;
    ensure!(exit.success(), "faucet serve: {}", exit.describe());
    check_outputs(s, specs, dir)?;
    let wall_ms = finished_ms.saturating_sub(started_ms).max(1);
    let records = (s.records * s.runs as u64) as f64;
    let rate = records / (wall_ms as f64 / 1000.0);
    Ok((
        rate,
        per_record_us(exit.cpu, records),
        latencies,
        sse_events,
    ))
}

async fn wait_healthy(client: &reqwest::Client, url: &str, server: &Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{url}/health")).send().await
            && r.status() == 200
        {
            return Ok(());
        }
        ensure!(!server.has_exited(), "faucet serve exited early");
        ensure!(
            Instant::now() < deadline,
            "faucet serve not healthy within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `run_url` on a connection of its own every `every` until the run
/// is over: each poll's latency in µs.
async fn poll(run_url: String, every: Duration) -> anyhow::Result<Vec<u64>> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    loop {
        let sent = Instant::now();
        let response = client.get(&run_url).send().await?;
        ensure!(
            response.status() == 200,
            "GET {run_url}: {}",
            response.status()
        );
        let run = json(response).await?;
        latencies.push(sent.elapsed().as_micros() as u64);
        if matches!(
            run["state"].as_str(),
            Some("completed" | "failed" | "cancelled")
        ) {
            return Ok(latencies);
        }
        tokio::time::sleep(every).await;
    }
}

/// Follows a run's events to their end: how many arrived.
async fn follow(events_url: String) -> anyhow::Result<usize> {
    let mut response = reqwest::Client::new().get(&events_url).send().await?;
    ensure!(
        response.status() == 200,
        "GET {events_url}: {}",
        response.status()
    );
    let mut text = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        text.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&text);
    ensure!(
        text.contains("\"state\":\"completed\""),
        "the events end with the run"
    );
    Ok(text.matches("\nevent: ").count() + usize::from(text.starts_with("event: ")))
}

/// A response's body as JSON.
async fn json(response: reqwest::Response) -> anyhow::Result<Value> {
    Ok(serde_json::from_slice(&response.bytes().await?)?)
}

/// The 1-minute load average now (other work on a shared machine).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
