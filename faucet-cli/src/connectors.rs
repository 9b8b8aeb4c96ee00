//! The connectors built into the `faucet` binary: one registration each.

use faucet_core::Registry;
use faucet_sink_jsonl::JsonlSink;
use faucet_sink_postgres::PostgresSink;
use faucet_source_rest::RestSource;

/// A registry of every built-in source and sink.
pub(crate) fn builtin() -> Registry {
    let mut registry = Registry::new();
    registry.register_source(
        "rest",
        "Reads any paginated REST API: every pagination and auth style, resumable, incremental",
        RestSource::new,
    );
    registry.register_sink(
        "jsonl",
        "Appends records as JSON Lines to a file (exactly once on resume) or stdout",
        JsonlSink::new,
    );
    registry.register_sink(
        "postgres",
        "Loads records into a PostgreSQL table: binary COPY, exactly once, append/upsert/replace",
        PostgresSink::new,
    );
    registry
}
