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
    /// `http.timeout_secs`; `None` keeps the default.
    pub timeout_secs: Option<u64>,
    /// The source's `http.retry` section; `None` keeps the defaults.
    pub retry: Option<Value>,
    /// `http.max_response_bytes`; `None` keeps the default.
    pub max_response_bytes: Option<u64>,
}

impl RestSource {
    /// Reads `base_url` in `style`, `page_size` records per page.
    pub fn new(base_url: impl Into<String>, style: Style, page_size: u64) -> Self {
        Self {
            base_url: base_url.into(),
            style,
            page_size,
            concurrency: None,
            query: Vec::new(),
            timeout_secs: None,
            retry: None,
            max_response_bytes: None,
        }
    }

    /// Sets the number of requests in flight.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: u32) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// Sets `http.timeout_secs`.
    #[must_use]
    pub fn with_timeout_secs(mut self, secs: u64) -> Self {
        self.timeout_secs = Some(secs);
        self
    }

    /// Sets `http.max_response_bytes`.
    #[must_use]
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Sets the `http.retry` section.
    #[must_use]
    pub fn with_retry(mut self, retry: Value) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a query parameter to every request.
    #[must_use]
    pub fn with_query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The `source:` section, in `faucet-source-rest`'s config format.
    pub fn to_value(&self) -> Value {
        let pagination = match self.style {
            Style::PageNumber => json!({
                "kind": "page_number", "param": "page",
                "size_param": "per_page", "size": self.page_size,
            }),
            Style::Offset => json!({
                "kind": "offset", "param": "offset",
                "limit_param": "limit", "limit": self.page_size,
            }),
            Style::Cursor => {
                json!({"kind": "cursor", "cursor_path": "next_cursor", "param": "cursor"})
            }
        };
        let mut query = serde_json::Map::new();
        for (k, v) in &self.query {
            query.insert(k.clone(), json!(v));
        }
        if self.style == Style::Cursor {
            query.insert("limit".into(), json!(self.page_size.to_string()));
        }
        let mut source = json!({
            "type": "rest",
            "base_url": self.base_url,
            "path": self.style.path(),
            "records": "data",
            "pagination": pagination,
        });
        if !query.is_empty() {
            source["query"] = Value::Object(query);
        }
        if let Some(c) = self.concurrency {
            source["concurrency"] = json!(c);
        }
        let mut http = serde_json::Map::new();
        if let Some(t) = self.timeout_secs {
            http.insert("timeout_secs".into(), json!(t));
        }
        if let Some(bytes) = self.max_response_bytes {
            http.insert("max_response_bytes".into(), json!(bytes));
        }
        if let Some(retry) = &self.retry {
            http.insert("retry".into(), retry.clone());
        }
        if !http.is_empty() {
            source["http"] = Value::Object(http);
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
