//! Shared by the integration tests: a resumable in-memory source and a
//! sink config pointing at a fresh schema of the test PostgreSQL.

#![allow(dead_code, unreachable_pub)]

use faucet_core::connector::*;
use faucet_core::futures::StreamExt;
use faucet_sink_postgres::PostgresSinkConfig;
use faucet_testkit::postgres::{self, TestSchema};

mod shop;
#[allow(unused_imports)]
pub use shop::*;

/// Records served in pages of `page_size`; each page's checkpoint is
/// `{"next": <index of the next record>}`, and a run resumes there.
/// `fail_after` pages, the source fails (the sink stays healthy).
pub struct PagedSource {
    pub records: Vec<Record>,
    pub page_size: usize,
    pub fail_after: Option<usize>,
    /// Checkpoint of the last page: `Some(null)` means "start over".
    pub final_checkpoint: Option<Value>,
    /// The JSON Schema every page declares (`Page::with_schema`).
    pub schema: Option<std::sync::Arc<Value>>,
}

impl PagedSource {
    /// Records as JSON text (`Record::from_json`), as a JSON source
    /// delivers them: the sink's raw path.
    pub fn new(records: Vec<Value>, page_size: usize) -> Self {
        Self::of(records.iter().map(text_record).collect(), page_size)
    }

    /// Records as trees (`Record::from_value`), as a source that builds
    /// values delivers them.
    pub fn trees(records: Vec<Value>, page_size: usize) -> Self {
        Self::of(
            records.into_iter().map(Record::from_value).collect(),
            page_size,
        )
    }

    /// Records as they are.
    pub fn of(records: Vec<Record>, page_size: usize) -> Self {
        Self {
            records,
            page_size,
            fail_after: None,
            final_checkpoint: None,
            schema: None,
        }
    }

    /// Every page declares `schema` for its records.
    pub fn declaring(mut self, schema: Value) -> Self {
        self.schema = Some(std::sync::Arc::new(schema));
        self
    }
}

/// A text record of `value`'s compact JSON.
pub fn text_record(value: &Value) -> Record {
    Record::from_json(value.to_string()).expect("valid JSON")
}

/// Text records of `values`, for a page.
pub fn text_records(values: Vec<Value>) -> Vec<Record> {
    values.iter().map(text_record).collect()
}

#[async_trait]
impl Source for PagedSource {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(self.records.clone())
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let start = ctx
            .resume_from
            .as_ref()
            .and_then(|c| c.as_value()["next"].as_u64())
            .unwrap_or(0) as usize;
        let starts: Vec<usize> = (start..self.records.len())
            .step_by(self.page_size.max(1))
            .collect();
        let last = starts.len().saturating_sub(1);
        faucet_core::futures::stream::iter(starts.into_iter().enumerate())
            .map(move |(n, from)| {
                if self.fail_after == Some(n) {
                    return Err(FaucetError::source_error("injected source failure"));
                }
                let to = (from + self.page_size).min(self.records.len());
                let checkpoint = match (&self.final_checkpoint, n == last) {
                    (Some(fin), true) => fin.clone(),
                    _ => json!({ "next": to }),
                };
                let page = Page::new(self.records[from..to].to_vec()).with_checkpoint(checkpoint);
                Ok(match &self.schema {
                    Some(schema) => page.with_schema(std::sync::Arc::clone(schema)),
                    None => page,
                })
            })
            .boxed()
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }
}

/// `n` records of the benchmark shape.
pub fn people(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "id": i,
                "first_name": format!("name{i}"),
                "country": (["FR", "DE", "JP"])[i % 3],
                "amount": i as f64 * 1.25,
                "created_at": "2024-05-06T07:08:09.123Z",
                "active": i % 2 == 0,
                "attributes": {"tier": "gold", "score": 0.5, "tags": ["a", "b"]},
            })
        })
        .collect()
}

/// A fresh schema and a sink config for `table` in it.
pub async fn setup(table: &str) -> (TestSchema, PostgresSinkConfig) {
    let server = postgres::server();
    let schema = server.fresh_schema().await;
    let mut config = PostgresSinkConfig::new(server.url(), table);
    config.schema = schema.name().to_owned();
    (schema, config)
}

