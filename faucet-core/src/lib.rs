#![cfg_attr(docsrs, feature(doc_cfg))]
//! The core of [faucet](https://github.com/faucet-rs/faucet): the
//! [`Source`] and [`Sink`] traits, the [`Pipeline`] that joins them, the
//! one error type [`FaucetError`], checkpoints and state stores, and the
//! connector [`Registry`].
//!
//! This is the only faucet crate a connector author depends on: it
//! re-exports [`async_trait`](macro@async_trait), [`serde_json`], [`schemars`], [`serde`],
//! [`futures`] and [`CancellationToken`]. It has no HTTP, no SQL and no
//! terminal code.
//!
//! # Design
//!
//! A source produces **pages**: batches of records, each with the
//! checkpoint that is valid once the page is durable. The pipeline runs the
//! source and the sink concurrently through a bounded channel, so fetching
//! overlaps writing and memory is bounded by the channel depth times the
//! page size. A checkpoint is saved only after the rows before it are
//! durable, by the sink atomically with the rows where it can (exactly
//! once), otherwise in a [`StateStore`] after a flush (at least once).
//!
//! A minimal source implements one method, a minimal sink one method;
//! everything else has a documented default. Authors import
//! [`connector::*`](connector).
//!
//! # Example
//!
//! ```
//! use std::sync::Mutex;
//! use faucet_core::connector::*;
//! use faucet_core::Pipeline;
//!
//! struct Greetings;
//!
//! #[async_trait]
//! impl Source for Greetings {
//!     async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
//!         Ok(vec![json!({"hello": "world"}).into(), json!({"hello": "faucet"}).into()])
//!     }
//! }
//!
//! #[derive(Default)]
//! struct Collect(Mutex<Vec<Record>>);
//!
//! #[async_trait]
//! impl Sink for Collect {
//!     async fn write_batch(&self, records: &[Record]) -> Result<usize> {
//!         self.0.lock().unwrap().extend_from_slice(records);
//!         Ok(records.len())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let (source, sink) = (Greetings, Collect::default());
//! let report = Pipeline::new(&source, &sink).run().await?;
//! assert_eq!(report.progress.records_written, 2);
//! assert_eq!(sink.0.lock().unwrap()[1]["hello"], "faucet");
//! # Ok(())
//! # }
//! ```
//!
//! Connectors chosen at run time work the same way, as trait objects:
//!
//! ```
//! use faucet_core::connector::*;
//! use faucet_core::Pipeline;
//!
//! struct One;
//! #[async_trait]
//! impl Source for One {
//!     async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
//!         Ok(vec![json!(1).into()])
//!     }
//! }
//!
//! struct Discard;
//! #[async_trait]
//! impl Sink for Discard {
//!     async fn write_batch(&self, records: &[Record]) -> Result<usize> {
//!         Ok(records.len())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let source: Box<dyn Source> = Box::new(One);
//! let sink: Box<dyn Sink> = Box::new(Discard);
//! let report = Pipeline::new(source, sink).run().await?;
//! assert_eq!(report.outcome, faucet_core::RunOutcome::Completed);
//! # Ok(())
//! # }
//! ```

mod check;
mod error;
mod outcome;
mod page;
mod pipeline;
pub mod record;
mod registry;
mod retries;
pub mod schema;
pub mod secrets;
mod sink;
mod source;
mod state;
mod streams;
mod transform;

#[cfg(any(test, feature = "conformance"))]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;

pub use check::{
    CheckItem, CheckReport, CheckStatus, SinkCapabilities, SourceCapabilities, StreamInfo,
};
pub use error::{BoxError, FaucetError, Result};
pub use outcome::RunOutcome;
pub use page::{Checkpoint, Page};
pub use pipeline::{
    Completion, DEFAULT_CHANNEL_DEPTH, DEFAULT_PIPELINE_NAME, DeliveryGuarantee, ErrorSummary,
    NoopObserver, Observer, Pipeline, Progress, Resume, RunReport, StreamProgress,
};
pub use record::Record;
pub use registry::{
    ConnectorAction, ConnectorCapabilities, ConnectorInfo, ConnectorKind, Registry, parse_config,
};
pub use retries::RetryCounter;
pub use sink::{CommitContext, Durability, PageCommit, Sink};
pub use source::{PageStream, Source, SourceContext, collect_records};
pub use state::{FileStateStore, MemoryStateStore, RunLock, StateStore, write_file_atomically};
pub use streams::{StreamSelection, StreamStates};
pub use transform::{DeadLetter, OnError, Transform};

