//! Configuration of the PostgreSQL sink: what users write, and the
//! validated settings the sink runs on. No I/O here.

mod settings;
mod streams;

use std::collections::BTreeMap;
use std::fmt;

use faucet_core::connector::*;

pub(crate) use settings::Settings;
pub use streams::PostgresStreamConfig;
pub(crate) use streams::{Route, StreamRules};

/// Configuration of the `postgres` sink.
///
/// ```yaml
/// type: postgres
/// url: postgresql://loader:${PGPASSWORD}@db.internal:5432/warehouse?sslmode=require
/// schema: raw
/// table: users
/// mode: upsert
/// key: [id]
/// delete_field: _deleted
/// ```
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresSinkConfig {
    /// Connection URL, `postgresql://user:password@host:port/database`,
    /// or a libpq `key=value` string. `sslmode` (`disable`, `prefer`,
    /// `require`, `verify-ca`, `verify-full`; default `prefer`) and
    /// `sslrootcert` (a PEM file) mean what they mean to libpq: `require`
    /// encrypts without verifying (verifies the chain when `sslrootcert`
    /// is given), `verify-ca` verifies the chain, `verify-full` the chain
    /// and the host name. TLS uses rustls; without `sslrootcert`, the
    /// Mozilla root certificates. The password never appears in logs or
    /// errors.
    pub url: String,
    /// Schema of the target table, created if missing. Default: `public`.
    #[serde(default = "default_schema")]
    pub schema: String,
    /// Target table, created if missing (column types inferred from the
    /// records, primary key from `key`). `{stream}` in it names a table
    /// per stream (`raw_{stream}`: `raw_orders`, `raw_accounts`), for
    /// sources of several streams; without it, the table takes one
    /// stream only, and pages of a second one fail the run.
    pub table: String,
    /// How records are written. Default: `append`.
    #[serde(default)]
    pub mode: WriteMode,
    /// Key columns: the primary key of a created table, and the match key
    /// of `upsert` mode (required there). Default: `[]`.
    #[serde(default)]
    pub key: Vec<String>,
    /// In `upsert` mode, a record field that, when `true`, deletes the row
    /// with the record's key instead of writing it. Default: none.
    #[serde(default)]
    pub delete_field: Option<String>,
    /// Renames and picks fields: `{record_field: column}`. When set, only
    /// these fields are loaded. A field that appears twice in a record
    /// loads its last value (as `jsonb` keeps the last). Default: every
    /// top-level field, as a column of the same name.
    #[serde(default)]
    pub columns: Option<BTreeMap<String, String>>,
    /// Store each whole record in this one `jsonb` column (plus the `key`
    /// columns, taken from the record) instead of a column per field.
    /// Default: none.
    #[serde(default)]
    pub record_column: Option<String>,
    /// Store RFC 3339 strings in `timestamptz` columns when a new column
    /// is created from them. Default: `true`.
    #[serde(default = "default_true")]
    pub timestamps: bool,
    /// What to do with a value that does not fit its column and cannot be
    /// widened losslessly, such as a string in a `bigint` column or a
    /// number beyond `double precision` (`1e400`, which never becomes
    /// infinity) in a float column. Numbers reach `numeric` columns with
    /// every digit. Default: `error`.
    #[serde(default)]
    pub type_conflict: TypeConflict,
    /// Dead-letter table (in `schema`) for `type_conflict: dead_letter`;
    /// `{stream}` in it is replaced by the stream's name. Default:
    /// `<table>_rejected` (the stream's table, with `{stream}` in `table`).
    #[serde(default)]
    pub dead_letter_table: Option<String>,
    /// What to do with NUL characters in strings, which PostgreSQL text
    /// cannot hold, and with `\u0000` escapes in JSON loaded into `json`
    /// and `jsonb` columns, which `jsonb` cannot hold. Default: `strip`.
    #[serde(default)]
    pub nul: NulRule,
    /// Add a `timestamptz` column of this name filled with the load
    /// transaction's time. Default: none.
    #[serde(default)]
    pub loaded_at_column: Option<String>,
    /// Add a `text` column of this name filled with the run's id (a
    /// random id per run). Default: none.
    #[serde(default)]
    pub run_id_column: Option<String>,
    /// Pages share one transaction until it holds this many rows. In
    /// `upsert` mode, where one batch merges while the next streams on a
    /// second connection, each of the two closes at half this, so memory
    /// stays what one batch needs. Default: `100000`.
    #[serde(default = "default_batch_rows")]
    pub batch_rows: u64,
    /// Pages share one transaction until it holds this many bytes of
    /// encoded rows (halved per transaction in `upsert` mode, as
    /// `batch_rows`). Default: `67108864` (64 MiB).
    #[serde(default = "default_batch_bytes")]
    pub batch_bytes: u64,
    /// Schema of the checkpoint table, created if missing. Default: the
    /// value of `schema`.
    #[serde(default)]
    pub state_schema: Option<String>,
    /// Table holding each pipeline's checkpoint, committed in the same
    /// transaction as the rows. Default: `faucet_state`.
    #[serde(default = "default_state_table")]
    pub state_table: String,
    /// Seconds to wait for a connection. Default: `10`.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// How many times a transient failure (connection lost, serialization
    /// failure, deadlock, server shutdown) is retried by reconnecting and
    /// replaying the open transaction (its encoded rows are kept for this,
    /// at most `batch_bytes`). Default: `3`.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Wait before the first retry, doubled at each further one, in
    /// milliseconds. Default: `500`.
    #[serde(default = "default_retry_backoff_ms")]
    pub retry_backoff_ms: u64,
    /// Settings of named streams, overriding the ones above for that
    /// stream's pages: `table`, `mode`, `key`, `delete_field`, `columns`,
    /// `record_column`, `type_conflict`, `dead_letter_table`. Streams not
    /// named here use the settings above. Default: `{}`.
    #[serde(default)]
    pub streams: BTreeMap<String, PostgresStreamConfig>,
}

