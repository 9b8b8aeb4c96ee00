//! Many-stream helpers: the shop API, a source for it, a run that keeps
//! every page's stream and checkpoint, the records a complete read gives,
//! and a sink writing each stream to a table of its own.

use std::collections::BTreeMap;
use std::sync::Mutex;

use faucet_core::connector::*;
use faucet_source_rest::RestSource;
use faucet_testkit::shop::{ShopConfig, ShopServer};
use futures::StreamExt;

pub async fn shop(accounts: u64) -> ShopServer {
    ShopServer::start(ShopConfig::new(accounts))
        .await
        .expect("shop server starts")
}

/// The shop's three-resource config, changed by `edit`, with fast retries.
pub fn shop_config(shop: &ShopServer, edit: impl FnOnce(&mut Value)) -> Value {
    let mut config = shop.rest_source_config();
    config["http"] =
        json!({"retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5}, "timeout_secs": 5});
    edit(&mut config);
    config
}

pub fn shop_source(shop: &ShopServer, edit: impl FnOnce(&mut Value)) -> RestSource {
    let config = faucet_core::parse_config(shop_config(shop, edit)).expect("config parses");
    RestSource::new(config).expect("valid config")
}

/// One page as the source gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Got {
    pub stream: Option<String>,
    pub records: Vec<Value>,
    pub checkpoint: Option<Checkpoint>,
}

/// Every page of a run from `ctx`.
pub async fn pages(source: &RestSource, ctx: SourceContext) -> Result<Vec<Got>> {
    let mut stream = source.stream_pages(ctx);
    let mut out = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page?;
        out.push(Got {
            stream: page.stream().map(str::to_owned),
            records: page
                .records()
                .iter()
                .map(|r| r.to_value().expect("a tree"))
                .collect(),
            checkpoint: page.checkpoint().cloned(),
        });
    }
    Ok(out)
}

/// The records of `stream` in `pages`, in order.
pub fn of(pages: &[Got], stream: &str) -> Vec<Value> {
    pages
        .iter()
        .filter(|p| p.stream.as_deref() == Some(stream))
        .flat_map(|p| p.records.clone())
        .collect()
}

/// `record` with `fields` added at its end.
pub fn with(mut record: Value, fields: &[(&str, Value)]) -> Value {
    let map = record.as_object_mut().expect("an object");
    for (k, v) in fields {
        map.insert((*k).to_owned(), v.clone());
    }
    record
}

/// The orders a complete read gives with the shop config: each with
/// its account's handle and id copied.
pub fn expected_orders(shop: &ShopServer) -> Vec<Value> {
    shop.expected_orders()
        .into_iter()
        .map(|o| {
            let a = o["account_id"].as_u64().unwrap();
            let handle = faucet_testkit::shop::account_handle(a);
            with(
                o,
                &[("account_handle", json!(handle)), ("account_ref", json!(a))],
            )
        })
        .collect()
}

/// The order lines a complete read gives: each with its order's id.
pub fn expected_lines(shop: &ShopServer) -> Vec<Value> {
    shop.expected_lines()
        .into_iter()
        .map(|l| {
            let order = l["order_id"].clone();
            with(l, &[("_parent_id", order)])
        })
        .collect()
}

/// Asserts `got` equals `want` record by record and field by field (in
/// field order too), naming the first difference.
#[track_caller]
pub fn assert_records(got: &[Value], want: &[Value], what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let gk: Vec<&String> = g.as_object().expect("object").keys().collect();
        let wk: Vec<&String> = w.as_object().expect("object").keys().collect();
        assert_eq!(gk, wk, "{what}: fields of record {i}");
        assert_eq!(g, w, "{what}: record {i}");
    }
    assert_eq!(got.len(), want.len(), "{what}: number of records");
}

/// Keeps each stream's records apart, as a sink writing one table per
/// stream does; pages of unselected streams arrive empty.
#[derive(Debug, Default)]
pub struct Tables {
    pub tables: Mutex<BTreeMap<String, Vec<Value>>>,
    pub pages: Mutex<BTreeMap<String, usize>>,
}

impl Tables {
    pub fn table(&self, stream: &str) -> Vec<Value> {
        self.tables
            .lock()
            .unwrap()
            .get(stream)
            .cloned()
            .unwrap_or_default()
    }
}

#[async_trait]
impl Sink for Tables {
    async fn write_batch(&self, _records: &[Record]) -> Result<usize> {
        Err(FaucetError::sink_error("commit_page is the way in"))
    }

    async fn commit_page(&self, page: &Page, _ctx: &CommitContext) -> Result<PageCommit> {
        let stream = page.stream().unwrap_or("-").to_owned();
        *self
            .pages
            .lock()
            .unwrap()
            .entry(stream.clone())
            .or_default() += 1;
        if !page.is_empty() {
            let records = page.records().iter().map(|r| r.to_value().expect("a tree"));
            self.tables
                .lock()
                .unwrap()
                .entry(stream)
                .or_default()
                .extend(records);
        }
        Ok(PageCommit::new(page.len(), Durability::Rows))
    }

    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::default().streams()
    }
}

/// A shop serving `config`.
pub async fn shop_with(config: ShopConfig) -> ShopServer {
    ShopServer::start(config).await.expect("shop server starts")
}

/// The account an orders request asks for (`/accounts/{id or handle}/orders`).
pub fn account_of(path: &str) -> Option<u64> {
    let who = path.strip_prefix("/accounts/")?.strip_suffix("/orders")?;
    let who = percent_encoding::percent_decode_str(who)
        .decode_utf8()
        .ok()?;
    who.rsplit('/').next()?.parse().ok()
}

/// The account whose order a lines request asks for (`/orders/o-a-j/lines`).
pub fn account_of_lines(path: &str) -> Option<u64> {
    let id = path.strip_prefix("/orders/o-")?.strip_suffix("/lines")?;
    id.split('-').next()?.parse().ok()
}

/// The pages of a run from `ctx` up to and including the first for which
/// `stop` holds; then the run is dropped, as a crash would end it.
pub async fn pages_until(
    source: &RestSource,
    ctx: SourceContext,
    mut stop: impl FnMut(&Got) -> bool,
) -> Vec<Got> {
    let mut stream = source.stream_pages(ctx);
    let mut out = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.expect("a page");
        let got = Got {
            stream: page.stream().map(str::to_owned),
            records: page
                .records()
                .iter()
                .map(|r| r.to_value().expect("a tree"))
                .collect(),
            checkpoint: page.checkpoint().cloned(),
        };
        let last = stop(&got);
        out.push(got);
        if last {
            return out;
        }
    }
    panic!("the run ended before the page to stop at");
}
