//! Resuming many streams, as the shop server sees it: a crash in the
//! middle of one parent redoes nothing before it, an incremental child
//! reads only each parent's new records, and a resume with other streams
//! than the run that stored the checkpoint is refused where it would skip
//! or repeat records.

mod support;

use faucet_core::connector::*;
use faucet_testkit::shop::{ShopConfig, order, order_id};
use support::shop::*;
use support::{assert_mentions, config_path};

/// Everything of `stream` in `pages`, then in `more`.
fn both(pages: &[Got], more: &[Got], stream: &str) -> Vec<Value> {
    let mut all = of(pages, stream);
    all.extend(of(more, stream));
    all
}

#[tokio::test]
async fn a_crash_inside_parent_37_of_100_resumes_there_and_redoes_nothing_before_it() {
    // 100 accounts, 10 a page; 6 orders each, 2 a page (3 pages); 2 lines
    // an order, one page.
    let config = ShopConfig::new(100).with_counts(6, 2);
    let ten_a_page = |c: &mut Value| c["resources"][0]["pagination"]["size"] = json!(10);
    let crashed = shop_with(config.clone()).await;
    let source = shop_source(&crashed, ten_a_page);
    // The crash: after the second orders page of account 37 (its orders 3
    // and 4), before their lines and its last orders page.
    let first = pages_until(&source, SourceContext::new(), |p| {
        p.stream.as_deref() == Some("orders")
            && p.records.first().map(|o| o["id"].clone()) == Some(json!(order_id(37, 3)))
    })
    .await;
    let resume = first.last().unwrap().checkpoint.clone();
    // The resumed run reads a second server with the same data, so the
    // requests the crashed run still had in flight are not counted.
    drop(crashed);
    let shop = shop_with(config).await;
    let source = shop_source(&shop, ten_a_page);
    let rest = pages(&source, SourceContext::new().with_resume(resume))
        .await
        .unwrap();

    // Every record exactly once, in order, across the two runs.
    assert_records(
        &both(&first, &rest, "accounts"),
        &shop.expected_accounts(),
        "accounts",
    );
    assert_records(
        &both(&first, &rest, "orders"),
        &expected_orders(&shop),
        "orders",
    );
    assert_records(
        &both(&first, &rest, "order_lines"),
        &expected_lines(&shop),
        "lines",
    );

    // The resumed run asks nothing of the accounts before 37, nor of the
    // account pages already read (1 to 4).
    let requests = shop.requests();
    for r in &requests {
        let account = account_of(&r.path).or_else(|| account_of_lines(&r.path));
        assert!(account.is_none_or(|a| a >= 37), "redone: {r:?}");
        if r.path == "/accounts" {
            let page: u64 = r.query_value("page").unwrap().parse().unwrap();
            assert!(page >= 5, "account page {page} read again");
        }
    }
    // Account 37: only its last orders page, and the lines of the orders
    // after the crash point (3 to 6).
    let of_37: Vec<String> = requests
        .iter()
        .filter(|r| account_of(&r.path) == Some(37))
        .map(|r| r.query_value("cursor").unwrap_or_default())
        .collect();
    assert_eq!(of_37, ["after-4"]);
    let mut lines_37: Vec<&str> = requests
        .iter()
        .filter(|r| account_of_lines(&r.path) == Some(37))
        .map(|r| r.path.as_str())
        .collect();
    lines_37.sort_unstable();
    assert_eq!(
        lines_37,
        (3..=6)
            .map(|j| format!("/orders/{}/lines", order_id(37, j)))
            .collect::<Vec<_>>()
    );
    // Each later account once: 3 orders pages, 6 lines requests.
    for a in 38..=100 {
        let orders = requests
            .iter()
            .filter(|r| account_of(&r.path) == Some(a))
            .count();
        let lines = requests
            .iter()
            .filter(|r| account_of_lines(&r.path) == Some(a))
            .count();
        assert_eq!((orders, lines), (3, 6), "account {a}");
    }
}

#[tokio::test]
async fn an_incremental_child_reads_only_the_new_records_of_each_parent() {
    let shop = shop_with(ShopConfig::new(9).with_counts(3, 1)).await;
    let source = shop_source(&shop, |c| {
        c["resources"][1]["incremental"] =
            json!({"replication_key": "created_at", "param": "since"});
    });
    let first = pages(&source, SourceContext::new()).await.unwrap();
    assert_records(&of(&first, "orders"), &expected_orders(&shop), "orders");
    let after = first.last().unwrap().checkpoint.clone();

    // New orders for two accounts. Account 2's are older than account
    // 1's newest order: only a key kept per account finds them.
    shop.add_orders(2, 3);
    shop.add_orders(7, 1);
    shop.clear_log();
    let second = pages(&source, SourceContext::new().with_resume(after))
        .await
        .unwrap();
    let new: Vec<Value> = expected_orders(&shop)
        .into_iter()
        .filter(|o| {
            let (a, j) = (
                o["account_id"].as_u64().unwrap(),
                o["number"].as_u64().unwrap(),
            );
            (a == 2 || a == 7) && j > 3
        })
        .collect();
    assert_eq!(new.len(), 4);
    assert_records(&of(&second, "orders"), &new, "new orders");
    // Their lines, and no others.
    let lines: Vec<Value> = of(&second, "order_lines");
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["o-2-4", "o-2-5", "o-2-6", "o-7-4"]);
    // Every account was asked from its own newest order: once, or twice
    // for account 2, whose newest and 3 new orders make two pages.
    for a in 1..=9 {
        let asked: Vec<String> = shop
            .requests()
            .iter()
            .filter(|r| account_of(&r.path) == Some(a))
            .map(|r| r.query_value("since").unwrap_or_default())
            .collect();
        let newest = order(a, 3)["created_at"].as_str().unwrap().to_owned();
        let times = if a == 2 { 2 } else { 1 };
        assert_eq!(asked, vec![newest; times], "account {a}");
    }
    // A third run with nothing new reads no order and no line.
    let third_from = second.last().unwrap().checkpoint.clone();
    let third = pages(&source, SourceContext::new().with_resume(third_from))
        .await
        .unwrap();
    assert!(of(&third, "orders").is_empty() && of(&third, "order_lines").is_empty());
}

