//! Many streams at once, as the shop server sees them: one token bucket
//! for every stream, children of several parents in flight together,
//! numbered child pages that never wait forever for a permit, and a
//! complete read that logs no warning.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faucet_core::connector::*;
use faucet_testkit::shop::{ShopConfig, ShopRequest};
use support::shop::*;

/// The most requests the server received within any `window`, counted
/// from each request's arrival.
fn busiest(requests: &[ShopRequest], window: Duration) -> usize {
    let mut arrivals: Vec<Duration> = requests.iter().map(|r| r.at).collect();
    arrivals.sort();
    (0..arrivals.len())
        .map(|i| {
            arrivals[i..]
                .iter()
                .take_while(|&&t| t < arrivals[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn three_streams_share_one_token_bucket() {
    let shop = shop_with(ShopConfig::new(8).with_counts(2, 2)).await;
    let source = shop_source(&shop, |c| {
        c["http"]["rate_limit"] = json!({"requests_per_second": 20.0, "burst": 1});
        c["concurrency"] = json!(8);
        c["resources"][1]["parent_concurrency"] = json!(8);
        c["resources"][2]["parent_concurrency"] = json!(8);
    });
    let got = pages(&source, SourceContext::new()).await.unwrap();
    assert_records(&of(&got, "order_lines"), &expected_lines(&shop), "lines");
    let requests = shop.requests();
    // 2 account pages, 8 accounts' orders (1 page each), 16 orders' lines.
    assert_eq!(requests.len(), 2 + 8 + 16);
    let streams = |prefix: &str, suffix: &str| {
        requests
            .iter()
            .filter(|r| r.path.starts_with(prefix) && r.path.ends_with(suffix))
            .count()
    };
    assert_eq!(streams("/accounts", "/accounts"), 2);
    assert_eq!(streams("/accounts/", "/orders"), 8);
    assert_eq!(streams("/orders/", "/lines"), 16);
    // 20 a second, one at a time after a quiet spell: within any second
    // the server sees at most 20 + the burst, and one more for arrival
    // jitter. A bucket per stream would let up to three times as many in.
    let most = busiest(&requests, Duration::from_secs(1));
    assert!(most <= 22, "{most} requests within one second");
    let most = busiest(&requests, Duration::from_millis(500));
    assert!(most <= 12, "{most} requests within half a second");
}

/// The most parents whose children the server was serving at once:
/// requests of different accounts whose `at..done` spans overlap.
fn most_parents_at_once(requests: &[ShopRequest], parent: impl Fn(&str) -> Option<u64>) -> usize {
    let spans: Vec<(Duration, Duration, u64)> = requests
        .iter()
        .filter_map(|r| parent(&r.path).map(|p| (r.at, r.done, p)))
        .collect();
    spans
        .iter()
        .map(|&(start, _, _)| {
            let mut open: Vec<u64> = spans
                .iter()
                .filter(|&&(s, d, _)| s <= start && start < d)
                .map(|&(_, _, p)| p)
                .collect();
            open.sort_unstable();
            open.dedup();
            open.len()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn parent_concurrency_reads_the_children_of_several_parents_at_once() {
    let config = ShopConfig::new(12)
        .with_orders_per_account(4)
        .with_latency(Duration::from_millis(40));
    let shop = shop_with(config).await;
    let source = shop_source(&shop, |c| {
        c["concurrency"] = json!(16);
        c["resources"][1]["parent_concurrency"] = json!(4);
        c["resources"].as_array_mut().unwrap().truncate(2);
    });
    let got = pages(&source, SourceContext::new()).await.unwrap();
    assert_records(&of(&got, "orders"), &expected_orders(&shop), "orders");
    let at_once = most_parents_at_once(&shop.requests(), account_of);
    // Several parents at once, and never more than parent_concurrency.
    assert!((2..=4).contains(&at_once), "{at_once} accounts at once");

    // With parent_concurrency 1, one account after another.
    shop.clear_log();
    let one = shop_source(&shop, |c| {
        c["concurrency"] = json!(16);
        c["resources"][1]["parent_concurrency"] = json!(1);
        c["resources"].as_array_mut().unwrap().truncate(2);
    });
    let again = pages(&one, SourceContext::new()).await.unwrap();
    assert_records(&of(&again, "orders"), &expected_orders(&shop), "orders");
    assert_eq!(most_parents_at_once(&shop.requests(), account_of), 1);
}

#[tokio::test]
async fn numbered_child_pages_finish_when_waiting_parents_outnumber_the_permits() {
    // One request in flight at most (`concurrency: 1`), the lines of up
    // to eight orders read at once, each order's 60 lines by page number,
    // one a page: a parent waiting for its turn to deliver has a prefetch
    // in flight, which must finish (and give the one permit back) while
    // it waits, or the parent being delivered never gets the permit.
    // (Fetches polled only by their waiting parent hang here.)
    let config = ShopConfig::new(3)
        .with_counts(4, 60)
        .with_latency(Duration::from_millis(2));
    let shop = shop_with(config).await;
    let source = shop_source(&shop, |c| {
        c["concurrency"] = json!(1);
        c["resources"][1]["parent_concurrency"] = json!(8);
        c["resources"][2]["parent_concurrency"] = json!(8);
        c["resources"][2]["query"] = json!({});
        c["resources"][2]["pagination"] =
            json!({"kind": "page_number", "size_param": "per_page", "size": 1});
    });
    let run = tokio::time::timeout(
        Duration::from_secs(60),
        pages(&source, SourceContext::new()),
    )
    .await
    .expect("the run finishes: no fetch waits forever for a permit");
    let got = run.unwrap();
    assert_records(&of(&got, "order_lines"), &expected_lines(&shop), "lines");
    assert_records(&of(&got, "orders"), &expected_orders(&shop), "orders");
}

/// Every event logged at WARN or above, as text.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Warnings {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_complete_read_of_the_shop_logs_no_warning() {
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer({
            let w = warnings.clone();
            move || w.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Every account has 4 orders and every order 4 lines, 2 a page: each
    // last page is full and says the end (`"next_cursor": null`, no
    // `rel="next"`), as an API that looks ahead does.
    let shop = shop_with(ShopConfig::new(6).with_counts(4, 4)).await;
    let source = shop_source(&shop, |_| {});
    let got = pages(&source, SourceContext::new()).await.unwrap();
    assert_records(&of(&got, "order_lines"), &expected_lines(&shop), "lines");
    let logged = String::from_utf8(warnings.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged, "", "warnings on a complete read");

    // The subscriber does see this test's warnings: the check above can fail.
    tracing::warn!("Probe: the subscriber sees this test's warnings");
    let logged = String::from_utf8(warnings.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("Probe"), "{logged}");
}
