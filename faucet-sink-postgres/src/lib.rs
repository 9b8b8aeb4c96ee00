#![cfg_attr(docsrs, feature(doc_cfg))]
//! A [faucet](https://github.com/faucet-rs/faucet) sink that loads records
//! into PostgreSQL at close to the speed of `COPY`, exactly once, creating
//! and evolving its table as the data changes shape.
//!
//! # Design
//!
//! - **Binary `COPY` in big transactions.** Each page is encoded straight
//!   into PostgreSQL's binary `COPY` format (typed columns, no text
//!   parsing on the server) and streamed into one `COPY` that stays open
//!   across pages, while the pipeline fetches the next page. Pages share a
//!   transaction until `batch_rows` or `batch_bytes` is reached, because
//!   commits, not rows, dominate the cost of small batches.
//! - **Exactly once.** The transaction that holds a batch's rows also
//!   stores the last page's checkpoint in a state table (`faucet_state`,
//!   keyed by pipeline name) and any schema change the rows needed. Kill
//!   the process at any instant and rerun: the run resumes after the last
//!   committed checkpoint, and the table holds every record once.
//! - **Schema follows the data.** A missing table is created with types
//!   inferred from the records; new fields add columns; numbers widen
//!   losslessly (`integer` → `bigint` → `numeric`, `bigint` →
//!   `double precision`); other conflicts fail with the table, column,
//!   value and record position — or widen to `text`/`jsonb`, or go to a
//!   dead-letter table, as configured.
//! - **A table per stream.** For sources of several streams, `table`
//!   may name a table per stream (`raw_{stream}`), and `streams`
//!   overrides the mode, key, columns and more per stream. Every
//!   stream's rows share the batch's transaction with the pipeline's
//!   one checkpoint, so a resumed run is exactly once for each; a plain
//!   `table` takes one stream and refuses a second rather than mix them.
//! - **Modes.** `append` (COPY), `upsert` (COPY into a staging table,
//!   last-wins dedupe, then `DELETE`/`UPDATE`/`INSERT` that skips unchanged
//!   rows and needs no unique constraint) and `replace` (load a new table,
//!   swap it in when the run completes).
//! - **Upserts overlap.** While PostgreSQL merges one batch from staging
//!   into the target, the next batch streams into a second connection
//!   with its own staging table. Batches still commit one after the
//!   other, in page order, each with its checkpoint; if a merge fails,
//!   the batch behind it rolls back. The run's lock is two advisory keys,
//!   one per connection, so no second run starts while either lives.
//! - **Transient failures replay.** The open transaction's steps (DDL,
//!   `COPY` starts, the encoded row chunks, shared rather than copied) are
//!   kept, at most `batch_bytes`; a lost connection, serialization failure,
//!   deadlock or server restart reconnects and replays them (`retries`
//!   times, with backoff), so the run goes on without losing the batch.
//!
//! Identifiers are always quoted, NUL characters are stripped (or refused,
//! with `nul: error`), and the URL's password never reaches logs or errors.
//!
//! # Example
//!
//! ```no_run
//! use faucet_core::{Pipeline, connector::*};
//! use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig, WriteMode};
//!
//! struct Users;
//! #[async_trait]
//! impl Source for Users {
//!     async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
//!         Ok(vec![json!({"id": 1, "name": "Ada"}).into(), json!({"id": 2, "name": "Grace"}).into()])
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let mut config = PostgresSinkConfig::new("postgresql://postgres@127.0.0.1/postgres", "users");
//! config.mode = WriteMode::Upsert;
//! config.key = vec!["id".into()];
//! let sink = PostgresSink::new(config)?;
//! let report = Pipeline::new(Users, sink).with_name("users").run().await?;
//! assert_eq!(report.progress.records_written, 2);
//! # Ok(())
//! # }
//! ```
//!
//! Registered in a [`faucet_core::Registry`] by [`register`], as `postgres`.

mod config;
mod encode;
mod schema;
mod sink;
mod sql;
mod tls;

pub use config::{NulRule, PostgresSinkConfig, PostgresStreamConfig, TypeConflict, WriteMode};
pub use sink::PostgresSink;

/// Registers this sink as `postgres` in `registry`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry.register_sink(
        "postgres",
        "Loads records into a PostgreSQL table: binary COPY, exactly once, append/upsert/replace",
        PostgresSink::new,
    );
    let kind = faucet_core::ConnectorKind::Sink;
    let capabilities = faucet_core::ConnectorCapabilities::default()
        .streams()
        .exactly_once()
        .idempotent()
        .dead_letters();
    registry
        .with_capabilities(kind, "postgres", capabilities)
        .with_action(kind, "postgres", faucet_core::ConnectorAction::new(
            "check",
            "Connects and runs the DDL and state write a run would do, in a transaction it rolls back",
        ))
        .with_action(kind, "postgres", faucet_core::ConnectorAction::new(
            "reset_state",
            "Forgets the pipeline's stored checkpoint and keeps the rows",
        ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::{ConnectorKind, FaucetError, Registry, Sink};
    use serde_json::json;

    #[test]
    fn the_sink_is_object_safe_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<PostgresSink>();
        let sink = PostgresSink::new(PostgresSinkConfig::new("postgresql://h/db", "t")).unwrap();
        let boxed: Box<dyn Sink> = Box::new(sink);
        assert_eq!(boxed.name(), "postgres");
        assert!(boxed.capabilities().atomic_checkpoints);
        assert!(boxed.config_schema().is_some());
    }

    #[test]
    fn upsert_and_replace_are_idempotent_and_append_is_not() {
        let idempotent = |mode: WriteMode| {
            let mut config = PostgresSinkConfig::new("postgresql://h/db", "t");
            config.mode = mode;
            config.key = vec!["id".into()];
            PostgresSink::new(config).unwrap().capabilities().idempotent
        };
        assert!(!idempotent(WriteMode::Append));
        assert!(idempotent(WriteMode::Upsert));
        assert!(idempotent(WriteMode::Replace));
    }

    #[test]
    fn registered_as_postgres_with_config_errors_naming_the_path() {
        let mut registry = Registry::new();
        register(&mut registry);
        assert!(registry.schema(ConnectorKind::Sink, "postgres").is_ok());
        let ok = json!({"url": "postgresql://h/db", "table": "t"});
        assert!(registry.build_sink("postgres", ok).is_ok());
        let bad = json!({"url": "postgresql://h/db", "table": "t", "mode": "upsert"});
        let err = registry.build_sink("postgres", bad).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "key"),
            "{err}"
        );
        let typo = json!({"url": "postgresql://h/db", "table": "t", "mode": "upsrt"});
        let err = registry.build_sink("postgres", typo).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "mode"),
            "{err}"
        );
    }
}
