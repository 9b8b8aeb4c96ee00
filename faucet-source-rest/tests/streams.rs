//! Many streams from one API (`resources:`): accounts → orders → order
//! lines from the shop fixture (page numbers, a cursor, `Link` headers),
//! selection, `check`, `discover`, and config errors at their paths.

mod support;

use faucet_core::connector::*;
use faucet_core::{CheckStatus, Pipeline};
use faucet_source_rest::RestSource;
use support::shop::*;
use support::{assert_mentions, config_path};

#[tokio::test]
async fn three_streams_arrive_with_their_parent_keys() {
    let shop = shop(12).await;
    let source = shop_source(&shop, |_| {});
    let got = pages(&source, SourceContext::new()).await.unwrap();
    assert_records(&of(&got, "accounts"), &shop.expected_accounts(), "accounts");
    assert_records(&of(&got, "orders"), &expected_orders(&shop), "orders");
    assert_records(
        &of(&got, "order_lines"),
        &expected_lines(&shop),
        "order lines",
    );
    assert!(
        got.iter()
            .all(|p| p.stream.is_some() && p.checkpoint.is_some())
    );
    // Accounts 5 and 10 have no orders; their (empty) reads still happen.
    let requested: Vec<String> = shop.requests().iter().map(|r| r.path.clone()).collect();
    assert!(requested.contains(&"/accounts/acme%20%26%20co%2F5/orders".to_owned()));
    // The same data gives the same pages in the same order.
    let again = pages(&source, SourceContext::new()).await.unwrap();
    let streams = |g: &[Got]| {
        g.iter()
            .map(|p| (p.stream.clone(), p.records.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(streams(&got), streams(&again));
    // The last checkpoint says every stream is done, compactly.
    let last = got.last().unwrap().checkpoint.clone().unwrap();
    let states = StreamStates::from_checkpoint(Some(&last)).unwrap();
    assert_eq!(states.get("orders"), Some(&json!({})));
    assert_eq!(states.get("order_lines"), Some(&json!({})));
    assert_eq!(
        states.get("accounts").unwrap()["partitions"][0]["done"],
        true
    );
}

#[tokio::test]
async fn a_config_without_resources_is_one_unnamed_stream() {
    let shop = shop(7).await;
    let source = support::source_at(
        &shop.url(),
        json!({"path": "/accounts", "records": "accounts",
               "pagination": {"kind": "page_number", "size_param": "per_page", "size": 3}}),
    );
    let got = pages(&source, SourceContext::new()).await.unwrap();
    assert!(got.iter().all(|p| p.stream.is_none()));
    let records: Vec<Value> = got.iter().flat_map(|p| p.records.clone()).collect();
    assert_records(&records, &shop.expected_accounts(), "accounts");
    // Its checkpoints keep the single-stream shape.
    let first = got[0].checkpoint.clone().unwrap();
    assert_eq!(
        first.as_value()["partitions"][0]["position"],
        json!({"page": 2})
    );
}

#[tokio::test]
async fn a_selected_child_reads_its_parents_without_writing_them() {
    let shop = shop(12).await;
    let source = shop_source(&shop, |_| {});
    let sink = Tables::default();
    let report = Pipeline::new(&source, &sink)
        .with_streams(StreamSelection::only(["order_lines"]))
        .run()
        .await
        .unwrap();
    assert_records(
        &sink.table("order_lines"),
        &expected_lines(&shop),
        "order lines",
    );
    assert!(sink.table("accounts").is_empty() && sink.table("orders").is_empty());
    // The parents' pages still reached the sink, empty, with checkpoints.
    let pages = sink.pages.lock().unwrap().clone();
    assert!(pages["accounts"] > 0 && pages["orders"] > 0, "{pages:?}");
    assert_eq!(
        report.progress.streams.keys().collect::<Vec<_>>(),
        ["order_lines"]
    );
    let paths: Vec<String> = shop.requests().iter().map(|r| r.path.clone()).collect();
    assert!(paths.iter().any(|p| p.ends_with("/orders")));
    assert!(paths.iter().any(|p| p == "/accounts"));
}

#[tokio::test]
async fn streams_nobody_needs_are_not_requested() {
    let shop = shop(12).await;
    let source = shop_source(&shop, |_| {});
    let got = pages(
        &source,
        SourceContext::new().with_streams(StreamSelection::only(["accounts"])),
    )
    .await
    .unwrap();
    assert_records(&of(&got, "accounts"), &shop.expected_accounts(), "accounts");
    assert!(shop.requests().iter().all(|r| r.path == "/accounts"));
    shop.clear_log();
    let got = pages(
        &source,
        SourceContext::new().with_streams(StreamSelection::only(["orders"])),
    )
    .await
    .unwrap();
    assert_records(&of(&got, "orders"), &expected_orders(&shop), "orders");
    assert!(of(&got, "order_lines").is_empty());
    assert!(
        shop.requests()
            .iter()
            .all(|r| !r.path.starts_with("/orders/"))
    );
}

#[tokio::test]
async fn unknown_streams_are_refused_with_the_list() {
    let shop = shop(3).await;
    let source = shop_source(&shop, |_| {});
    let ctx = SourceContext::new().with_streams(StreamSelection::only(["orders", "refunds"]));
    let err = pages(&source, ctx).await.unwrap_err();
    let message = err.to_string();
    assert_eq!(config_path(err), "streams");
    assert_mentions(&message, &["`refunds`", "accounts, orders, order_lines"]);
    assert!(shop.requests().is_empty());
}

#[tokio::test]
async fn discover_and_check_cover_every_resource() {
    let shop = shop(6).await;
    let source = shop_source(&shop, |c| {
        c["resources"][1]["incremental"] =
            json!({"replication_key": "created_at", "param": "since"});
    });
    let streams = source.discover().await.unwrap();
    let names: Vec<&str> = streams.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["accounts", "orders", "order_lines"]);
    let parents: Vec<Option<&str>> = streams.iter().map(|s| s.parent.as_deref()).collect();
    assert_eq!(parents, [None, Some("accounts"), Some("orders")]);
    assert!(streams.iter().all(|s| s.primary_key == ["id"]));
    assert_eq!(streams[1].replication_key.as_deref(), Some("created_at"));
    assert_eq!(streams[0].replication_key, None);
    // Accounts are read in full on every run; order lines only for new
    // orders, so they continue with their incremental parent.
    assert!(source.capabilities().incremental);
    assert_eq!(source.full_refresh_streams(), ["accounts"]);
    assert!(shop_source(&shop, |_| {}).full_refresh_streams().is_empty());
    let props = |i: usize| streams[i].schema["properties"].clone();
    assert!(props(0)["handle"].is_object());
    assert!(props(1)["account_ref"].is_object() && props(1)["total"].is_object());
    assert!(props(2)["_parent_id"].is_object() && props(2)["sku"].is_object());

    let report = source.check().await.unwrap();
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "reachable",
            "authorised",
            "records (accounts)",
            "records (orders)",
            "records (order_lines)"
        ]
    );
    assert!(report.passed(), "{report:?}");

    // A child whose path is wrong fails its item; its own child is skipped.
    let broken = shop_source(&shop, |c| {
        c["resources"][1]["path"] = json!("/nope/{parent.id}/orders");
    });
    let report = broken.check().await.unwrap();
    assert!(matches!(&report.items[3].status, CheckStatus::Failed(m) if m.contains("404")));
    assert!(matches!(report.items[4].status, CheckStatus::Skipped(_)));
    assert_eq!(report.items[2].status, CheckStatus::Passed);
}

