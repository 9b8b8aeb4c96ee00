#![cfg_attr(docsrs, feature(doc_cfg))]
//! A [faucet](https://docs.rs/faucet-core) sink that feeds any
//! [Singer](https://hub.meltano.com/singer/spec) target: a loader (for
//! Snowflake, BigQuery, PostgreSQL, files, …) run as a process that reads
//! Singer messages on its stdin. faucet's sources, transforms and
//! checkpoints then work with every maintained Singer target.
//!
//! # What the target receives
//!
//! For each page, on one line each: a `SCHEMA` message before a stream's
//! first records (the schema the source declared with the page,
//! [`Page::schema`](faucet_core::Page::schema), else one inferred from the
//! stream's first page with every property nullable, widened and sent
//! again when a later record has a field it lacks), with the stream's
//! `key_properties` (configured, else declared by the source); a `RECORD`
//! per record, the record's JSON text spliced in as it arrived (no tree is
//! built, no number rounded); and a `STATE` whose value is
//! `{"faucet_checkpoint": <the page's checkpoint>, "faucet_sequence": n}`.
//! A page without a stream goes to the stream named `stream` (default: the
//! pipeline's name); pages of several streams go each under its own name.
//!
//! # What is durable: the state the target echoes
//!
//! A Singer target loads records in batches and, once a batch is
//! committed, echoes on its stdout the latest state it had received
//! before it. The sink reads those lines on a task of its own and stores
//! the checkpoint of each echoed state in a state file of its own
//! (`<state_dir>/<pipeline>.json`, replaced atomically), which
//! [`load_checkpoint`](faucet_core::Sink::load_checkpoint) returns when a
//! run starts: the resume point is always a state the target confirmed,
//! never one it has not. Pages are answered
//! [`Durability::Buffered`](faucet_core::Durability::Buffered); a flush
//! (the end of a run) closes the target's input, waits for it to exit
//! (bounded by `idle_timeout_secs` of silence) and fails unless it exited
//! with code 0 having confirmed the last state sent. A page without
//! records while no target runs needs no confirmation: its checkpoint is
//! stored at once.
//!
//! # Delivery: at least once; exactly once with an upserting target
//!
//! A target may commit records after the last state it confirmed (a
//! batch drained because it was full, the last batch of a target whose
//! faucet was killed: it still reads to the end of its input and loads
//! it). A rerun sends those records again, so delivery is **at least
//! once**, and the sink does not claim atomic checkpoints. With key
//! properties for every stream and a target that upserts by them
//! (target-postgres does), a record sent twice is one row: **exactly once
//! in effect**. Say so with `idempotent: true`; the pipeline then reports
//! exactly-once delivery and may run a completed pipeline again.
//!
//! # The process
//!
//! The target runs as `executable [args…] --config <file>`, the `config`
//! object in a file only the user can read (removed when the target is
//! done), in a process group of its own. Its stderr becomes log lines at
//! the level each line names, with every secret of `config` and `env`
//! masked; a target that exits non-zero fails the run with its exit code
//! and its last stderr lines (masked). A failed run's target is stopped
//! with SIGTERM to its process group, then SIGKILL after
//! `terminate_grace_secs`. With `pip_url`, the target is installed on
//! first use into a virtualenv of its own (the system `python3 -m venv`),
//! cached under `venvs_dir`.
//!
//! # Example
//!
//! ```yaml
//! sink:
//!   type: singer
//!   pip_url: meltanolabs-target-postgres==0.8.1
//!   executable: target-postgres
//!   config: { host: localhost, port: 5432, user: loader, password: "${PGPASSWORD}",
//!             database: warehouse, default_target_schema: raw }
//!   key_properties: { users: [id] }
//!   idempotent: true
//! ```
//!
//! ```
//! use faucet_sink_singer::{SingerSink, SingerSinkConfig};
//! let mut config = SingerSinkConfig::new("target-jsonl");
//! config.config.insert("destination_path".into(), "out".into());
//! let sink = SingerSink::new(config).unwrap();
//! assert_eq!(faucet_core::Sink::name(&sink), "singer");
//! ```

mod activity;
mod config;
mod confirm;
mod logs;
mod mask;
mod process;
mod protocol;
mod schema;
mod sink;
mod venv;

pub use config::SingerSinkConfig;
pub use sink::SingerSink;

/// Registers this sink as `singer` in `registry`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry.register_sink(
        "singer",
        "Feeds a Singer target (any loader speaking the Singer protocol) and resumes from the state it confirms",
        SingerSink::new,
    );
    let kind = faucet_core::ConnectorKind::Sink;
    // A stream per target stream; resumes from the state the target
    // confirms: at least once, so neither exactly-once nor idempotent is
    // declared (an upserting target is idempotent only by its config).
    let capabilities = faucet_core::ConnectorCapabilities::default().streams();
    registry
        .with_capabilities(kind, "singer", capabilities)
        .with_action(
            kind,
            "singer",
            faucet_core::ConnectorAction::new(
                "check",
                "Checks that the target's executable exists (a pip_url installs on the first run)",
            ),
        );
}

#[cfg(test)]
mod object_safety {
    use super::*;

    fn assert_send_sync<T: Send + Sync + ?Sized>() {}

    #[test]
    fn the_sink_is_a_send_and_sync_trait_object() {
        assert_send_sync::<SingerSink>();
        let sink: Box<dyn faucet_core::Sink> =
            Box::new(SingerSink::new(SingerSinkConfig::new("target-jsonl")).unwrap());
        assert_eq!(sink.name(), "singer");
        let mut registry = faucet_core::Registry::new();
        register(&mut registry);
    }
}
