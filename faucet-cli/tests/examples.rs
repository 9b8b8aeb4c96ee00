//! Every pipeline file in `examples/` validates, and each runs end to end
//! against the test kit's fixture server (and PostgreSQL for the one that
//! needs it): they need only local services.

mod support;

use std::path::PathBuf;

use faucet_testkit::fixture::{FixtureAuth, FixtureConfig, FixtureServer};
use support::{faucet, jsonl_ids, output, stderr, workspace_root};

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_validates() {
    let files = examples();
    assert!(files.len() >= 3, "examples: {files:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path())
        .arg("validate")
        .args(&files)
        .env("API_TOKEN", "token-for-validation")
        .env("PII_SALT", "salt-for-validation-0123")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(support::stdout(&out).matches('✓').count(), files.len());
}

fn example(name: &str) -> PathBuf {
    workspace_root().join("examples").join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_to_jsonl_runs_end_to_end() {
    let server = FixtureServer::start(FixtureConfig::new(1_234))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = faucet(dir.path());
    cmd.arg("run")
        .arg(example("rest-to-jsonl.yaml"))
        .env("API_URL", server.url())
        .env("OUT_DIR", dir.path());
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(
        jsonl_ids(&dir.path().join("records.jsonl")),
        (1..=1_234).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_transforms_jsonl_keeps_filters_renames_and_hashes_every_record() {
    let server = FixtureServer::start(FixtureConfig::new(3_000))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = faucet(dir.path());
    cmd.arg("run")
        .arg(example("rest-transforms-jsonl.yaml"))
        .env("API_URL", server.url())
        .env("OUT_DIR", dir.path())
        .env("PII_SALT", "a-salt-of-sixteen-bytes-or-more");
    let result = output(cmd).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        !stderr(&result).contains("a-salt-of-sixteen"),
        "the salt is never shown"
    );
    let text = std::fs::read_to_string(dir.path().join("customers-fr.jsonl")).unwrap();
    let got: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<serde_json::Value> = (1..=3_000)
        .map(faucet_testkit::fixture::record)
        .filter(|r| r["active"] == true && r["country"] == "FR")
        .collect();
    assert!(
        expected.len() > 50,
        "the filter keeps some: {}",
        expected.len()
    );
    assert_eq!(got.len(), expected.len());
    for (out, source) in got.iter().zip(&expected) {
        let keys: Vec<&str> = out
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "name", "amount", "attributes"], "{out}");
        assert_eq!(out["id"], source["id"]);
        assert_eq!(out["amount"], source["amount"]);
        assert_eq!(
            out["attributes"],
            serde_json::json!({"tier": source["attributes"]["tier"]})
        );
        let hashed = out["name"].as_str().unwrap();
        assert_eq!(hashed.len(), 64, "hex HMAC-SHA-256: {hashed}");
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(hashed, source["first_name"]);
    }
    // Equal names hash alike (a pseudonym, not noise).
    let by_name = |name: &str| {
        got.iter()
            .zip(&expected)
            .filter(|(_, s)| s["first_name"] == name)
            .map(|(o, _)| o["name"].as_str().unwrap().to_owned())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let first = expected[0]["first_name"].as_str().unwrap().to_owned();
    assert_eq!(by_name(&first).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn incremental_rest_reads_only_new_records_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records-incremental.jsonl");
    for records in [700, 1_000] {
        // The second server serves 300 more records; the second run must
        // append exactly those.
        let server = FixtureServer::start(FixtureConfig::new(records))
            .await
            .unwrap();
        let mut cmd = faucet(dir.path());
        cmd.arg("run")
            .arg(example("incremental-rest.yaml"))
            .env("API_URL", server.url())
            .env("OUT_DIR", dir.path());
        let result = output(cmd).await;
        assert!(result.status.success(), "{}", stderr(&result));
        assert_eq!(
            jsonl_ids(&out),
            (1..=records).collect::<Vec<_>>(),
            "after serving {records}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_to_postgres_upsert_runs_end_to_end_and_reruns_idempotently() {
    let token = "example-token-0123456789";
    let config = FixtureConfig::new(2_500).with_auth(FixtureAuth::Bearer(token.into()));
    let server = FixtureServer::start(config).await.unwrap();
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let mut cmd = faucet(dir.path());
        cmd.arg("run")
            .arg(example("rest-to-postgres-upsert.yaml"))
            .env("API_URL", server.url())
            .env("API_TOKEN", token)
            .env("DATABASE_URL", schema.url())
            .env("PG_SCHEMA", schema.name());
        let result = output(cmd).await;
        assert!(result.status.success(), "{}", stderr(&result));
        assert!(!stderr(&result).contains(token), "the token was printed");
        let row = schema
            .client()
            .query_one(
                &format!(
                    "SELECT count(*), count(DISTINCT id) FROM \"{}\".records",
                    schema.name()
                ),
                &[],
            )
            .await
            .unwrap();
        assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (2_500, 2_500));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shop_many_streams_loads_three_tables_and_reruns_incrementally() {
    use faucet_testkit::shop::{ShopConfig, ShopServer};
    let shop = ShopServer::start(ShopConfig::new(20)).await.unwrap();
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let count = |table: &'static str| {
        let sql = format!(
            "SELECT count(*), count(DISTINCT id) FROM \"{}\".\"shop_{table}\"",
            schema.name()
        );
        let client = schema.client();
        async move {
            let row = client.query_one(&sql, &[]).await.unwrap();
            (row.get::<_, i64>(0) as usize, row.get::<_, i64>(1) as usize)
        }
    };
    for round in 0..2 {
        if round == 1 {
            shop.add_orders(4, 2);
        }
        let mut cmd = faucet(dir.path());
        cmd.arg("run")
            .arg(example("shop-many-streams-postgres.yaml"))
            .env("SHOP_URL", shop.url())
            .env("DATABASE_URL", schema.url())
            .env("PG_SCHEMA", schema.name());
        let result = output(cmd).await;
        assert!(
            result.status.success(),
            "round {round}: {}",
            stderr(&result)
        );
        let accounts = shop.expected_accounts().len();
        let orders = shop.expected_orders().len();
        let lines = shop.expected_lines().len();
        assert_eq!(
            count("accounts").await,
            (accounts, accounts),
            "round {round}"
        );
        assert_eq!(count("orders").await, (orders, orders), "round {round}");
        assert_eq!(count("order_lines").await, (lines, lines), "round {round}");
    }
}

/// The Singer example through the binary: the real tap-jsonl (installed
/// by the source from the Python package registry) into PostgreSQL, the
/// table's column types taken from the tap's SCHEMA message, every row
/// checked, and a rerun that leaves one row per record.
#[tokio::test(flavor = "multi_thread")]
async fn singer_tap_jsonl_to_postgres_types_columns_from_the_tap_schema() {
    let schema = faucet_testkit::postgres::server().fresh_schema().await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.jsonl");
    let mut lines = String::new();
    for i in 1..=300u64 {
        // The first record has no amount: a sampled table would not know
        // its type; the tap's schema says number.
        let amount = if i == 1 {
            "null".to_owned()
        } else {
            format!("{}.25", i)
        };
        lines += &format!(
            "{{\"id\": {i}, \"name\": \"person {i}\", \"amount\": {amount}, \"at\": \"2024-01-{:02}T00:00:00Z\"}}\n",
            i % 28 + 1
        );
    }
    std::fs::write(&input, lines).unwrap();
    for round in 0..2 {
        let mut cmd = faucet(dir.path());
        cmd.arg("run")
            .arg(example("singer-tap-jsonl-postgres.yaml"))
            .env("PEOPLE_JSONL", &input)
            .env("FAUCET_VENVS", faucet_testkit::python::venvs_dir())
            .env("DATABASE_URL", schema.url())
            .env("PG_SCHEMA", schema.name());
        let result = output(cmd).await;
        assert!(
            result.status.success(),
            "round {round}: {}",
            stderr(&result)
        );
        let rows = schema
            .client()
            .query(
                &format!(
                    "SELECT id, name, amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
                     FROM \"{}\".people ORDER BY id",
                    schema.name()
                ),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 300, "round {round}");
        for (row, i) in rows.iter().zip(1..=300i64) {
            assert_eq!(row.get::<_, i64>(0), i);
            assert_eq!(row.get::<_, String>(1), format!("person {i}"));
            let amount = (i > 1).then(|| format!("{i}.25"));
            assert_eq!(row.get::<_, Option<String>>(2), amount);
            assert_eq!(
                row.get::<_, String>(3),
                format!("2024-01-{:02}T00:00:00Z", i % 28 + 1)
            );
        }
    }
    let types = schema
        .client()
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'people'",
            &[&schema.name()],
        )
        .await
        .unwrap();
    let type_of = |column: &str| {
        types
            .iter()
            .find(|r| r.get::<_, String>(0) == column)
            .map(|r| r.get::<_, String>(1))
    };
    assert_eq!(type_of("id").as_deref(), Some("bigint"));
    assert_eq!(type_of("amount").as_deref(), Some("numeric"));
    assert_eq!(type_of("at").as_deref(), Some("timestamp with time zone"));
}