/// `SELECT count(*)` of a table in the test schema (name quoted here).
pub async fn count(schema: &TestSchema, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
    schema.client().query_one(&sql, &[]).await.unwrap().get(0)
}

/// Column name → `format_type` of a table in the test schema.
pub async fn column_types(schema: &TestSchema, table: &str) -> Vec<(String, String)> {
    let rows = schema
        .client()
        .query(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass \
             AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            &[&schema.name(), &table],
        )
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// The stored checkpoint of `pipeline` in the default state table.
pub async fn stored_checkpoint(schema: &TestSchema, pipeline: &str) -> Option<Value> {
    schema
        .client()
        .query_opt(
            "SELECT checkpoint FROM faucet_state WHERE pipeline = $1",
            &[&pipeline],
        )
        .await
        .unwrap()
        .map(|r| r.get::<_, Option<Value>>(0).unwrap_or(Value::Null))
}

/// A login role of its own (no privileges), and the URL connecting as it.
/// `drop_role` removes it with everything it owns.
pub struct TestRole {
    pub name: String,
    pub url: String,
}

impl TestRole {
    pub async fn create(schema: &TestSchema, tag: &str) -> Self {
        let name = format!("faucet_{tag}_{}", &schema.name()["faucet_test_".len()..]);
        schema
            .client()
            .batch_execute(&format!("CREATE ROLE {name} LOGIN"))
            .await
            .unwrap();
        let mut url = url::Url::parse(postgres::server().url()).unwrap();
        url.set_username(&name).unwrap();
        url.set_password(None).unwrap();
        Self {
            name,
            url: url.to_string(),
        }
    }

    pub async fn drop_role(self, schema: &TestSchema) {
        let sql = format!("DROP OWNED BY {0}; DROP ROLE {0}", self.name);
        schema.client().batch_execute(&sql).await.unwrap();
    }
}

/// Runs a pipeline named after the table, loading `records` (in pages
/// of 10) with `config`.
pub async fn load(
    config: PostgresSinkConfig,
    records: Vec<Record>,
) -> Result<faucet_core::RunReport> {
    let name = config.table.clone();
    let sink = faucet_sink_postgres::PostgresSink::new(config)?;
    faucet_core::Pipeline::new(PagedSource::of(records, 10), sink)
        .with_name(name)
        .run()
        .await
}

/// The single text column of each row `sql` returns (in the test schema).
pub async fn texts(schema: &TestSchema, sql: &str) -> Vec<Option<String>> {
    let rows = schema.client().query(sql, &[]).await.unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// A text record of `json`, exactly as written.
pub fn raw(json: &str) -> Record {
    Record::from_json(json.to_owned()).expect("valid JSON")
}

/// Creates `table` with `columns` (SQL) in the test schema.
pub async fn create_table(schema: &TestSchema, table: &str, columns: &str) {
    let sql = format!("CREATE TABLE {table} ({columns})");
    schema.client().batch_execute(&sql).await.unwrap();
}

/// `literal::ty::text`: the text PostgreSQL itself makes of a literal.
pub async fn cast(schema: &TestSchema, literal: &str, ty: &str) -> Option<String> {
    let sql = format!("SELECT $1::text::{ty}::text");
    schema
        .client()
        .query_one(&sql, &[&literal])
        .await
        .unwrap()
        .get(0)
}

/// A private throwaway cluster, for tests that stop and restart it.
pub async fn private_cluster() -> std::sync::Arc<postgres::PgCluster> {
    std::sync::Arc::new(
        tokio::task::spawn_blocking(postgres::PgCluster::start)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// Kills `cluster` (`pg_ctl stop -m immediate`, no checkpoint) and starts
/// it again.
pub async fn crash_and_restart(cluster: &std::sync::Arc<postgres::PgCluster>) {
    let crash = cluster.clone();
    tokio::task::spawn_blocking(move || {
        crash.stop_immediate().unwrap();
        crash.restart().unwrap();
    })
    .await
    .unwrap();
}