#[tokio::test]
async fn a_parent_record_without_the_placeholder_field_fails_the_run() {
    let shop = shop(4).await;
    let source = shop_source(&shop, |c| {
        c["resources"][1]["path"] = json!("/accounts/{parent.owner}/orders");
    });
    let err = pages(&source, SourceContext::new()).await.unwrap_err();
    assert_mentions(
        &err.to_string(),
        &[
            "record 0",
            "`accounts`",
            "/accounts?page=1",
            "no field `owner`",
            "resources[1].path",
            "`orders`",
        ],
    );
}

/// A change to a valid config.
type Edit = Box<dyn FnOnce(&mut Value)>;

fn build(shop: &faucet_testkit::shop::ShopServer, edit: impl FnOnce(&mut Value)) -> FaucetError {
    let config = faucet_core::parse_config(shop_config(shop, edit)).unwrap();
    RestSource::new(config).unwrap_err()
}

#[tokio::test]
async fn config_errors_name_the_full_path() {
    let shop = shop(1).await;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|c| c["resources"][1]["parent"] = json!("acounts")),
            "resources[1].parent",
            "accounts, orders, order_lines",
        ),
        (
            Box::new(|c| c["resources"][0]["parent"] = json!("order_lines")),
            "resources[0].parent",
            "accounts → order_lines → orders → accounts",
        ),
        (
            Box::new(|c| c["resources"][2]["path"] = json!("/orders/{id}/lines")),
            "resources[2].path",
            "`{id}` names no parent field",
        ),
        (
            Box::new(|c| c["resources"][2]["path"] = json!("/orders/lines")),
            "resources[2].path",
            "{parent.<field>}",
        ),
        (
            Box::new(|c| c["resources"][0]["path"] = json!("/x/{parent.id}")),
            "resources[0].path",
            "needs a parent",
        ),
        (
            Box::new(|c| c["resources"][2]["name"] = json!("orders")),
            "resources[2].name",
            "already the name of resources[1]",
        ),
        (
            Box::new(|c| c["resources"][1]["query"]["limit"] = json!("{parent.}")),
            "resources[1].query.limit",
            "names no parent field",
        ),
        (
            Box::new(|c| c["resources"][1]["pagination"] = json!({"kind": "cursor"})),
            "resources[1].pagination.cursor_path",
            "is required",
        ),
        (
            Box::new(|c| c["resources"][1]["parent_concurrency"] = json!(0)),
            "resources[1].parent_concurrency",
            "must be between 1 and 1024, not 0",
        ),
        (
            Box::new(|c| c["path"] = json!("/accounts")),
            "path",
            "resources[i].path",
        ),
        (
            Box::new(|c| {
                c["resources"][1]["parent_fields"] = json!({"handle": "dup", "id": "dup"})
            }),
            "resources[1].parent_fields.id",
            "`dup`",
        ),
    ];
    for (edit, path, words) in cases {
        let err = build(&shop, edit);
        let message = err.to_string();
        assert_eq!(config_path(err), path, "{message}");
        assert_mentions(&message, &[words]);
    }
    // A default the resources take from the top level keeps its path.
    let err = build(&shop, |c| {
        c["pagination"] = json!({"kind": "offset", "limit": 0});
        c["resources"][2]
            .as_object_mut()
            .unwrap()
            .remove("pagination");
    });
    assert_eq!(config_path(err), "pagination.limit");
}
