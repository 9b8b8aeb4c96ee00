#![cfg_attr(docsrs, feature(doc_cfg))]
//! [faucet](https://github.com/faucet-rs/faucet) pipelines as an HTTP
//! service that a scheduler or control plane drives: a manifest of the
//! connectors, validation and checks of pipeline specs, runs started,
//! watched and cancelled over HTTP, Prometheus metrics, and run records
//! that outlive the server.
//!
//! # Design
//!
//! The server does not read pipeline files: a [`PipelineLoader`] turns a
//! spec into built connectors, or into errors with their paths. The
//! `faucet` binary implements it with its own pipeline-file reader (YAML,
//! `${VAR}`, every error at once), so this crate does not depend on the
//! CLI; a third-party binary with its own connectors gets the whole service
//! from a [`Registry`](faucet_core::Registry) and [`JsonLoader`], the
//! minimal loader.
//!
//! Each run is a [`faucet_core::Pipeline`] on a task of its own, with an
//! observer that keeps its record current and a cancellation token:
//! cancelling stops at a page boundary with the checkpoint kept, so the
//! next run of the pipeline resumes exactly. One run per pipeline name at a
//! time; a limit on runs in flight. Records of runs go to a JSON Lines
//! file under the state directory; runs it recorded as running when the
//! server died are marked `interrupted` when it starts again.
//!
//! Each run executes in a `tracing` span of its own: [`RunLogLayer`],
//! installed in the binary's subscriber, copies the events emitted inside
//! it (a REST source's retries, a sink's warnings) into the run's event
//! log, masked. The manifest lists what each connector declared when it
//! was registered (`Registry::with_capabilities`, `Registry::with_action`).
//!
//! The endpoints are listed in the crate's README.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use faucet_core::Registry;
//! use faucet_serve::{JsonLoader, ServeOptions, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), faucet_serve::ServeError> {
//! let options = ServeOptions::new("127.0.0.1:0".parse().unwrap());
//! let server = Server::start(Arc::new(JsonLoader), Arc::new(Registry::new()), options).await?;
//! assert_ne!(server.addr().port(), 0);
//! server.shutdown().await?;
//! # Ok(())
//! # }
//! ```

mod error;
mod json_loader;
mod loader;
mod manager;
mod manifest;
mod mask;
mod options;
mod routes;
mod run_log;
mod runs;
mod server;

pub use error::ServeError;
pub use json_loader::JsonLoader;
pub use loader::{
    LoadedPipeline, PipelineCheck, PipelineLoader, PipelineSettings, Spec, SpecError,
};
pub use manager::ManagerOptions;
pub use options::ServeOptions;
pub use run_log::RunLogLayer;
pub use runs::record::{RunCounts, RunError, RunRecord, RunState, StreamCounts};
pub use server::{Server, serve};
