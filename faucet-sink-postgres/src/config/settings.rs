//! The validated settings the sink runs on: names checked, defaults
//! resolved, one value per table written. No I/O here.

use std::collections::BTreeMap;
use std::fmt;

use faucet_core::connector::*;

use super::{NulRule, PostgresSinkConfig, TypeConflict, WriteMode, redact_url};
use crate::sql::Ident;

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
    /// Whether some stream of the sink upserts (its connections size
    /// temporary buffers for staging, and batches overlap).
    pub(crate) upserts: bool,
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
            upserts: config.mode == WriteMode::Upsert,
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
