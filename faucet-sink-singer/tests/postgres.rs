//! Against the real meltanolabs-target-postgres 0.8.1 loading the
//! testkit's PostgreSQL: a full load row by row, a faucet process killed
//! with SIGKILL mid-run then run again (no loss, no duplicate: the target
//! upserts by the key properties), and targets that fail.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faucet_core::conformance::ScriptedSource;
use faucet_core::connector::*;
use faucet_core::{Completion, Observer, Pipeline, Progress, Resume, RunOutcome};
use faucet_sink_singer::{SingerSink, SingerSinkConfig};
use faucet_testkit::postgres::{TestSchema, server};
use support::target_postgres;

/// A sink config for target-postgres loading `schema`, upserting stream
/// `stream` by `id`, its state under `dir`.
fn pg_config(schema: &TestSchema, dir: &Path, stream: &str) -> SingerSinkConfig {
    let url = tokio_postgres::Config::from_str(schema.url()).expect("a test URL");
    let host = match &url.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        tokio_postgres::config::Host::Unix(path) => path.to_string_lossy().into_owned(),
    };
    let mut target = json!({
        "host": host,
        "port": url.get_ports().first().copied().unwrap_or(5432),
        "user": url.get_user().unwrap_or("postgres"),
        "database": url.get_dbname().unwrap_or("postgres"),
        "default_target_schema": schema.name(),
        "add_record_metadata": false,
        "activate_version": false,
        "dialect+driver": "postgresql+psycopg",
        // The test server trusts local connections: any password does.
        "password": "unused-by-trust",
    });
    if let Some(password) = url.get_password() {
        target["password"] = json!(String::from_utf8_lossy(password));
    }
    let mut config = SingerSinkConfig::new(target_postgres().to_string_lossy());
    config.config = target.as_object().cloned().unwrap();
    config.key_properties = [(stream.to_owned(), vec!["id".to_owned()])].into();
    config.stream = Some(stream.to_owned());
    config.idempotent = true;
    config.state_dir = dir.join("state");
    config.idle_timeout_secs = 120;
    config
}

/// Every `(id, page)` row of `schema.table`, by id.
async fn rows(schema: &TestSchema, table: &str) -> Vec<(i64, i64)> {
    let sql = format!(
        "SELECT id, page FROM \"{}\".\"{table}\" ORDER BY id",
        schema.name()
    );
    let found = schema.client().query(&sql, &[]).await.unwrap();
    found.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Exactly the records of `pages` pages of `per_page`, once each.
fn assert_rows(got: &[(i64, i64)], pages: i64, per_page: i64) {
    assert_eq!(got.len() as i64, pages * per_page, "rows: {got:?}");
    for (i, (id, page)) in got.iter().enumerate() {
        let want = i as i64 + 1;
        assert_eq!(*id, want, "row {i}");
        assert_eq!(*page, (want - 1) / per_page, "row {i}");
    }
}

#[tokio::test]
async fn a_full_load_lands_row_by_row_and_a_rerun_upserts() {
    let schema = server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let config = pg_config(&schema, dir.path(), "items");
    let source = ScriptedSource::new(6, 50);
    let report = Pipeline::new(&source, SingerSink::new(config.clone()).unwrap())
        .with_name("items-load")
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.progress.records_committed, 300);
    assert_rows(&rows(&schema, "items").await, 6, 50);
    let stored = SingerSink::new(config.clone())
        .unwrap()
        .load_checkpoint("items-load")
        .await
        .unwrap()
        .unwrap();
    assert!(Completion::from_checkpoint(&stored).is_some(), "{stored}");

    // The target upserts (idempotent: true): the next run starts over and
    // leaves one row per id.
    let report = Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("items-load")
        .run()
        .await
        .unwrap();
    assert!(
        matches!(report.resume, Resume::StartedOver { .. }),
        "{:?}",
        report.resume
    );
    assert_rows(&rows(&schema, "items").await, 6, 50);
}

/// The environment variable that makes [`child_pipeline`] run.
const CHILD_SPEC: &str = "FAUCET_SINGER_SINK_CHILD";

/// Prints each committed page to stderr, for the parent to time its kill.
struct PagePrinter;

impl Observer for PagePrinter {
    fn on_page(&self, progress: &Progress) {
        eprintln!("faucet-child-page {}", progress.pages);
    }
}

/// The faucet process the kill test kills: a slow ScriptedSource into the
/// sink configured in `FAUCET_SINGER_SINK_CHILD`. Run by
/// `a_faucet_killed_mid_run_then_rerun_loses_and_repeats_nothing` only.
#[tokio::test]
#[ignore = "the faucet process of the SIGKILL test, which runs it"]
async fn child_pipeline() {
    let spec: Value = faucet_core::serde_json::from_str(
        &std::env::var(CHILD_SPEC).expect("run by the SIGKILL test"),
    )
    .unwrap();
    let config: SingerSinkConfig =
        faucet_core::serde_json::from_value(spec["sink"].clone()).unwrap();
    let source = ScriptedSource::new(spec["pages"].as_u64().unwrap(), 25)
        .with_delay(Duration::from_millis(spec["delay_ms"].as_u64().unwrap()));
    Pipeline::new(source, SingerSink::new(config).unwrap())
        .with_name("killed-load")
        .with_observer(Arc::new(PagePrinter))
        .run()
        .await
        .unwrap();
}

