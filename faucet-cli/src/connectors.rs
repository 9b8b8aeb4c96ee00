//! The connectors built into the `faucet` binary: one registration each.

use faucet_core::Registry;

/// A registry of every source, sink and transform built into `faucet`
/// (REST, Singer taps, JSON Lines, PostgreSQL, Singer targets, and
/// faucet-transform's `select`,
/// `filter`, `hash`, …): add your own to it and pass it to
/// [`main_with`](crate::main_with).
pub fn builtin() -> Registry {
    let mut registry = Registry::new();
    faucet_source_rest::register(&mut registry);
    faucet_source_singer::register(&mut registry);
    faucet_sink_jsonl::register(&mut registry);
    faucet_sink_postgres::register(&mut registry);
    faucet_sink_singer::register(&mut registry);
    faucet_transform::register(&mut registry);
    registry
}