/// How records are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteMode {
    /// Insert every record (binary `COPY`).
    #[default]
    Append,
    /// Insert or update by `key`: rows are staged with `COPY`, deduplicated
    /// (last wins), then merged; unchanged rows are not rewritten.
    Upsert,
    /// Load into a new table and swap it in when the run completes; the
    /// old table is untouched if the run fails.
    Replace,
}

/// What to do with a value that does not fit its column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TypeConflict {
    /// Fail the run, naming the table, column, value and record.
    #[default]
    Error,
    /// Change the column to `text` (values kept as their JSON text, a
    /// number exactly as the source wrote it).
    Text,
    /// Change the column to `jsonb`.
    Jsonb,
    /// Send the record, with the reason, to the dead-letter table, and go
    /// on.
    DeadLetter,
}

/// What to do with NUL (`\u0000`) characters in strings and JSON text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NulRule {
    /// Remove them (in `json` and `jsonb`, from keys and values alike;
    /// an escaped backslash followed by `u0000` is no NUL and stays).
    #[default]
    Strip,
    /// Fail the run, naming the column and record.
    Error,
}

fn default_schema() -> String {
    "public".to_owned()
}
fn default_true() -> bool {
    true
}
fn default_batch_rows() -> u64 {
    100_000
}
fn default_batch_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_state_table() -> String {
    "faucet_state".to_owned()
}
fn default_connect_timeout() -> u64 {
    10
}
fn default_retries() -> u32 {
    3
}
fn default_retry_backoff_ms() -> u64 {
    500
}

impl PostgresSinkConfig {
    /// A config for `table` at `url` with every default.
    pub fn new(url: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: default_schema(),
            table: table.into(),
            mode: WriteMode::default(),
            key: Vec::new(),
            delete_field: None,
            columns: None,
            record_column: None,
            timestamps: true,
            type_conflict: TypeConflict::default(),
            dead_letter_table: None,
            nul: NulRule::default(),
            loaded_at_column: None,
            run_id_column: None,
            batch_rows: default_batch_rows(),
            batch_bytes: default_batch_bytes(),
            state_schema: None,
            state_table: default_state_table(),
            connect_timeout_secs: default_connect_timeout(),
            retries: default_retries(),
            retry_backoff_ms: default_retry_backoff_ms(),
            streams: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for PostgresSinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSinkConfig")
            .field("url", &redact_url(&self.url))
            .field("schema", &self.schema)
            .field("table", &self.table)
            .field("mode", &self.mode)
            .field("key", &self.key)
            .field("streams", &self.streams)
            .field("batch_rows", &self.batch_rows)
            .field("batch_bytes", &self.batch_bytes)
            .finish_non_exhaustive()
    }
}

/// The URL with any password replaced by `***` (and unparsable URLs
/// hidden entirely), for logs and errors.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.eq_ignore_ascii_case("password");
                    (
                        k.into_owned(),
                        if secret {
                            "***".to_owned()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            if !pairs.is_empty() {
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
            url.to_string()
        }
        Err(_) => "<unparsable URL hidden>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
        "url": "postgresql://loader:s3cret@db.internal:5432/warehouse?sslmode=require",
        "schema": "raw",
        "table": "users",
        "mode": "upsert",
        "key": ["id"],
        "delete_field": "_deleted",
        "columns": {"id": "id", "name": "full_name"},
        "type_conflict": "dead_letter",
        "loaded_at_column": "_faucet_loaded_at",
        "batch_rows": 50000
    }"#;

    fn example() -> PostgresSinkConfig {
        parse_config(serde_json::from_str(EXAMPLE).unwrap()).unwrap()
    }

    #[test]
    fn the_example_deserialises_and_validates() {
        let settings = Settings::new(example()).unwrap();
        assert_eq!(settings.mode, WriteMode::Upsert);
        assert_eq!(settings.key.len(), 1);
        assert_eq!(settings.batch_rows, 50_000);
        assert_eq!(settings.batch_bytes, default_batch_bytes());
        assert_eq!(settings.state_schema.name(), "raw");
        assert_eq!(settings.dead_letter_table.name(), "users_rejected");
    }

    #[test]
    fn every_schema_property_is_documented() {
        let schema = serde_json::to_value(schemars::schema_for!(PostgresSinkConfig)).unwrap();
        assert_eq!(
            faucet_core::schema::undocumented_properties(&schema),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_fields_and_bad_values_name_their_path() {
        let mut value: Value = serde_json::from_str(EXAMPLE).unwrap();
        value["tabel"] = json!("x");
        let err = parse_config::<PostgresSinkConfig>(value).err().unwrap();
        assert!(err.to_string().contains("tabel"), "{err}");

        let mut config = example();
        config.key.clear();
        let err = Settings::new(config).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "key"),
            "{err}"
        );

        let mut config = example();
        config.table = String::new();
        let err = Settings::new(config).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "table"),
            "{err}"
        );
    }

    #[test]
    fn the_password_never_shows() {
        let config = example();
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
        let mut bad = example();
        bad.url = "postgresql://u:s3cret@/db?port=notaport".into();
        let err = Settings::new(bad).err().unwrap().to_string();
        assert!(!err.contains("s3cret"), "{err}");
        let query = redact_url("postgresql://h/db?password=s3cret&sslmode=require");
        assert!(!query.contains("s3cret"), "{query}");
    }
}
