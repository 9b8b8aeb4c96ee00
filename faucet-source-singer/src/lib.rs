#![cfg_attr(docsrs, feature(doc_cfg))]
//! A faucet [`Source`](faucet_core::Source) that runs any
//! [Singer](https://hub.meltano.com/singer/spec) tap: the tap's `SCHEMA`,
//! `RECORD` and `STATE` messages on stdout become pages of records, one
//! stream per `SCHEMA`, checkpointed by the tap's own state.
//!
//! # Running the tap
//!
//! The tap is `executable` with `args` (a path or a name on `PATH`), or,
//! with `pip_url`, an executable of a virtualenv faucet makes with the
//! system `python3 -m venv` and `pip install`s `pip_url` into, once
//! (cached under `venvs_dir`, one folder per `pip_url`, file-locked,
//! marked ready only after pip succeeded). Its `config` is written to a
//! file only this user can read (0600), given as `--config` and deleted
//! when the run ends; `catalog` (inline or a file), or the tap's
//! `--discover` output with the streams of `select` selected, goes as
//! `--catalog`. The tap runs in a process group of its own: a cancelled
//! run, an idle timeout or a dropped source sends SIGTERM to the group,
//! then SIGKILL after `kill_grace_secs`.
//!
//! The tap's stderr becomes log lines at the level each line names
//! (`… | WARNING | tap-x | …` is a warning), with the values of
//! secret-looking config keys masked; a tap that exits non-zero fails the
//! run with its exit code and its last 20 stderr lines, masked too. A tap
//! that writes nothing (stdout or stderr) for `idle_timeout_secs` fails
//! the run.
//!
//! # Fast by keeping bytes
//!
//! Stdout is read in 1 MiB chunks and split into lines with `memchr`;
//! each line is parsed once by serde_json into borrowed parts, and a
//! `RECORD`'s `record` stays a `&RawValue`: the
//! [`Record`](faucet_core::Record) is a slice of the chunk, with no tree
//! built and every digit of every number kept. One task reads and
//! parses (on the second core, while the sink writes); nothing is
//! spawned per record.
//!
//! # Checkpoints and delivery
//!
//! Each page's checkpoint is the tap's latest `STATE` and, per stream, how
//! many of that stream's records after it are in pages:
//! `{"singer_state": S, "records_after_state": {"users": 1200}}`. A
//! `STATE` message closes every pending page (in the order of their first
//! records) and the last of them carries the new state. A sink that
//! stores checkpoints with its rows (PostgreSQL, JSON Lines) thus commits
//! the tap's state atomically with the rows it covers. A resumed run
//! starts the tap with `--state S` and drops, per stream, the first `n`
//! records it sends again.
//!
//! That is exactly once **when the tap, started from `S`, sends the
//! records that followed `S` again in the same order** (a precise state:
//! an offset, a line number, a strictly-greater bookmark). A `STATE` equal
//! to the current one changes nothing, and a `STATE` that comes while a
//! resumed run is still dropping (the Singer SDK repeats the state it was
//! given before its first record) keeps the drop going, so both are
//! exact too. Where the tap's state is coarser, delivery is
//! at-least-once:
//!
//! - Singer SDK SQL taps resume an incremental stream with
//!   `replication_key >= bookmark`, so the rows holding the bookmark's own
//!   value come again: load such streams with a sink that upserts by the
//!   stream's key (`key_properties`), which makes the repeat harmless.
//! - Singer SDK taps restart a full-table stream from its beginning
//!   whatever the state. With `full_table_restarts: true` such streams
//!   (a `SCHEMA` without `bookmark_properties`) count their records from
//!   the stream's start rather than from the state, and a resumed run
//!   drops exactly what was delivered: exactly once again, into any sink
//!   (tested by killing runs of tap-postgres with SIGKILL into an
//!   appending table). Leave it off for taps that resume full-table
//!   streams mid-way, which it would make lose records; off, such streams
//!   are delivered at least once.
//!
//! After a completed run, a rerun continues from the final state only
//! with `incremental: true` (the tap reads by replication key); otherwise
//! the pipeline's usual rules for a completed full read apply.
//!
//! # Streams and schemas
//!
//! Every page names its stream (the `stream` of the tap's messages) and
//! carries the stream's `SCHEMA` as its [`schema`](faucet_core::Page::schema),
//! with the message's `key_properties` and `bookmark_properties` added as
//! `x-key-properties` and `x-bookmark-properties`: a sink that creates
//! tables takes column types from it. A `RECORD` of a stream with no
//! `SCHEMA` yet fails the run naming the stream; a line that is not a
//! Singer message fails it naming the line number and showing its first
//! 80 bytes (masked). The pipeline's stream selection is respected
//! (records of unselected streams are dropped and not counted); `select`
//! makes the tap itself skip them. `ACTIVATE_VERSION` messages are
//! ignored. `BATCH` messages (Singer SDK taps with `batch_config`) are
//! read: each `file://` file of the manifest, JSON Lines plain or gzip,
//! gives its records in order, as if they had come as `RECORD`s; other
//! formats, compressions and storages are refused as unsupported.
//!
//! # Example
//!
//! ```no_run
//! use faucet_core::{Pipeline, connector::*};
//! use faucet_source_singer::{SingerSource, SingerSourceConfig};
//! # struct Discard;
//! # #[async_trait]
//! # impl Sink for Discard {
//! #     async fn write_batch(&self, records: &[Record]) -> Result<usize> { Ok(records.len()) }
//! # }
//! # #[tokio::main]
//! # async fn main() -> Result<()> {
//! let mut config = SingerSourceConfig::new("tap-jsonl");
//! config.pip_url = Some("tap-jsonl==0.3.1".into());
//! config.config = json!({"path": "people.jsonl", "stream_name": "people"})
//!     .as_object()
//!     .unwrap()
//!     .clone();
//! let source = SingerSource::new(config)?;
//! let report = Pipeline::new(&source, Discard).run().await?;
//! println!("{} records", report.progress.records_written);
//! # Ok(())
//! # }
//! ```

mod batch;
mod catalog;
mod config;
mod launch;
mod mask;
mod pages;
mod process;
mod protocol;
mod run;
mod stream;
mod venv;

pub use config::{SingerCatalog, SingerSourceConfig};
pub use stream::SingerSource;

/// Registers this source as `singer` in `registry`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry.register_source(
        "singer",
        "Runs any Singer tap: its streams, schemas and state, resumable",
        SingerSource::new,
    );
    let kind = faucet_core::ConnectorKind::Source;
    // Resumable from the tap's state; incremental when the tap is (its
    // config says so: `incremental`), many streams, discover through the
    // tap's `--discover`.
    let capabilities = faucet_core::ConnectorCapabilities::default()
        .streams()
        .resumable()
        .incremental()
        .discover();
    registry
        .with_capabilities(kind, "singer", capabilities)
        .with_action(
            kind,
            "singer",
            faucet_core::ConnectorAction::new(
                "check",
                "Checks that the tap runs (installing a pip_url) and answers --discover",
            ),
        )
        .with_action(
            kind,
            "singer",
            faucet_core::ConnectorAction::new("discover", "Lists the tap's streams and schemas"),
        );
}
