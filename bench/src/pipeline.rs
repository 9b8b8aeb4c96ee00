//! Pipeline files for `faucet run`, written in this one place so the
//! benchmark and every test speak the same format.
//!
//! Files are written as JSON, which is YAML, so no YAML writer is needed.

use std::path::Path;

use serde_json::{Value, json};

/// Pagination styles of the fixture API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `/records/page?page=N&per_page=S`.
    PageNumber,
    /// `/records/offset?offset=N&limit=S`.
    Offset,
    /// `/records/cursor?cursor=C&limit=S`.
    Cursor,
}

impl Style {
    /// The fixture endpoint path.
    pub fn path(self) -> &'static str {
        match self {
            Self::PageNumber => "/records/page",
            Self::Offset => "/records/offset",
            Self::Cursor => "/records/cursor",
        }
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::PageNumber => "page number",
            Self::Offset => "offset",
            Self::Cursor => "cursor",
        }
    }
}

/// A REST source reading the fixture API at `base_url`.
#[derive(Debug, Clone)]
pub struct RestSource {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Pagination style.
    pub style: Style,
    /// Records per page.
    pub page_size: u64,
    /// Requests in flight; `None` keeps the source's default.
    pub concurrency: Option<u32>,
    /// Extra query parameters (e.g. `repeat_last=true`, `records=N`).
    pub query: Vec<(String, String)>,
    /// Total request timeout in seconds; `None` keeps the default.
    pub timeout_secs: Option<u64>,
    /// Retry settings merged into the source's `retry` section.
    pub retry: Option<Value>,
}

impl RestSource {
    /// Page-number pagination of `page_size` records at `base_url`.
    pub fn new(base_url: impl Into<String>, style: Style, page_size: u64) -> Self {
        Self {
            base_url: base_url.into(),
            style,
            page_size,
            concurrency: None,
            query: Vec::new(),
            timeout_secs: None,
            retry: None,
        }
    }

    /// Sets the number of requests in flight.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: u32) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// Adds a query parameter to every request.
    #[must_use]
    pub fn with_query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The `source:` section.
    pub fn to_value(&self) -> Value {
        let pagination = match self.style {
            Style::PageNumber => json!({
                "kind": "page_number", "page_param": "page",
                "size_param": "per_page", "size": self.page_size,
            }),
            Style::Offset => json!({
                "kind": "offset", "offset_param": "offset",
                "limit_param": "limit", "limit": self.page_size,
            }),
            Style::Cursor => json!({
                "kind": "cursor", "cursor_path": "$.next_cursor", "cursor_param": "cursor",
            }),
        };
        let mut query: Vec<Value> = self
            .query
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect();
        if self.style == Style::Cursor {
            query.push(json!({"name": "limit", "value": self.page_size.to_string()}));
        }
        let mut source = json!({
            "type": "rest",
            "base_url": self.base_url,
            "path": self.style.path(),
            "records": "$.data",
            "pagination": pagination,
        });
        if !query.is_empty() {
            source["query"] = Value::Array(query);
        }
        if let Some(c) = self.concurrency {
            source["concurrency"] = json!(c);
        }
        if let Some(t) = self.timeout_secs {
            source["timeout_secs"] = json!(t);
        }
        if let Some(retry) = &self.retry {
            source["retry"] = retry.clone();
        }
        source
    }
}

/// A JSON Lines sink writing `path`, committing every `commit_records`.
pub fn jsonl_sink(path: &Path, commit_records: u64) -> Value {
    json!({
        "type": "jsonl",
        "path": path,
        "commit_records": commit_records,
    })
}

/// How the PostgreSQL sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgMode {
    /// Binary COPY of every record.
    Append,
    /// Merge by `id`.
    Upsert,
}

/// A PostgreSQL sink writing `schema.table` at `url`, committing every
/// `batch_rows` rows.
pub fn postgres_sink(url: &str, schema: &str, table: &str, mode: PgMode, batch_rows: u64) -> Value {
    let mut sink = json!({
        "type": "postgres",
        "url": url,
        "schema": schema,
        "table": table,
        "batch_rows": batch_rows,
    });
    if mode == PgMode::Upsert {
        sink["mode"] = json!("upsert");
        sink["key"] = json!(["id"]);
    }
    sink
}

/// A whole pipeline file.
pub fn pipeline(name: &str, source: Value, sink: Value) -> Value {
    json!({ "name": name, "source": source, "sink": sink })
}

/// Writes `pipeline` to `path` (JSON, which `faucet` reads as YAML).
pub fn write(path: &Path, pipeline: &Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(pipeline).expect("JSON values serialise");
    std::fs::write(path, text)
}
