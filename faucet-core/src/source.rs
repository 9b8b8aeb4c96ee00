//! The `Source` trait: where records come from.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use crate::check::{CheckReport, SourceCapabilities, StreamInfo};
use crate::error::{FaucetError, Result};
use crate::page::{Checkpoint, Page};
use crate::record::Record;
use crate::retries::RetryCounter;
use crate::streams::StreamSelection;

/// A stream of pages, in order, as [`Source::stream_pages`] returns it.
pub type PageStream<'a> = BoxStream<'a, Result<Page>>;

/// What a source is told when asked for records.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SourceContext {
    /// The last durable checkpoint of a previous run: resume after it.
    /// `None` on a first run.
    pub resume_from: Option<Checkpoint>,
    /// Cancelled when the run should stop; a source checks it between pages
    /// and during long waits (backoff, rate limits).
    pub cancel: CancellationToken,
    /// Where the source counts the retries it makes, by cause; the run's
    /// report lists them.
    pub retries: RetryCounter,
    /// The streams the run writes. A source reading several streams may
    /// skip those no selected stream needs; the pipeline drops the records
    /// of the others either way.
    pub streams: StreamSelection,
}

impl SourceContext {
    /// A context for a first run that is never cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes after `checkpoint`.
    #[must_use]
    pub fn with_resume(mut self, checkpoint: Option<Checkpoint>) -> Self {
        self.resume_from = checkpoint;
        self
    }

    /// Stops when `token` is cancelled.
    #[must_use]
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Counts retries in `counter`.
    #[must_use]
    pub fn with_retries(mut self, counter: RetryCounter) -> Self {
        self.retries = counter;
        self
    }

    /// Writes only the streams `selection` names.
    #[must_use]
    pub fn with_streams(mut self, selection: StreamSelection) -> Self {
        self.streams = selection;
        self
    }

    /// Where to count retries, by cause (see [`RetryCounter`]).
    pub fn retries(&self) -> &RetryCounter {
        &self.retries
    }
}

/// Where records come from.
///
/// **Required:** [`fetch`](Source::fetch), returning every record at once.
/// That is all a minimal source needs; the pipeline turns it into one page.
///
/// **Defaulted** (override as the connector grows):
/// - [`stream_pages`](Source::stream_pages): one page from `fetch`, no
///   checkpoint. Real connectors override it to stream page by page, each
///   page carrying the checkpoint to resume after it, with memory bounded by
///   the page size.
/// - [`fetch_all`](Source::fetch_all): `fetch` with a fresh context.
/// - [`config_schema`](Source::config_schema): `None`.
/// - [`check`](Source::check): a checklist with one skipped item.
/// - [`discover`](Source::discover): an `Unsupported` error.
/// - [`capabilities`](Source::capabilities): all off.
/// - [`full_refresh_streams`](Source::full_refresh_streams): none.
/// - [`name`](Source::name): the Rust type name.
///
/// The trait is object safe: `Box<dyn Source>`, `Arc<dyn Source>` and
/// `&dyn Source` are sources too.
///
/// # Example
///
/// ```
/// use faucet_core::connector::*;
///
/// struct Numbers;
///
/// #[async_trait]
/// impl Source for Numbers {
///     async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
///         Ok((1..=3).map(|n| json!({ "n": n }).into()).collect())
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(Numbers.fetch_all().await.unwrap().len(), 3);
/// # }
/// ```
#[async_trait]
pub trait Source: Send + Sync {
    /// Reads every record. A source that overrides
    /// [`stream_pages`](Source::stream_pages) can implement this with
    /// [`collect_records`].
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>>;

    /// Reads every record from the beginning. Default: [`fetch`](Source::fetch)
    /// with [`SourceContext::new`].
    async fn fetch_all(&self) -> Result<Vec<Record>> {
        self.fetch(&SourceContext::new()).await
    }

    /// Streams pages in order, resuming after `ctx.resume_from`. Default:
    /// one page holding everything [`fetch`](Source::fetch) returns, with no
    /// checkpoint (so a rerun reads everything again).
    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        futures::stream::once(async move { self.fetch(&ctx).await.map(Page::new) }).boxed()
    }

    /// The JSON Schema of this connector's configuration. Default: `None`.
    fn config_schema(&self) -> Option<schemars::Schema> {
        None
    }

    /// Checks that the source can work (reachable, authorised, data found),
    /// as a named checklist. Default: one skipped item saying that the
    /// source has no checks.
    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        report.skip("check", format!("{} implements no checks", self.name()));
        Ok(report)
    }

    /// Lists the streams this source can read, with the JSON Schema of
    /// their records. Default: [`FaucetError::Unsupported`].
    async fn discover(&self) -> Result<Vec<StreamInfo>> {
        Err(FaucetError::Unsupported {
            connector: self.name().to_owned(),
            operation: "discover".to_owned(),
        })
    }

    /// The names of the streams this source reads, when its config alone
    /// tells them (no request, no process): what a selection is checked
    /// against before a run. `None` (the default): ask
    /// [`discover`](Source::discover).
    fn stream_names(&self) -> Option<Vec<String>> {
        None
    }

    /// What the source supports. Default: nothing
    /// ([`SourceCapabilities::default`]).
    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default()
    }

    /// The streams an [incremental](SourceCapabilities::incremental)
    /// source still reads in full on every run (a multi-stream source
    /// whose other streams read by replication key). After a completed
    /// run the pipeline continues only when the sink writes each of these
    /// that the run selects idempotently ([`Sink::idempotent_for`](crate::Sink::idempotent_for));
    /// otherwise the rerun is refused as [`FaucetError::Completed`](crate::FaucetError::Completed)
    /// naming them, rather than append them a second time. Default: none.
    fn full_refresh_streams(&self) -> Vec<String> {
        Vec::new()
    }

    /// A short name for messages and reports. Default: the Rust type name.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

/// Collects every page of a stream into one `Vec`, for sources that
/// implement [`Source::fetch`] on top of their own
/// [`Source::stream_pages`].
pub async fn collect_records(mut pages: PageStream<'_>) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    while let Some(page) = pages.next().await {
        records.extend(page?.into_records());
    }
    Ok(records)
}

macro_rules! forward_source {
    ($($wrapper:ty),+) => {$(
        #[async_trait]
        impl<T: Source + ?Sized> Source for $wrapper {
            async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
                (**self).fetch(ctx).await
            }
            async fn fetch_all(&self) -> Result<Vec<Record>> {
                (**self).fetch_all().await
            }
            fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
                (**self).stream_pages(ctx)
            }
            fn config_schema(&self) -> Option<schemars::Schema> {
                (**self).config_schema()
            }
            async fn check(&self) -> Result<CheckReport> {
                (**self).check().await
            }
            async fn discover(&self) -> Result<Vec<StreamInfo>> {
                (**self).discover().await
            }
            fn stream_names(&self) -> Option<Vec<String>> {
                (**self).stream_names()
            }
            fn capabilities(&self) -> SourceCapabilities {
                (**self).capabilities()
            }
            fn full_refresh_streams(&self) -> Vec<String> {
                (**self).full_refresh_streams()
            }
            fn name(&self) -> &str {
                (**self).name()
            }
        }
    )+};
}

forward_source!(&T, Box<T>, Arc<T>);
