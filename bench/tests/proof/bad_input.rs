//! Bad input: mutated pipeline files, SQL injection through identifiers,
//! and secrets kept out of every output.

use std::ffi::OsStr;
use std::path::Path;

use faucet_bench::pipeline::{self, PgMode, RestSource, Style};
use faucet_bench::process::Exit;
use faucet_bench::verify;
use faucet_testkit::fixture::{Fault, FaultRule};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::support::*;

/// Valid pipeline files exercising most config fields of the built-in
/// connectors (no I/O happens in `validate`).
fn valid_pipelines() -> Vec<Value> {
    let rest = json!({
        "type": "rest",
        "base_url": "http://127.0.0.1:9",
        "path": "/records/page",
        "query": {"shards": "4", "tags": ["a", "b"]},
        "headers": {"X-Trace": "bench"},
        "records": "$.data",
        "pagination": {"kind": "page_number", "param": "page", "size_param": "per_page", "size": 100,
                        "stop": {"empty_page": true, "total_path": "total", "max_pages": 50}},
        "incremental": {"replication_key": "created_at", "param": "since", "format": "iso8601", "lookback_secs": 60},
        "concurrency": 4,
        "auth": {"kind": "bearer", "token": "t0ken"},
        "http": {"timeout_secs": 30, "retry": {"max_attempts": 3, "initial_backoff_ms": 100}},
    });
    let cursor = json!({
        "type": "rest",
        "base_url": "http://127.0.0.1:9",
        "path": "/records/cursor",
        "method": "post",
        "body": {"limit": 100},
        "records": "data",
        "pagination": {"kind": "cursor", "cursor_path": "next_cursor", "param": "cursor", "location": "body"},
        "auth": {"kind": "api_key", "name": "api_key", "value": "k3y", "location": "query"},
    });
    let postgres = json!({
        "type": "postgres",
        "url": "postgresql://loader:pw@127.0.0.1:9/db",
        "schema": "raw",
        "table": "users",
        "mode": "upsert",
        "key": ["id"],
        "columns": {"id": "id", "first_name": "name"},
        "batch_rows": 10000,
    });
    vec![
        json!({"name": "a", "source": rest, "sink": {"type": "jsonl", "path": "out.jsonl", "commit_records": 100},
               "settings": {"channel_depth": 2, "limit": 1000}}),
        json!({"name": "b", "source": cursor, "sink": postgres}),
    ]
}

/// Dotted paths of every object key in `value`.
fn key_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            key_paths(v, &path, out);
        }
    }
}

fn parent_mut<'a>(
    root: &'a mut Value,
    path: &str,
) -> (&'a mut serde_json::Map<String, Value>, String) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().expect("non-empty path").to_owned();
    let mut node = root;
    for p in parts {
        node = node.get_mut(p).expect("path exists");
    }
    (node.as_object_mut().expect("parent is an object"), last)
}

fn odd_value(rng: &mut StdRng) -> Value {
    let choices = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1e308),
        json!(u64::MAX),
        json!(""),
        json!("\u{0}nul"),
        json!("💥".repeat(300)),
        json!("x".repeat(20_000)),
        json!([]),
        json!({}),
        json!([[[[{"a": [null]}]]]]),
        json!("${FAUCET_BENCH_SURELY_UNSET_VARIABLE}"),
        json!("http://[::1"),
    ];
    choices.choose(rng).expect("choices").clone()
}

/// What an error about a mutation must say: any one of these groups, all
/// of whose strings appear in the output. A group is the mutated key's full
/// dotted path, or — for a key that is now missing — its parent's path and
/// the key's name in backticks (serde reports a missing field at the
/// object that lacks it; a rule of a sibling names the key it needs).
type Expected = Vec<Vec<String>>;

