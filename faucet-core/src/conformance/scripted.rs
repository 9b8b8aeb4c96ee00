//! A deterministic, resumable source that the kit and tests drive sinks
//! with.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::error::{FaucetError, Result};
use crate::page::Page;
use crate::record::Record;
use crate::source::{PageStream, Source, SourceContext};

/// The configuration a [`ScriptedSource`] reports as its schema.
#[derive(Debug, Clone, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptedSourceConfig {
    /// Number of pages with records.
    pub pages: u64,
    /// Records per page.
    pub per_page: u64,
}

/// A deterministic, resumable source for tests: `pages` pages of
/// `per_page` records `{"id": n, "page": p}` (ids from 1), each page's
/// checkpoint `{"next_page": p + 1}`, and a final empty page whose
/// checkpoint is `null` (the next run starts over). It can fail at a page
/// and wait before each page.
#[derive(Debug, Clone)]
pub struct ScriptedSource {
    pages: u64,
    per_page: u64,
    fail_at: Option<u64>,
    delay: Duration,
}

impl ScriptedSource {
    /// `pages` pages of `per_page` records.
    pub fn new(pages: u64, per_page: u64) -> Self {
        Self {
            pages,
            per_page,
            fail_at: None,
            delay: Duration::ZERO,
        }
    }

    /// Fails with a retryable source error instead of producing page
    /// `page` (zero-based).
    #[must_use]
    pub fn failing_at(mut self, page: u64) -> Self {
        self.fail_at = Some(page);
        self
    }

    /// Sleeps `delay` before producing each page.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Every record this source produces, in order.
    pub fn all_records(&self) -> Vec<Record> {
        (0..self.pages).flat_map(|p| self.page_records(p)).collect()
    }

    fn page_records(&self, page: u64) -> Vec<Record> {
        let first = page * self.per_page + 1;
        (first..first + self.per_page)
            .map(|id| json!({ "id": id, "page": page }))
            .map(Into::into)
            .collect()
    }

    fn start_page(ctx: &SourceContext) -> u64 {
        ctx.resume_from
            .as_ref()
            .and_then(|c| c.as_value().get("next_page"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

#[async_trait::async_trait]
impl Source for ScriptedSource {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        crate::source::collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let start = Self::start_page(&ctx);
        let pages =
            futures::stream::iter(start..=self.pages).then(move |page| async move {
                if !self.delay.is_zero() {
                    tokio::time::sleep(self.delay).await;
                }
                if self.fail_at == Some(page) {
                    return Err(FaucetError::source_error(format!(
                        "scripted failure at page {page}"
                    ))
                    .retryable());
                }
                if page == self.pages {
                    return Ok(Page::new(Vec::new()).with_checkpoint(Value::Null));
                }
                Ok(Page::new(self.page_records(page))
                    .with_checkpoint(json!({ "next_page": page + 1 })))
            });
        pages.boxed()
    }

    fn config_schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(ScriptedSourceConfig))
    }

    fn capabilities(&self) -> crate::SourceCapabilities {
        crate::SourceCapabilities::default().resumable()
    }

    fn name(&self) -> &str {
        "scripted"
    }
}
