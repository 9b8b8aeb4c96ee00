//! Configuration of the PostgreSQL sink: what users write, and the
//! validated settings the sink runs on. No I/O here.

use std::collections::BTreeMap;
use std::fmt;

use faucet_core::connector::*;

use crate::sql::Ident;

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
    /// records, primary key from `key`).
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
    /// Dead-letter table (in `schema`) for `type_conflict: dead_letter`.
    /// Default: `<table>_rejected`.
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

/// `name` as a quoted identifier, or `placeholder` when unknown.
fn quoted_or(name: Option<&str>, placeholder: &str) -> String {
    name.and_then(|n| Ident::new(n).ok())
        .map_or_else(|| placeholder.to_owned(), |i| i.to_string())
}

/// Validated settings: names checked, defaults resolved.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) url: String,
    pub(crate) schema: Ident,
    pub(crate) table: Ident,
    pub(crate) mode: WriteMode,
    pub(crate) key: Vec<Ident>,
    pub(crate) delete_field: Option<String>,
    pub(crate) columns: Option<BTreeMap<String, Ident>>,
    pub(crate) record_column: Option<Ident>,
    pub(crate) timestamps: bool,
    pub(crate) type_conflict: TypeConflict,
    pub(crate) dead_letter_table: Ident,
    pub(crate) nul: NulRule,
    pub(crate) loaded_at_column: Option<Ident>,
    pub(crate) run_id_column: Option<Ident>,
    pub(crate) batch_rows: u64,
    pub(crate) batch_bytes: u64,
    pub(crate) state_schema: Ident,
    pub(crate) state_table: Ident,
    pub(crate) connect_timeout: std::time::Duration,
    pub(crate) retries: u32,
    pub(crate) retry_backoff: std::time::Duration,
    /// The connection string for the driver (TLS parameters taken out).
    pub(crate) connect_url: String,
    /// What TLS verifies.
    pub(crate) tls: crate::tls::Tls,
    /// The connecting role, quoted, for GRANT hints.
    pub(crate) role: String,
    /// The database, quoted, for GRANT hints.
    pub(crate) database: String,
}

impl Settings {
    /// Checks `config` and resolves its defaults.
    pub(crate) fn new(config: PostgresSinkConfig) -> Result<Self> {
        let not_url = |e: &dyn fmt::Display| {
            FaucetError::config(
                "url",
                format!("not a PostgreSQL URL ({}): {e}", redact_url(&config.url)),
            )
        };
        let (connect_url, tls) = crate::tls::split(&config.url).map_err(|e| not_url(&e))?;
        let pg: tokio_postgres::Config = connect_url.parse().map_err(|e| not_url(&e))?;
        if pg.get_hosts().is_empty() {
            return Err(FaucetError::config("url", "names no host"));
        }
        let ident =
            |path: &str, name: &str| Ident::new(name).map_err(|m| FaucetError::config(path, m));
        let schema = ident("schema", &config.schema)?;
        let table = ident("table", &config.table)?;
        let key = (config.key.iter().enumerate())
            .map(|(i, k)| ident(&format!("key[{i}]"), k))
            .collect::<Result<Vec<_>>>()?;
        if config.mode == WriteMode::Upsert && key.is_empty() {
            return Err(FaucetError::config(
                "key",
                "`upsert` mode needs at least one key column",
            ));
        }
        if config.delete_field.is_some() && config.mode != WriteMode::Upsert {
            return Err(FaucetError::config(
                "delete_field",
                "only `upsert` mode can delete rows",
            ));
        }
        let columns = match config.columns {
            None => None,
            Some(map) if map.is_empty() => {
                return Err(FaucetError::config(
                    "columns",
                    "is empty: no field would be loaded",
                ));
            }
            Some(map) => Some(
                map.into_iter()
                    .map(|(field, col)| {
                        Ok((field.clone(), ident(&format!("columns.{field}"), &col)?))
                    })
                    .collect::<Result<BTreeMap<_, _>>>()?,
            ),
        };
        if config.batch_rows == 0 {
            return Err(FaucetError::config("batch_rows", "must be at least 1"));
        }
        if config.batch_bytes == 0 {
            return Err(FaucetError::config("batch_bytes", "must be at least 1"));
        }
        let dead_letter = config
            .dead_letter_table
            .unwrap_or_else(|| format!("{}_rejected", config.table));
        let opt = |path: &str, v: Option<String>| v.map(|v| ident(path, &v)).transpose();
        Ok(Self {
            dead_letter_table: ident("dead_letter_table", &dead_letter)?,
            record_column: opt("record_column", config.record_column)?,
            loaded_at_column: opt("loaded_at_column", config.loaded_at_column)?,
            run_id_column: opt("run_id_column", config.run_id_column)?,
            state_schema: match config.state_schema {
                Some(s) => ident("state_schema", &s)?,
                None => schema.clone(),
            },
            state_table: ident("state_table", &config.state_table)?,
            connect_timeout: std::time::Duration::from_secs(config.connect_timeout_secs.max(1)),
            retries: config.retries,
            retry_backoff: std::time::Duration::from_millis(config.retry_backoff_ms),
            role: quoted_or(pg.get_user(), "<role>"),
            connect_url,
            tls,
            database: quoted_or(pg.get_dbname().or(pg.get_user()), "<database>"),
            url: config.url,
            schema,
            table,
            mode: config.mode,
            key,
            delete_field: config.delete_field,
            columns,
            timestamps: config.timestamps,
            type_conflict: config.type_conflict,
            nul: config.nul,
            batch_rows: config.batch_rows,
            batch_bytes: config.batch_bytes,
        })
    }

    /// The table rows are written to: the target, or in replace mode the
    /// table that is swapped in at the end.
    pub(crate) fn load_table(&self) -> Ident {
        match self.mode {
            WriteMode::Replace => self.table.suffixed("__faucet_new"),
            _ => self.table.clone(),
        }
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