/// Mutates one key of `config`; returns what an error about it must name.
fn mutate(config: &mut Value, rng: &mut StdRng) -> Expected {
    let mut paths = Vec::new();
    key_paths(config, "", &mut paths);
    let path = paths.choose(rng).expect("keys").clone();
    let parent_path = path.rsplit_once('.').map_or("", |(p, _)| p).to_owned();
    let at = |key: &str| {
        if parent_path.is_empty() {
            key.to_owned()
        } else {
            format!("{parent_path}.{key}")
        }
    };
    // "missing field `key`", or a rule of another key that needs it
    // ("`method: post`").
    let missing = |key: &str| vec![parent_path.clone(), format!("`{key}")];
    let (parent, key) = parent_mut(config, &path);
    match rng.random_range(0..4) {
        0 => {
            parent.remove(&key);
            vec![vec![path.clone()], missing(&key)]
        }
        1 => {
            parent.insert(key.clone(), odd_value(rng));
            vec![vec![path.clone()]]
        }
        2 => {
            parent.insert("zz_unknown".into(), json!(1));
            vec![vec![at("zz_unknown")]]
        }
        _ => {
            let value = parent.remove(&key).expect("key exists");
            let typo = format!("{key}x");
            parent.insert(typo.clone(), value);
            vec![vec![at(&typo)], vec![path.clone()], missing(&key)]
        }
    }
}

/// The seed of a mutation test: `FAUCET_PROOF_SEED` when set (to repeat
/// a failure), else random.
fn seed() -> u64 {
    match std::env::var("FAUCET_PROOF_SEED") {
        Ok(text) => text.parse().expect("FAUCET_PROOF_SEED is a u64"),
        Err(_) => rand::rng().random(),
    }
}

fn validate(file: &Path) -> Exit {
    let child = spawn_faucet(&[OsStr::new("validate"), file.as_os_str()], &[]);
    child.wait(RUN_DEADLINE).expect("wait for faucet validate")
}

