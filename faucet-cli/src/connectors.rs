//! The connectors built into the `faucet` binary: one registration each.

use faucet_core::Registry;

/// A registry of every built-in source and sink.
pub(crate) fn builtin() -> Registry {
    let mut registry = Registry::new();
    faucet_source_rest::register(&mut registry);
    faucet_sink_jsonl::register(&mut registry);
    faucet_sink_postgres::register(&mut registry);
    registry
}
