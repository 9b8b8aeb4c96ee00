#![cfg_attr(docsrs, feature(doc_cfg))]
//! A [faucet](https://docs.rs/faucet-core) sink that appends records as
//! JSON Lines to a file or to standard output: faucet's built-in sink, so
//! a pipeline is useful with no database at all.
//!
//! # Records as they arrived
//!
//! A record that holds the JSON text it arrived as is written as that
//! text, byte for byte, when it is one line, and without insignificant
//! whitespace when the API pretty-printed it (a line is never broken):
//! no tree is built, so numbers keep every digit (a 38-digit decimal,
//! `1e400`, `-0`), escapes stay as sent, and keys keep their order and
//! repeats. A record built from a tree is written compactly
//! ([`Record::write_json`](faucet_core::Record::write_json)).
//!
//! # Exactly once on resume
//!
//! Every commit fsyncs the output and then atomically replaces a small
//! state file (`<path>.faucet-state.json`) holding the committed length of
//! the output and the checkpoint of the last record inside it. When a run
//! starts, the output is truncated back to the committed length, so bytes a
//! crashed run wrote after its last commit are removed and the source
//! resumes right after the committed records: no record is lost or written
//! twice. Commits happen every `commit_records` records (on a page that
//! carries a checkpoint, even one without records) and at the end of the
//! run. Standard output cannot be rolled back, so runs to stdout are not
//! resumable.
//!
//! # One file per stream
//!
//! A `path` holding `{stream}` (`out/{stream}.jsonl`) writes each stream
//! of a source that reads several ([`Page::stream`](faucet_core::Page::stream))
//! to a file of its own, the stream's name encoded so that it never leaves
//! the directory (`/`, `%`, NUL, a leading `.` and every byte other than
//! letters, digits, `-`, `_`, `.` become `%XX`). One state file holds the
//! pipeline's checkpoint and each file's committed length, and every file
//! is rolled back to its length when a run starts: exactly once per file.
//! A plain `path` takes one stream; a page of a second stream is a
//! [`FaucetError::Config`](faucet_core::FaucetError::Config) at `path`.
//!
//! # One run at a time, no silent duplicates
//!
//! A run holds an OS file lock on `<state file>.lock` from
//! `load_checkpoint` to `finish`; a second run of the same output fails at
//! once with [`FaucetError::AlreadyRunning`](faucet_core::FaucetError::AlreadyRunning),
//! naming the holder's process id and start time; each stream's file is
//! locked too while a run writes it. The sink appends, so it
//! declares itself not idempotent: after a completed run the pipeline
//! refuses to append everything again unless told to restart.
//! [`Sink::clear_checkpoint`](faucet_core::Sink::clear_checkpoint) forgets
//! the checkpoint and keeps the file.
//!
//! # Example
//!
//! ```
//! use faucet_core::connector::*;
//! use faucet_core::Pipeline;
//! use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};
//!
//! struct Two;
//! #[async_trait]
//! impl Source for Two {
//!     async fn fetch(&self, _: &SourceContext) -> Result<Vec<Record>> {
//!         Ok(vec![json!({"id": 1}).into(), json!({"id": 2}).into()])
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out.jsonl");
//! let sink = JsonlSink::new(JsonlSinkConfig::new(&path))?;
//! Pipeline::new(Two, sink).run().await?;
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\":1}\n{\"id\":2}\n");
//! # Ok(())
//! # }
//! ```

mod config;
mod io;
mod lock;
mod names;
mod output;
mod sink;
mod state;

pub use config::JsonlSinkConfig;
pub use sink::JsonlSink;

/// Registers this sink as `jsonl` in `registry`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry.register_sink(
        "jsonl",
        "Appends records as JSON Lines to a file, a file per stream (exactly once on resume), or stdout",
        JsonlSink::new,
    );
    let kind = faucet_core::ConnectorKind::Sink;
    // Exactly once to files (stdout keeps no checkpoints); appends, so
    // never idempotent.
    let capabilities = faucet_core::ConnectorCapabilities::default()
        .streams()
        .exactly_once();
    registry
        .with_capabilities(kind, "jsonl", capabilities)
        .with_action(
            kind,
            "jsonl",
            faucet_core::ConnectorAction::new(
                "check",
                "Checks that the output directory is writable",
            ),
        )
        .with_action(
            kind,
            "jsonl",
            faucet_core::ConnectorAction::new(
                "reset_state",
                "Forgets the pipeline's stored checkpoint and keeps the file",
            ),
        );
}
