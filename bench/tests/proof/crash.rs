//! Crash tests: `faucet run` killed with SIGKILL at random moments, again
//! and again, then run to completion; PostgreSQL itself killed mid-run.
//! Each ends with every record exactly once (count, distinct ids and a
//! payload checksum equal to the source's).
//!
//! Sizing: 30,000 records in pages of 100, served 25 ms apart with
//! concurrency 1, so a whole run needs at least 7.5 s of fetching; each
//! kill lands at most 350 ms after the process first reached the server
//! (at most 14 pages later), so 20 kills cannot finish the job between
//! them and every kill hits a running process. Commits happen every 500
//! records, so kills land before, during and after commits. [`Sizing`]
//! says how to run them by hand at a million records.

use std::path::Path;
use std::time::Duration;

use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::verify;
use faucet_testkit::fixture::FixtureServer;
use faucet_testkit::postgres::PgCluster;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::support::*;

pub(crate) const KILLS: usize = 20;

/// How big the crash tests are. The defaults are the CI scale above; each
/// can be changed from the environment to run them by hand at full scale,
/// e.g. one million records served without latency, kills up to 1 s in:
///
/// ```text
/// FAUCET_CRASH_RECORDS=1000000 FAUCET_CRASH_PAGE=1000 FAUCET_CRASH_LATENCY_MS=0 \
/// FAUCET_CRASH_KILL_WINDOW_MS=1000 FAUCET_CRASH_COMMIT_EVERY=20000 \
///   cargo test -p faucet-bench --test proof crash::
/// ```
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizing {
    pub(crate) records: u64,
    pub(crate) page: u64,
    pub(crate) latency_ms: u64,
    pub(crate) kill_window_ms: u64,
    pub(crate) commit_every: u64,
}

pub(crate) fn sizing() -> Sizing {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name} must be a number"))
            })
            .unwrap_or(default)
    };
    Sizing {
        records: var("FAUCET_CRASH_RECORDS", 30_000),
        page: var("FAUCET_CRASH_PAGE", 100),
        latency_ms: var("FAUCET_CRASH_LATENCY_MS", 25),
        kill_window_ms: var("FAUCET_CRASH_KILL_WINDOW_MS", 350),
        commit_every: var("FAUCET_CRASH_COMMIT_EVERY", 500),
    }
}

pub(crate) fn source(server: &FixtureServer, s: Sizing) -> RestSource {
    RestSource::new(server.url(), Style::PageNumber, s.page).with_concurrency(1)
}

pub(crate) fn rng() -> StdRng {
    let seed: u64 = rand::rng().random();
    eprintln!("kill timing seed: {seed}");
    StdRng::seed_from_u64(seed)
}

/// Requests a test API has received so far: how a kill waits for a run to
/// be under way.
pub(crate) trait Requests {
    /// Requests received so far.
    fn requests_so_far(&self) -> u64;
}

impl Requests for FixtureServer {
    fn requests_so_far(&self) -> u64 {
        self.request_count()
    }
}

impl Requests for faucet_testkit::shop::ShopServer {
    fn requests_so_far(&self) -> u64 {
        self.requests().len() as u64
    }
}

/// Starts `faucet run file` and SIGKILLs it at a random moment: every
/// fifth time within 60 ms of spawning (during start-up), otherwise up to
/// `window_ms` after its first request reached `server`.
pub(crate) async fn run_and_kill(
    server: &impl Requests,
    file: &Path,
    kill: usize,
    rng: &mut StdRng,
    window_ms: u64,
) {
    let before = server.requests_so_far();
    let child = spawn_faucet(&["run".as_ref(), file.as_os_str()], &[]);
    if kill % 5 == 4 {
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..60))).await;
    } else {
        bounded(
            Duration::from_secs(60),
            "faucet reaching the server",
            async {
                while server.requests_so_far() == before && !child.has_exited() {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            },
        )
        .await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..window_ms))).await;
    }
    assert!(
        !child.has_exited(),
        "kill {kill}: faucet exited before it was killed: {}",
        wait(child, RUN_DEADLINE).await.describe()
    );
    let exit = tokio::task::spawn_blocking(move || child.kill().expect("kill faucet"))
        .await
        .expect("join");
    assert!(exit.killed(), "kill {kill}: {}", exit.describe());
}