#[test]
fn mutated_pipeline_files_never_panic_and_every_error_names_a_path() {
    let seed = seed();
    eprintln!("mutation seed: {seed} (FAUCET_PROOF_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = workdir();
    let bases = valid_pipelines();
    for base in &bases {
        let exit = validate(&write_pipeline(dir.path(), base));
        assert!(
            exit.success(),
            "a valid base pipeline is rejected: {base}\n{}",
            exit.describe()
        );
    }
    let (mut rejected, mut accepted) = (0, 0);
    for i in 0..120 {
        let mut config = bases[i % bases.len()].clone();
        let expected = mutate(&mut config, &mut rng);
        let exit = validate(&write_pipeline(dir.path(), &config));
        assert!(
            !exit.panicked() && !exit.timed_out,
            "mutation {i} ({expected:?}): {}\n{config:.2000}",
            exit.describe()
        );
        if exit.success() {
            accepted += 1;
            continue;
        }
        rejected += 1;
        assert_eq!(
            exit.status.code(),
            Some(2),
            "mutation {i}: bad config must exit 2: {}",
            exit.describe()
        );
        let output = format!("{}{}", exit.stdout, exit.stderr);
        let named = expected
            .iter()
            .any(|group| group.iter().all(|s| output.contains(s.as_str())));
        assert!(
            named,
            "mutation {i}: the error names the mutated key's full path in none of the \
             ways {expected:?}:\n{output}\nconfig: {config:.2000}"
        );
    }
    eprintln!("{rejected} mutations rejected with a path, {accepted} still valid");
    assert!(
        rejected > 60,
        "most mutations should be rejected; only {rejected} were"
    );
}

#[test]
fn mangled_pipeline_text_never_panics() {
    let seed = seed();
    eprintln!("text mutation seed: {seed} (FAUCET_PROOF_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = workdir();
    let base = serde_json::to_string_pretty(&valid_pipelines()[0]).expect("JSON");
    let path = dir.path().join("pipeline.yaml");
    for i in 0..40 {
        let mut bytes = base.clone().into_bytes();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes.truncate(at),
                1 => bytes.insert(
                    at,
                    *b"{}[]:,\"'\t\n-&*!|>%@`\x00\xff"
                        .choose(&mut rng)
                        .expect("byte"),
                ),
                _ => drop(bytes.remove(at.min(bytes.len().saturating_sub(1)))),
            }
            if bytes.is_empty() {
                break;
            }
        }
        std::fs::write(&path, &bytes).expect("write");
        let exit = validate(&path);
        assert!(
            !exit.panicked() && !exit.timed_out,
            "text mutation {i}: {}",
            exit.describe()
        );
        if !exit.success() {
            assert_eq!(
                exit.status.code(),
                Some(2),
                "text mutation {i}: {}",
                exit.describe()
            );
            assert!(
                !exit.stderr.trim().is_empty(),
                "text mutation {i}: an error with no message"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_through_identifiers_runs_no_other_statement() {
    let server = fixture(300, 100, 0).await;
    let pg = faucet_testkit::postgres::server();
    // Names must stay under PostgreSQL's 63 bytes to be accepted at all,
    // so the canary lives in `public` under a short unique name (no other
    // test of this binary uses `public`).
    let home = pg.fresh_schema().await;
    let client = home.client();
    let tag = &home.name()[home.name().len() - 8..];
    let canary = format!("public.cnry_{tag}");
    client
        .batch_execute(&format!(
            "CREATE TABLE {canary} (x int); INSERT INTO {canary} VALUES (42)"
        ))
        .await
        .expect("create the canary");
    let evil_schema = format!("s_{tag}\"; DROP TABLE {canary}; --");
    let evil_table = format!("t'\"; DROP TABLE {canary}; SELECT '");
    let evil_column = format!("n\"); DROP TABLE {canary}; --");
    let before = tables(client, &evil_schema).await;
    let mut sink =
        pipeline::postgres_sink(pg.url(), &evil_schema, &evil_table, PgMode::Append, 100);
    sink["columns"] = json!({"id": "id", "first_name": evil_column});
    let dir = workdir();
    let src = RestSource::new(server.url(), Style::PageNumber, 100);
    let file = write_pipeline(
        dir.path(),
        &pipeline::pipeline("inject", src.to_value(), sink),
    );
    let exit = bounded(RUN_DEADLINE, "the run", run_faucet(&file)).await;
    assert!(!exit.panicked(), "{}", exit.describe());

    let row = client
        .query_one(&format!("SELECT x FROM {canary}"), &[])
        .await;
    assert_eq!(row.expect("the canary table survives").get::<_, i32>(0), 42);
    let after = tables(client, &evil_schema).await;
    for table in &before {
        assert!(after.contains(table), "table {table} disappeared");
    }
    eprintln!("identifier injection run: {}", exit.describe());
    if !exit.success() {
        // Refusing such names is acceptable, if said clearly.
        assert_eq!(exit.status.code(), Some(2), "{}", exit.describe());
        assert!(
            exit.stderr.contains("sink."),
            "the error names no path: {}",
            exit.describe()
        );
        assert_eq!(before, after, "a refused config still changed the database");
        return;
    }
    let target = format!("{}.{}", evil_schema, evil_table);
    assert!(
        after.contains(&target),
        "no table named exactly {target:?}: {after:?}"
    );
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let qualified = format!("{}.{}", quoted(&evil_schema), quoted(&evil_table));
    let sql = format!("SELECT count({}) FROM {qualified}", quoted(&evil_column));
    let count: i64 = client
        .query_one(&sql, &[])
        .await
        .expect("read the evil column")
        .get(0);
    assert_eq!(count, 300, "rows under the exact column name");
    let _ = verify::pg_count(client, &qualified).await;
}

/// Tables in `public` and in `schema`, as `schema.table`.
async fn tables(c: &tokio_postgres::Client, schema: &str) -> Vec<String> {
    let rows = c
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_tables \
             WHERE schemaname IN ('public', $1) ORDER BY 1",
            &[&schema],
        )
        .await
        .expect("list tables");
    rows.iter().map(|r| r.get::<_, String>(0)).collect()
}

/// A distinctive secret for field `field`.
fn secret(field: &str) -> String {
    format!("S3cr3t-{field}-9f8e7d6c")
}

/// Pipelines holding a secret in every field that can hold one, each
/// paired with the secrets it holds.
fn secret_pipelines(api: &str, out: &Path) -> Vec<(Value, Vec<String>)> {
    let base = |auth: Value| {
        let mut source = RestSource::new(api, Style::PageNumber, 100).to_value();
        source["auth"] = auth;
        source["headers"] = json!({"X-Custom-Token": secret("header")});
        source["http"] = json!({"retry": {"max_attempts": 1}});
        source
    };
    let jsonl = pipeline::jsonl_sink(out, 100);
    let dead_pg_query = format!(
        "postgresql://loader@127.0.0.1:9/db?sslmode=disable&password={}",
        secret("pgquery")
    );
    let dead_pg = format!(
        "postgresql://loader:{}@127.0.0.1:9/db",
        secret("pgpassword")
    );
    vec![
        (
            pipeline::pipeline(
                "s1",
                base(json!({"kind": "bearer", "token": secret("bearer")})),
                jsonl.clone(),
            ),
            vec![secret("bearer"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s2",
                base(json!({"kind": "basic", "username": "u", "password": secret("basic")})),
                jsonl.clone(),
            ),
            vec![secret("basic"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s3",
                base(
                    json!({"kind": "api_key", "name": "api_key", "value": secret("apikeyq"), "location": "query"}),
                ),
                jsonl.clone(),
            ),
            vec![secret("apikeyq"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s4",
                base(
                    json!({"kind": "api_key", "name": "X-Api-Key", "value": "${FAUCET_BENCH_SECRET}"}),
                ),
                jsonl.clone(),
            ),
            vec![secret("env"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s5",
                base(
                    json!({"kind": "oauth2", "token_url": format!("{api}/oauth/token"),
                "client_id": "c", "client_secret": secret("clientsecret"), "refresh_token": secret("refresh")}),
                ),
                jsonl.clone(),
            ),
            vec![secret("clientsecret"), secret("refresh"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s6",
                base(json!({"kind": "none"})),
                pipeline::postgres_sink(&dead_pg, "public", "t", PgMode::Append, 100),
            ),
            vec![secret("pgpassword"), secret("header")],
        ),
        (
            pipeline::pipeline(
                "s7",
                base(json!({"kind": "none"})),
                pipeline::postgres_sink(&dead_pg_query, "public", "t", PgMode::Append, 100),
            ),
            vec![secret("pgquery"), secret("header")],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_validate_dry_run_logs_or_errors() {
    let server = fixture(300, 100, 0).await;
    // Every records request fails with 401 so runs print errors with URLs.
    server.inject(
        FaultRule::new(Fault::Status {
            status: 401,
            retry_after: None,
            headers: Vec::new(),
        })
        .on_path("/records")
        .times(10_000),
    );
    let dir = workdir();
    let env = [("FAUCET_BENCH_SECRET", secret("env"))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (pipeline, secrets) in secret_pipelines(&server.url(), &dir.path().join("out.jsonl")) {
        let file = write_pipeline(dir.path(), &pipeline);
        let f = file.as_os_str();
        let commands: [&[&OsStr]; 5] = [
            &[OsStr::new("validate"), f],
            &[OsStr::new("run"), OsStr::new("--dry-run"), f],
            &[OsStr::new("-vv"), OsStr::new("run"), f],
            &[OsStr::new("check"), f],
            &[
                OsStr::new("-vv"),
                OsStr::new("run"),
                OsStr::new("--dry-run"),
                f,
            ],
        ];
        for args in commands {
            let exit = bounded(RUN_DEADLINE, "faucet", faucet(args, &env)).await;
            assert!(!exit.panicked(), "{args:?}: {}", exit.describe());
            let full_run =
                args.contains(&OsStr::new("run")) && !args.contains(&OsStr::new("--dry-run"));
            if full_run {
                // The error paths (which print URLs) must have run.
                assert!(
                    !exit.success(),
                    "{args:?} should fail (401s, dead database): {}",
                    exit.describe()
                );
            }
            for s in &secrets {
                assert!(
                    !exit.stdout.contains(s.as_str()) && !exit.stderr.contains(s.as_str()),
                    "secret {s} leaked by `faucet {args:?}` for {}:\n{}",
                    pipeline["name"],
                    exit.describe()
                );
            }
        }
    }
}
