//! `faucet run` into the test kit's real PostgreSQL: interrupted by SIGINT
//! mid-run, then resumed, the table holds every record exactly once.

mod support;

use std::process::Stdio;
use std::time::Duration;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use support::{faucet, output, send_signal, stderr, write};

#[tokio::test(flavor = "multi_thread")]
async fn sigint_then_resume_leaves_every_row_exactly_once() {
    let config = FixtureConfig::new(10_000).with_latency(Duration::from_millis(30));
    let server = FixtureServer::start(config).await.unwrap();
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "load.yaml",
        &format!(
            "source:\n  type: rest\n  base_url: \"{}\"\n  path: /records/offset\n  records: data\n  \
             concurrency: 1\n  pagination: {{kind: offset, limit: 100}}\n\
             sink:\n  type: postgres\n  url: \"{}\"\n  schema: \"{}\"\n  table: users\n  batch_rows: 100\n",
            server.url(),
            schema.url(),
            schema.name()
        ),
    );
    let count = |sql: &'static str| {
        let url = schema.url().to_owned();
        async move {
            let client = faucet_testkit::postgres::connect(&url).await;
            client
                .query_one(sql, &[])
                .await
                .map(|row| row.get::<_, i64>(0))
                .unwrap_or(0)
        }
    };

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .arg("run")
        .arg(&file)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while count("SELECT count(*) FROM users").await < 300 {
        assert!(std::time::Instant::now() < deadline, "no rows arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send_signal(child.id(), "INT");
    let result = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(result.status.code(), Some(130), "{}", stderr(&result));
    let partial = count("SELECT count(*) FROM users").await;
    assert!(partial < 10_000, "the run finished before the signal");

    let mut cmd = faucet(dir.path());
    cmd.arg("run").arg(&file);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("exactly-once"),
        "{}",
        stderr(&result)
    );
    assert_eq!(count("SELECT count(*) FROM users").await, 10_000);
    assert_eq!(count("SELECT count(DISTINCT id) FROM users").await, 10_000);
    assert_eq!(count("SELECT min(id) FROM users").await, 1);
    assert_eq!(count("SELECT max(id) FROM users").await, 10_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reaches_the_api_and_the_database() {
    let server = FixtureServer::start(FixtureConfig::new(20)).await.unwrap();
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "check.yaml",
        &format!(
            "source: {{type: rest, base_url: \"{}\", path: /records/page, records: data}}\n\
             sink: {{type: postgres, url: \"{}\", schema: \"{}\", table: users}}\n",
            server.url(),
            schema.url(),
            schema.name()
        ),
    );
    let mut cmd = faucet(dir.path());
    cmd.arg("check").arg(&file);
    let result = output(cmd).await;
    let text = support::stdout(&result);
    assert!(result.status.success(), "{text}{}", stderr(&result));
    for expected in [
        "source `rest`",
        "sink `postgres`",
        "✓ reachable",
        "✓ table writable",
        "All checks passed.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}