/// Checks a table after kill `kill`: no duplicate, nothing committed lost
/// (`last` is the count after the kill before), the load not finished
/// (`total` rows would be); returns 1 when rows were committed since.
pub(crate) fn after_kill(
    kill: usize,
    (count, distinct): (u64, u64),
    last: &mut u64,
    total: u64,
) -> usize {
    assert_eq!(
        count, distinct,
        "kill {kill}: duplicated rows after a crash"
    );
    assert!(
        count >= *last,
        "kill {kill}: committed rows went from {last} to {count}"
    );
    assert!(
        count < total,
        "kill {kill}: the load finished between kills; the test is mis-sized"
    );
    let grew = usize::from(count > *last);
    *last = count;
    grew
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_to_postgres_append_is_exactly_once_across_20_sigkills() {
    let s = sizing();
    let server = fixture(s.records, s.page, s.latency_ms).await;
    let pg = faucet_testkit::postgres::server();
    let schema = pg.fresh_schema().await;
    let table = format!("\"{}\".\"events\"", schema.name());
    let dir = workdir();
    let sink = pipeline::postgres_sink(
        pg.url(),
        schema.name(),
        "events",
        PgMode::Append,
        s.commit_every,
    );
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("crash-pg", source(&server, s).to_value(), sink),
    );
    let mut rng = rng();
    let (mut partial, mut last) = (0, 0);
    for kill in 0..KILLS {
        run_and_kill(&server, &file, kill, &mut rng, s.kill_window_ms).await;
        let sql = format!("SELECT count(*), count(DISTINCT id) FROM {table}");
        let (count, distinct) = match schema.client().query_one(&sql, &[]).await {
            Ok(row) => (row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64),
            Err(_) => (0, 0), // the table is created by the first commit
        };
        partial += after_kill(kill, (count, distinct), &mut last, s.records);
    }
    eprintln!("{partial} of {KILLS} kills came after new commits; {last} rows before the last run");
    assert!(
        partial > 0,
        "no kill landed after a commit: resume was never exercised"
    );
    let exit = bounded(RUN_DEADLINE, "the final run", run_faucet(&file)).await;
    assert_ok(&exit, "the final run");
    let got = verify::pg_digest(schema.client(), &table)
        .await
        .expect("read the table");
    assert_exactly_once(&got, s.records, "REST → PostgreSQL after 20 SIGKILLs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_to_jsonl_is_exactly_once_across_20_sigkills() {
    let s = sizing();
    let server = fixture(s.records, s.page, s.latency_ms).await;
    let dir = workdir();
    let out = dir.path().join("out.jsonl");
    let sink = pipeline::jsonl_sink(&out, s.commit_every);
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("crash-jsonl", source(&server, s).to_value(), sink),
    );
    let mut rng = rng();
    let mut grew = 0;
    let mut last = 0;
    for kill in 0..KILLS {
        run_and_kill(&server, &file, kill, &mut rng, s.kill_window_ms).await;
        // Lines past the last commit may be there (and torn); the next
        // run truncates them, so only growth is noted here.
        let lines = verify::line_count(&out);
        assert!(
            lines < s.records,
            "kill {kill}: the load finished between kills; the test is mis-sized"
        );
        grew += usize::from(lines > last);
        last = lines;
    }
    eprintln!(
        "{grew} of {KILLS} kills came after the output grew; {last} lines before the last run"
    );
    assert!(
        grew > 0,
        "no kill landed after records were written: resume was never exercised"
    );
    let exit = bounded(RUN_DEADLINE, "the final run", run_faucet(&file)).await;
    assert_ok(&exit, "the final run");
    let got = verify::jsonl_digest(&out).expect("read the output");
    assert_exactly_once(&got, s.records, "REST → JSON Lines after 20 SIGKILLs");
}

/// Rows in `table` on the cluster at `url`, 0 when unreachable or missing.
async fn rows(url: &str, table: &str) -> u64 {
    match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
        Ok((client, conn)) => {
            let task = tokio::spawn(conn);
            let n = verify::pg_count(&client, table).await;
            drop(client);
            let _ = task.await;
            n
        }
        Err(_) => 0,
    }
}

