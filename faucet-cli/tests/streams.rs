//! Many streams through the `faucet` binary: the shop API (accounts →
//! orders → order lines, a REST `resources:` source) into one JSON Lines
//! file per stream; selection, discover, check, per-stream counts and
//! state.

mod support;

use faucet_testkit::shop::{ShopConfig, ShopServer};
use serde_json::{Value, json};
use support::shop::{STREAMS, assert_stream_file, expected, shop_pipeline};
use support::{faucet, output, stderr, stdout, write};

async fn shop(accounts: u64) -> ShopServer {
    ShopServer::start(ShopConfig::new(accounts))
        .await
        .expect("the shop serves")
}

async fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = faucet(dir);
    cmd.args(args);
    output(cmd).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_stream_lands_in_its_own_file_with_its_counts_in_the_summary_and_report() {
    let shop = shop(12).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "shop", 4, |_| {}),
    );
    let result = run(
        dir.path(),
        &[
            "run",
            "shop.yaml",
            "--progress",
            "log",
            "--report",
            "report.json",
        ],
    )
    .await;
    let log = stderr(&result);
    assert!(result.status.success(), "{log}");
    for stream in STREAMS {
        assert_stream_file(dir.path(), &shop, stream);
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let mut total = 0;
    for stream in STREAMS {
        let n = expected(&shop, stream).len() as u64;
        total += n;
        let counts = &report["progress"]["streams"][stream];
        assert_eq!(counts["records_read"], n, "{stream}: {counts}");
        assert_eq!(counts["records_written"], n, "{stream}: {counts}");
        assert_eq!(counts["records_committed"], n, "{stream}: {counts}");
    }
    assert_eq!(report["progress"]["records_committed"], total);
    // The summary gives each stream its line, aligned; progress lines
    // name the streams too.
    let accounts = expected(&shop, "accounts").len();
    let orders = expected(&shop, "orders").len();
    let lines = expected(&shop, "order_lines").len();
    for line in [
        format!("  streams     accounts     {accounts} read, {accounts} committed\n"),
        format!("              order_lines  {lines} read, {lines} committed\n"),
        format!("              orders       {orders} read, {orders} committed\n"),
    ] {
        assert!(log.contains(&line), "{line:?} not in:\n{log}");
    }
    assert!(log.contains(" · accounts "), "{log}");
    assert!(
        dir.path()
            .join("out/faucet-streams.jsonl.faucet-state.json")
            .is_file()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn format_json_prints_the_report_with_each_stream_on_stdout() {
    let shop = shop(6).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "shop", 4, |_| {}),
    );
    let result = run(
        dir.path(),
        &[
            "run",
            "shop.yaml",
            "--progress",
            "quiet",
            "--format",
            "json",
        ],
    )
    .await;
    assert!(result.status.success(), "{}", stderr(&result));
    let report: Value = serde_json::from_str(&stdout(&result)).unwrap();
    assert_eq!(report["outcome"], "completed");
    for stream in STREAMS {
        let n = expected(&shop, stream).len() as u64;
        assert_eq!(
            report["progress"]["streams"][stream]["records_committed"],
            n
        );
    }
    assert!(
        !stderr(&result).contains("Completed pipeline"),
        "the text summary is left out"
    );
    // JSON Lines to stdout and the report on stdout would mix.
    let to_stdout = shop_pipeline(&shop, "shop", 4, |f| f["sink"]["path"] = json!("-"));
    write(dir.path(), "stdout.yaml", &to_stdout);
    let result = run(dir.path(), &["run", "stdout.yaml", "--format", "json"]).await;
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("--report FILE"),
        "{}",
        stderr(&result)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_select_what_is_written_and_the_flag_wins_over_the_file() {
    let shop = shop(12).await;
    let dir = tempfile::tempdir().unwrap();
    let file = shop_pipeline(&shop, "some", 4, |f| f["streams"] = json!(["orders"]));
    write(dir.path(), "some.yaml", &file);
    // The flag: only order lines, though their parents are read.
    let result = run(
        dir.path(),
        &[
            "run",
            "some.yaml",
            "--streams",
            "order_lines",
            "--progress",
            "quiet",
        ],
    )
    .await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_stream_file(dir.path(), &shop, "order_lines");
    for unwritten in ["accounts", "orders"] {
        let path = dir.path().join(format!("out/{unwritten}.jsonl"));
        assert!(!path.exists(), "{unwritten} was written");
    }
    assert!(
        stderr(&result).contains("  streams     order_lines "),
        "{}",
        stderr(&result)
    );

    // The file's `streams:` alone, in a pipeline of its own.
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "some.yaml", &file);
    let result = run(other.path(), &["run", "some.yaml", "--progress", "quiet"]).await;
    assert!(result.status.success(), "{}", stderr(&result));
    assert_stream_file(other.path(), &shop, "orders");
    assert!(!other.path().join("out/accounts.jsonl").exists());
    assert!(!other.path().join("out/order_lines.jsonl").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_shows_the_first_page_of_a_selected_stream() {
    let shop = shop(4).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "shop", 4, |_| {}),
    );
    let result = run(
        dir.path(),
        &["run", "shop.yaml", "--dry-run", "--streams", "order_lines"],
    )
    .await;
    let log = stderr(&result);
    assert!(result.status.success(), "{log}");
    assert!(log.contains("read 1 page of stream `order_lines`"), "{log}");
    let shown: Vec<Value> = stdout(&result)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lines = expected(&shop, "order_lines");
    assert!(!shown.is_empty(), "{log}");
    assert_eq!(shown, lines[..shown.len()]);
    assert!(!dir.path().join("out").exists(), "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_stream_is_a_usage_error_listing_the_streams() {
    let shop = shop(3).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "shop", 4, |_| {}),
    );
    let result = run(
        dir.path(),
        &["run", "shop.yaml", "--streams", "orders,invoices"],
    )
    .await;
    let log = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{log}");
    assert!(log.contains("--streams names a stream `invoices`"), "{log}");
    assert!(log.contains("accounts, orders, order_lines"), "{log}");
    assert!(!dir.path().join("out").exists(), "nothing was written");
    // The names come from the config: not one request was made.
    assert!(shop.requests().is_empty(), "{:?}", shop.requests());

    let file = shop_pipeline(&shop, "shop", 4, |f| f["streams"] = json!(["nope"]));
    write(dir.path(), "file.yaml", &file);
    let result = run(dir.path(), &["run", "file.yaml"]).await;
    let log = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{log}");
    assert!(
        log.contains("the file's `streams:` names a stream `nope`"),
        "{log}"
    );

    let file = shop_pipeline(&shop, "shop", 4, |f| f["streams"] = json!([]));
    write(dir.path(), "empty.yaml", &file);
    let result = run(dir.path(), &["validate", "empty.yaml"]).await;
    let log = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{log}");
    assert!(
        log.contains("streams: an empty list writes nothing"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_lists_every_stream_as_a_table_and_as_json() {
    let shop = shop(4).await;
    let dir = tempfile::tempdir().unwrap();
    let file = shop_pipeline(&shop, "shop", 4, |f| f["streams"] = json!(["orders"]));
    write(dir.path(), "shop.yaml", &file);
    let result = run(dir.path(), &["discover", "shop.yaml"]).await;
    assert!(result.status.success(), "{}", stderr(&result));
    let text = stdout(&result);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .take(4)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows[0],
        [
            "STREAM",
            "PARENT",
            "PRIMARY KEY",
            "REPLICATION KEY",
            "FIELDS"
        ],
        "{text}"
    );
    assert_eq!(rows[1][..4], ["accounts", "–", "id", "–"], "{text}");
    assert_eq!(rows[2][..4], ["orders", "accounts", "id", "–"], "{text}");
    assert_eq!(rows[3][..4], ["order_lines", "orders", "id", "–"], "{text}");
    let mut fields: Vec<&str> = rows[1][4].split(", ").collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["created_at", "handle", "id", "name", "region"],
        "accounts' fields: {text}"
    );
    assert!(
        text.contains("The file's `streams:` writes 1 of them: orders."),
        "{text}"
    );

    let result = run(dir.path(), &["discover", "shop.yaml", "--format", "json"]).await;
    assert!(result.status.success(), "{}", stderr(&result));
    let doc: Value = serde_json::from_str(&stdout(&result)).unwrap();
    let streams = doc["streams"].as_array().unwrap();
    let names: Vec<&str> = streams
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, STREAMS);
    assert_eq!(streams[1]["parent"], "accounts");
    assert_eq!(streams[1]["primary_key"], json!(["id"]));
    assert_eq!(streams[1]["selected"], true);
    assert_eq!(streams[0]["selected"], false);
    assert_eq!(
        streams[0]["schema"]["properties"]["id"]["type"], "integer",
        "{doc}"
    );
    assert!(
        streams[2]["schema"]["properties"]["_parent_id"].is_object(),
        "{doc}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_groups_the_source_checks_by_stream() {
    let shop = shop(4).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "shop", 4, |_| {}),
    );
    let result = run(dir.path(), &["check", "shop.yaml"]).await;
    let text = stdout(&result);
    assert!(result.status.success(), "{text}{}", stderr(&result));
    assert!(
        text.contains(
            "source `rest`\n  ✓ reachable\n  ✓ authorised\n  stream `accounts`\n    ✓ records\n  \
             stream `orders`\n    ✓ records\n  stream `order_lines`\n    ✓ records\n"
        ),
        "{text}"
    );
    let result = run(dir.path(), &["check", "shop.yaml", "--format", "json"]).await;
    let doc: Value = serde_json::from_str(&stdout(&result)).unwrap();
    for stream in STREAMS {
        assert_eq!(
            doc["source"]["streams"][stream][0]["name"], "records",
            "{doc}"
        );
        assert_eq!(
            doc["source"]["streams"][stream][0]["status"], "passed",
            "{doc}"
        );
    }
}