/// A run of `only` (every stream when empty), cut after `cut` pages.
async fn cut_run(source: &faucet_source_rest::RestSource, only: &[&str], cut: usize) -> Vec<Got> {
    let mut seen = 0;
    pages_until(source, select(only), |_| {
        seen += 1;
        seen == cut
    })
    .await
}

fn select(only: &[&str]) -> SourceContext {
    if only.is_empty() {
        SourceContext::new()
    } else {
        SourceContext::new().with_streams(StreamSelection::only(only.iter().copied()))
    }
}

#[tokio::test]
async fn an_unfinished_pass_resumes_only_with_the_streams_that_began_it() {
    let shop = shop_with(ShopConfig::new(12).with_counts(3, 2)).await;
    let source = shop_source(&shop, |_| {});
    // Begun with only the lines selected: accounts and orders are read
    // for them, not written. Selecting accounts now would skip the
    // accounts of the pages read before; refused.
    let first = cut_run(&source, &["order_lines"], 20).await;
    let checkpoint = first.last().unwrap().checkpoint.clone();
    for now in [
        &[][..],
        &["accounts", "order_lines"],
        &["orders", "order_lines"],
    ] {
        let ctx = select(now).with_resume(checkpoint.clone());
        let err = pages(&source, ctx).await.unwrap_err();
        let message = err.to_string();
        assert_eq!(config_path(err), "streams", "{now:?}: {message}");
        assert_mentions(&message, &["without writing its records", "--restart"]);
    }
    // With the same selection it finishes exactly.
    let ctx = select(&["order_lines"]).with_resume(checkpoint.clone());
    let rest = pages(&source, ctx).await.unwrap();
    assert_records(
        &both(&first, &rest, "order_lines"),
        &expected_lines(&shop),
        "lines",
    );

    // Begun with every stream: dropping one that is written is refused.
    let first = cut_run(&source, &[], 20).await;
    let checkpoint = first.last().unwrap().checkpoint.clone();
    for (now, named) in [
        (&["orders", "order_lines"][..], "`accounts`"),
        (&["accounts", "orders"], "`order_lines`"),
    ] {
        let ctx = select(now).with_resume(checkpoint.clone());
        let err = pages(&source, ctx).await.unwrap_err();
        let message = err.to_string();
        assert_eq!(config_path(err), "streams", "{now:?}: {message}");
        assert_mentions(&message, &[named, "--restart"]);
    }
    let rest = pages(&source, select(&[]).with_resume(checkpoint))
        .await
        .unwrap();
    assert_records(
        &both(&first, &rest, "orders"),
        &expected_orders(&shop),
        "orders",
    );
}

#[tokio::test]
async fn a_new_pass_may_change_streams_unless_a_stored_key_would_skip_records() {
    let shop = shop_with(ShopConfig::new(6).with_counts(2, 1)).await;
    // Full refresh: the last pass wrote only the lines; the next one may
    // write the accounts too, and reads them all.
    let full = shop_source(&shop, |_| {});
    let done = pages(&full, select(&["order_lines"])).await.unwrap();
    let after = done.last().unwrap().checkpoint.clone();
    let next = pages(
        &full,
        select(&["accounts", "order_lines"]).with_resume(after),
    )
    .await
    .unwrap();
    assert_records(
        &of(&next, "accounts"),
        &shop.expected_accounts(),
        "accounts",
    );

    // Incremental orders, read by the last pass only for their lines:
    // their keys are past orders never written, so selecting them is
    // refused; the lines alone go on.
    let incremental = shop_source(&shop, |c| {
        c["resources"][1]["incremental"] =
            json!({"replication_key": "created_at", "param": "since"});
    });
    let done = pages(&incremental, select(&["order_lines"])).await.unwrap();
    let after = done.last().unwrap().checkpoint.clone();
    for now in [&["orders"][..], &["orders", "order_lines"]] {
        let ctx = select(now).with_resume(after.clone());
        let err = pages(&incremental, ctx).await.unwrap_err();
        let message = err.to_string();
        assert_eq!(config_path(err), "streams", "{message}");
        assert_mentions(&message, &["`orders`", "replication key", "--restart"]);
    }
    // With the streams of the last pass it goes on: only the new order's
    // lines.
    shop.add_orders(3, 1);
    let ctx = select(&["order_lines"]).with_resume(after);
    let next = pages(&incremental, ctx).await.unwrap();
    let ids: Vec<Value> = of(&next, "order_lines")
        .iter()
        .map(|l| l["order_id"].clone())
        .collect();
    assert_eq!(ids, [json!(order_id(3, 3))]);
}