/// Starts `faucet run file`, kills PostgreSQL (`pg_ctl stop -m
/// immediate`) once this run has committed twice more, starts it again
/// after `down`, and returns how faucet ended (it must end by itself,
/// without a panic, and leave no duplicate).
async fn crash_server_mid_run(
    cluster: &PgCluster,
    file: &Path,
    down: Duration,
    what: &str,
    s: Sizing,
) -> faucet_bench::process::Exit {
    let (url, table) = (cluster.url(), "public.events");
    let start = rows(&url, table).await;
    let child = spawn_faucet(&["run".as_ref(), file.as_os_str()], &[]);
    let target = start + 2 * s.commit_every;
    bounded(Duration::from_secs(60), "rows reaching PostgreSQL", async {
        while rows(&url, table).await < target && !child.has_exited() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        !child.has_exited(),
        "{what}: faucet ended before PostgreSQL was killed"
    );
    cluster.stop_immediate().expect("pg_ctl stop -m immediate");
    let exit = if down > Duration::ZERO {
        tokio::time::sleep(down).await;
        cluster.restart().expect("start PostgreSQL again");
        wait(child, RUN_DEADLINE).await
    } else {
        // Down until faucet gives up.
        let exit = wait(child, RUN_DEADLINE).await;
        cluster.restart().expect("start PostgreSQL again");
        exit
    };
    eprintln!(
        "{what}: faucet ended with {} after the server crash",
        exit.status
    );
    assert!(
        !exit.timed_out,
        "{what}: faucet hung after the crash: {}",
        exit.describe()
    );
    assert!(
        !exit.panicked(),
        "{what}: faucet panicked: {}",
        exit.describe()
    );
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("reconnect");
    tokio::spawn(conn);
    let sql = format!("SELECT count(*), count(DISTINCT id) FROM {table}");
    let row = client
        .query_one(&sql, &[])
        .await
        .expect("count after recovery");
    assert_eq!(
        row.get::<_, i64>(0),
        row.get::<_, i64>(1),
        "{what}: duplicates after recovery"
    );
    exit
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_mid_run_then_rerun_is_exactly_once() {
    let s = sizing();
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("this test starts a PostgreSQL cluster of its own: {e}"));
    let url = cluster.url();
    let server = fixture(s.records, s.page, s.latency_ms).await;
    let dir = workdir();
    // Two files for one pipeline (same name, so the same checkpoint): the
    // first never retries, so the crash must fail the run and the rerun
    // must resume; the second keeps the sink's default retries, so a
    // short outage may be ridden out.
    let mut no_retry =
        pipeline::postgres_sink(&url, "public", "events", PgMode::Append, s.commit_every);
    no_retry["retries"] = serde_json::json!(0);
    let retrying =
        pipeline::postgres_sink(&url, "public", "events", PgMode::Append, s.commit_every);
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    std::fs::create_dir_all(&first).expect("mkdir");
    std::fs::create_dir_all(&second).expect("mkdir");
    let name = "crash-server";
    let first = write_pipeline(
        &first,
        &pipeline::pipeline(name, source(&server, s).to_value(), no_retry),
    );
    let second = write_pipeline(
        &second,
        &pipeline::pipeline(name, source(&server, s).to_value(), retrying),
    );

    let exit = crash_server_mid_run(&cluster, &first, Duration::ZERO, "no retries", s).await;
    assert_eq!(
        exit.status.code(),
        Some(1),
        "with no retries the crash must fail the run: {}",
        exit.describe()
    );
    let exit = crash_server_mid_run(
        &cluster,
        &second,
        Duration::from_millis(300),
        "default retries",
        s,
    )
    .await;
    // A completed full-refresh run resets its checkpoint (a rerun would
    // load everything again, by design), so rerun only an unfinished one.
    if !exit.success() {
        let exit = bounded(RUN_DEADLINE, "the final run", run_faucet(&second)).await;
        assert_ok(&exit, "the final run");
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    let got = verify::pg_digest(&client, "public.events")
        .await
        .expect("read the table");
    assert_exactly_once(
        &got,
        s.records,
        "REST → PostgreSQL across two PostgreSQL crashes",
    );
}