pub use async_trait::async_trait;
pub use bytes;
pub use futures;
pub use schemars;
pub use serde;
pub use serde_json;
pub use tokio_util::sync::CancellationToken;

/// Everything a connector author needs, in one import:
/// `use faucet_core::connector::*;`.
///
/// A CSV-style source, paged and resumable, needs nothing else:
///
/// ```
/// use faucet_core::connector::*;
///
/// /// Rows of `a,b` text, two per page.
/// struct Csv(&'static str);
///
/// impl Csv {
///     fn record(header: &[&str], line: &str) -> Record {
///         let mut record = Map::new();
///         for (key, value) in header.iter().zip(line.split(',')) {
///             record.insert((*key).to_owned(), Value::from(value));
///         }
///         Value::Object(record).into()
///     }
/// }
///
/// #[async_trait]
/// impl Source for Csv {
///     async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
///         collect_records(self.stream_pages(ctx.clone())).await
///     }
///
///     fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
///         let mut lines = self.0.lines();
///         let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
///         let rows: Vec<&str> = lines.collect();
///         let start = ctx
///             .resume_from
///             .as_ref()
///             .and_then(|c| c.as_value()["next_row"].as_u64())
///             .unwrap_or(0) as usize;
///         let pages: Vec<Result<Page>> = (start..rows.len())
///             .step_by(2)
///             .map(|first| {
///                 let last = (first + 2).min(rows.len());
///                 let records = rows[first..last]
///                     .iter()
///                     .map(|line| Self::record(&header, line))
///                     .collect();
///                 Ok(Page::new(records).with_checkpoint(json!({ "next_row": last })))
///             })
///             .collect();
///         stream::iter(pages).boxed()
///     }
///
///     fn capabilities(&self) -> SourceCapabilities {
///         SourceCapabilities::default().resumable()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<()> {
/// let csv = Csv("id,name\n1,ada\n2,grace\n3,linus");
/// let resume = Some(Checkpoint::new(json!({ "next_row": 2 })));
/// let rest = csv.fetch(&SourceContext::new().with_resume(resume)).await?;
/// assert_eq!(rest, [json!({ "id": "3", "name": "linus" })]);
/// # #[cfg(feature = "conformance")]
/// faucet_core::conformance::check_source(&csv).await.assert_passed();
/// # Ok(())
/// # }
/// ```
pub mod connector {
    pub use crate::check::{
        CheckReport, CheckStatus, SinkCapabilities, SourceCapabilities, StreamInfo,
    };
    pub use crate::error::{FaucetError, Result};
    pub use crate::outcome::RunOutcome;
    pub use crate::page::{Checkpoint, Page};
    pub use crate::pipeline::Completion;
    pub use crate::record::{Fields, NestedRef, NumberRef, Record, ValueRef};
    pub use crate::registry::parse_config;
    pub use crate::retries::RetryCounter;
    pub use crate::sink::{CommitContext, Durability, PageCommit, Sink};
    pub use crate::source::{PageStream, Source, SourceContext, collect_records};
    pub use crate::state::{RunLock, write_file_atomically};
    pub use crate::streams::{StreamSelection, StreamStates};
    pub use crate::transform::{DeadLetter, OnError, Transform};
    pub use async_trait::async_trait;
    pub use bytes::Bytes;
    pub use futures::stream::{self, StreamExt};
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
    pub use serde_json::{Map, Value, json};
    pub use tokio_util::sync::CancellationToken;
}

#[cfg(test)]
mod object_safety {
    use super::*;

    fn assert_send_sync<T: Send + Sync + ?Sized>() {}

    #[test]
    fn traits_are_object_safe_send_and_sync() {
        assert_send_sync::<dyn Source>();
        assert_send_sync::<dyn Sink>();
        assert_send_sync::<dyn StateStore>();
        assert_send_sync::<dyn Observer>();
        assert_send_sync::<Box<dyn Source>>();
        assert_send_sync::<std::sync::Arc<dyn Sink>>();
        assert_send_sync::<Registry>();
    }
}
