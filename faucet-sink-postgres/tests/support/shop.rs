//! A source of three streams (accounts, orders, order lines), pages of
//! them interleaved, each page's checkpoint the whole `StreamStates` map
//! (`{"streams": {name: {"next": n}}}`), resuming every stream where it
//! was, as a multi-stream REST source does.

use faucet_core::connector::*;
use faucet_core::futures::StreamExt;
use faucet_core::{Pipeline, StreamStates};
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, PostgresStreamConfig, WriteMode};
use faucet_testkit::postgres::TestSchema;

use super::text_record;

/// The stream names, in script order.
pub const SHOP: [&str; 3] = ["accounts", "orders", "order_lines"];

/// Interleaved pages of three streams.
pub struct ShopSource {
    /// Stream names (default [`SHOP`]).
    pub names: [String; 3],
    /// Records per stream.
    pub counts: [usize; 3],
    pub page_size: usize,
    /// Order ids repeat every this many orders (later ones update the
    /// earlier: `version` grows).
    pub distinct_orders: usize,
    /// Fail instead of producing the page at this script position
    /// (counted in this run).
    pub fail_at: Option<usize>,
}

impl ShopSource {
    pub fn new(accounts: usize, orders: usize, lines: usize, page_size: usize) -> Self {
        Self {
            names: SHOP.map(str::to_owned),
            counts: [accounts, orders, lines],
            page_size,
            distinct_orders: orders.max(1),
            fail_at: None,
        }
    }

    /// Record `i` of stream number `s`.
    pub fn record(&self, s: usize, i: usize) -> Value {
        match s {
            0 => {
                json!({"id": i, "name": format!("account {i}"), "tier": (["gold", "silver"])[i % 2]})
            }
            1 => json!({
                "id": i % self.distinct_orders,
                "account_id": i % self.counts[0].max(1),
                "total": i as f64 * 1.5,
                "version": i / self.distinct_orders,
            }),
            _ => json!({
                "id": i,
                "order_id": i % self.distinct_orders,
                "sku": format!("sku-\"{}\"", i % 7),
                "qty": i % 5 + 1,
            }),
        }
    }

    /// The script: (stream number, first record) of every page, streams
    /// taking turns.
    fn script(&self) -> Vec<(usize, usize)> {
        let pages = self.counts.map(|c| c.div_ceil(self.page_size));
        let rounds = pages.iter().copied().max().unwrap_or(0);
        let mut script = Vec::new();
        for r in 0..rounds {
            for (s, &n) in pages.iter().enumerate() {
                if r < n {
                    script.push((s, r * self.page_size));
                }
            }
        }
        script
    }
}

#[async_trait]
impl Source for ShopSource {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        faucet_core::connector::collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let mut states = match StreamStates::from_checkpoint(ctx.resume_from.as_ref()) {
            Ok(states) => states,
            Err(err) => return faucet_core::futures::stream::once(async { Err(err) }).boxed(),
        };
        let next = |states: &StreamStates, s: usize| {
            (states.get(&self.names[s]))
                .and_then(|v| v["next"].as_u64())
                .unwrap_or(0) as usize
        };
        let todo: Vec<(usize, usize)> = (self.script().into_iter())
            .filter(|&(s, from)| from >= next(&states, s))
            .collect();
        let pages: Vec<Result<Page>> = (todo.into_iter().enumerate())
            .map(|(k, (s, from))| {
                if self.fail_at == Some(k) {
                    return Err(FaucetError::source_error("injected source failure"));
                }
                let to = (from + self.page_size).min(self.counts[s]);
                let records = (from..to)
                    .map(|i| text_record(&self.record(s, i)))
                    .collect();
                states.set(self.names[s].clone(), json!({ "next": to }));
                Ok(Page::new(records)
                    .with_stream(self.names[s].as_str())
                    .with_checkpoint(states.to_checkpoint().into_value()))
            })
            .collect();
        faucet_core::futures::stream::iter(pages).boxed()
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }
}

/// Every row of `table` (as `to_jsonb`), ordered by `id`.
pub async fn rows(schema: &TestSchema, table: &str) -> Vec<Value> {
    let sql = format!(
        "SELECT to_jsonb(t) FROM \"{}\" t ORDER BY id",
        table.replace('"', "\"\"")
    );
    let rows = schema.client().query(&sql, &[]).await.unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// `actual` holds exactly the fields of `expected`, each equal (numbers
/// by value: `0` and `0.0` alike).
pub fn assert_row(actual: &Value, expected: &Value) {
    let (a, e) = (actual.as_object().unwrap(), expected.as_object().unwrap());
    let mut keys: Vec<&String> = a.keys().collect();
    let mut want: Vec<&String> = e.keys().collect();
    keys.sort();
    want.sort();
    assert_eq!(keys, want, "columns of {actual}");
    for (k, v) in e {
        match v {
            Value::Number(n) => assert_eq!(a[k].as_f64(), n.as_f64(), "{k} of {actual}"),
            _ => assert_eq!(&a[k], v, "{k} of {actual}"),
        }
    }
}

/// Stream `s` of `source` is in `table`, each record once, field by field.
pub async fn assert_stream(schema: &TestSchema, table: &str, source: &ShopSource, s: usize) {
    let got = rows(schema, table).await;
    let want: Vec<Value> = (0..source.counts[s]).map(|i| source.record(s, i)).collect();
    assert_eq!(got.len(), want.len(), "rows of {table}");
    for (a, e) in got.iter().zip(&want) {
        assert_row(a, e);
    }
}

/// SQL listing replace mode's load tables in the test schema.
pub fn load_tables(schema: &TestSchema) -> String {
    format!(
        "SELECT relname::text FROM pg_class WHERE relnamespace = '{}'::regnamespace \
         AND relname LIKE '%faucet_new' ORDER BY 1",
        schema.name()
    )
}

pub async fn run(sink: &PostgresSink, source: ShopSource) -> Result<faucet_core::RunReport> {
    Pipeline::new(source, sink).with_name("shop").run().await
}

pub fn stream(mode: WriteMode, key: &[&str]) -> PostgresStreamConfig {
    PostgresStreamConfig {
        mode: Some(mode),
        key: Some(key.iter().map(|k| (*k).to_owned()).collect()),
        ..Default::default()
    }
}

/// `raw_{stream}`; accounts replaced, orders upserted by id, lines
/// appended into `lines`.
pub fn mixed(mut config: PostgresSinkConfig) -> PostgresSinkConfig {
    config.table = "raw_{stream}".into();
    config.batch_rows = 10;
    config.streams = [
        ("accounts".to_owned(), stream(WriteMode::Replace, &[])),
        ("orders".to_owned(), stream(WriteMode::Upsert, &["id"])),
        (
            "order_lines".to_owned(),
            PostgresStreamConfig {
                table: Some("lines".into()),
                ..Default::default()
            },
        ),
    ]
    .into();
    config
}
