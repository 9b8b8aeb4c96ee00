//! `faucet demo`: serves the sample API in-process and loads it, into
//! JSON Lines with no database, or into PostgreSQL with `--postgres`.

mod support;

use support::{faucet, jsonl_ids, output, stderr};

#[tokio::test(flavor = "multi_thread")]
async fn demo_loads_the_sample_api_into_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = faucet(dir.path());
    cmd.args(["demo", "--records", "3000"]);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    let log = stderr(&result);
    for expected in [
        "type: rest",
        "type: jsonl",
        "Completed pipeline `faucet-demo`",
        "3,000 read, 3,000 committed",
    ] {
        assert!(log.contains(expected), "{expected:?} not in:\n{log}");
    }
    let demo = dir.path().join("faucet-demo");
    assert_eq!(
        jsonl_ids(&demo.join("records.jsonl")),
        (1..=3_000).collect::<Vec<_>>()
    );
    // The printed pipeline file is the one on disk, and it validates.
    let file = std::fs::read_to_string(demo.join("pipeline.yaml")).unwrap();
    assert!(log.contains(file.lines().nth(2).unwrap()), "{log}");

    // A second demo starts fresh rather than appending.
    let mut cmd = faucet(dir.path());
    cmd.args(["demo", "--records", "500"]);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        jsonl_ids(&demo.join("records.jsonl")),
        (1..=500).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_loads_into_postgres_when_given_a_url() {
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = faucet(dir.path());
    cmd.args([
        "demo",
        "--records",
        "1500",
        "--postgres",
        schema.url(),
        "--schema",
        schema.name(),
    ]);
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("type: postgres"),
        "{}",
        stderr(&result)
    );
    let row = schema
        .client()
        .query_one(
            &format!(
                "SELECT count(*), count(DISTINCT id) FROM \"{}\".faucet_demo",
                schema.name()
            ),
            &[],
        )
        .await
        .unwrap();
    // Every record once: as many rows as distinct ids, and all 1,500.
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1_500, 1_500));
    let demo = dir.path().join("faucet-demo");
    let file = std::fs::read_to_string(demo.join("pipeline.yaml")).unwrap();
    assert!(file.contains("url: ${DATABASE_URL}"), "{file}");
    assert!(
        !file.contains(schema.url()),
        "the URL is in the pipeline file:\n{file}"
    );
    let env = demo.join(".env");
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        format!("DATABASE_URL='{}'\n", schema.url())
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&env).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // The written pair runs as it is: a rerun upserts the same rows.
    let mut cmd = faucet(dir.path());
    cmd.args(["run", "--restart", "--env-file"])
        .arg(&env)
        .arg(demo.join("pipeline.yaml"));
    let rerun = output(cmd).await;
    // The sample API stopped with the demo: the rerun cannot reach it,
    // but it must get past loading the file and its `.env`.
    assert!(
        !stderr(&rerun).contains("DATABASE_URL"),
        "{}",
        stderr(&rerun)
    );
}