/// Runs [`child_pipeline`] in a process of its own; `TMPDIR` is `tmp`, so
/// the target's command line (its config file) names that folder.
fn spawn_child(
    sink: &SingerSinkConfig,
    pages: u64,
    delay_ms: u64,
    tmp: &Path,
) -> std::process::Child {
    let spec = json!({"sink": sink, "pages": pages, "delay_ms": delay_ms});
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_pipeline",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_SPEC, spec.to_string())
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(needle)
        {
            found.push(pid);
        }
    }
    found
}

#[tokio::test]
async fn a_faucet_killed_mid_run_then_rerun_loses_and_repeats_nothing() {
    let schema = server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let config = pg_config(&schema, dir.path(), "killed");
    let pages = 40;

    let mut child = spawn_child(&config, pages, 100, &tmp);
    // Kept open until the child is dead, so its log lines never fail.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("faucet-child-page ") {
            seen = n.trim().parse().unwrap();
            if seen >= 12 {
                break;
            }
        }
    }
    assert!(seen >= 12, "the child ended before page 12");
    // SAFETY: SIGKILL to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().unwrap();
    drop(lines);
    assert!(!status.success(), "{status}");

    // The orphaned target reads to the end of its input and loads it (it
    // cannot echo the state any more); wait until it is gone.
    let needle = tmp.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !processes_mentioning(&needle).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the orphaned target is still running"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = rows(&schema, "killed").await.len();
    // What the orphan loaded is what a rerun sends again: the upsert is
    // what keeps it from being duplicated.
    assert!(
        before > 0 && before < 1000,
        "{before} rows before the rerun"
    );

    // The rerun resumes from the last state the target confirmed (none
    // here: target-postgres confirms when its input ends) and sends the
    // records again; the target upserts them.
    let source = ScriptedSource::new(pages, 25);
    let report = Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("killed-load")
        .run()
        .await
        .unwrap();
    assert_eq!(report.outcome, RunOutcome::Completed);
    eprintln!(
        "killed after page {seen}: {before} rows loaded by the orphaned target, resumed {:?}",
        report.resume
    );
    assert_rows(&rows(&schema, "killed").await, pages as i64, 25);
}

#[tokio::test]
async fn a_target_that_exits_1_fails_the_run_with_its_stderr_masked() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SingerSinkConfig::new("python3");
    config.args = vec![
        "-c".into(),
        "import sys\nsys.stdin.readline()\n\
         print('CRITICAL login failed with password hunter2-secret', file=sys.stderr)\n\
         sys.exit(1)"
            .into(),
    ];
    config.config = json!({"password": "hunter2-secret"})
        .as_object()
        .cloned()
        .unwrap();
    config.state_dir = dir.path().join("state");
    let source = ScriptedSource::new(3, 10);
    let err = Pipeline::new(&source, SingerSink::new(config.clone()).unwrap())
        .with_name("failing")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited with code 1"), "{err}");
    assert!(
        err.contains("CRITICAL login failed with password ***"),
        "{err}"
    );
    assert!(!err.contains("hunter2-secret"), "{err}");
    let stored = SingerSink::new(config)
        .unwrap()
        .load_checkpoint("failing")
        .await
        .unwrap();
    assert_eq!(stored, None, "nothing was confirmed");
}

#[tokio::test]
async fn target_postgres_with_a_bad_database_fails_with_its_error_masked() {
    let schema = server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = pg_config(&schema, dir.path(), "nowhere");
    config
        .config
        .insert("database".into(), json!("faucet_no_such_database"));
    config
        .config
        .insert("password".into(), json!("pg-secret-pw"));
    let source = ScriptedSource::new(2, 5);
    let err = Pipeline::new(&source, SingerSink::new(config).unwrap())
        .with_name("bad-database")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited with code"), "{err}");
    assert!(err.contains("faucet_no_such_database"), "{err}");
    assert!(!err.contains("pg-secret-pw"), "{err}");
}

#[tokio::test]
async fn a_target_that_hangs_is_stopped_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SingerSinkConfig::new("python3");
    // Never reads, never exits: sleeps through SIGTERM's default action.
    config.args = vec!["-c".into(), "import time\ntime.sleep(600)".into()];
    config.state_dir = dir.path().join("state");
    config.idle_timeout_secs = 1;
    config.terminate_grace_secs = 1;
    let started = Instant::now();
    let err = Pipeline::new(ScriptedSource::new(2, 3), SingerSink::new(config).unwrap())
        .with_name("hanging")
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("idle_timeout_secs"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
