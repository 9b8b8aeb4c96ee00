//! The conformance kit: checks a [`Source`] or [`Sink`] against the
//! contract, choosing checks from its declared capabilities.
//!
//! Enable the `conformance` feature in `[dev-dependencies]` and call it
//! from one test:
//!
//! ```
//! use faucet_core::conformance::{self, ScriptedSource};
//! use faucet_core::connector::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // A source: give it configured as your tests serve it.
//! let source = ScriptedSource::new(3, 10);
//! conformance::check_source(&source).await.assert_passed();
//! # }
//! ```
//!
//! For a sink, [`check_sink`] drives it with a [`ScriptedSource`] and reads
//! back what it stored through a closure you provide.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use serde_json::{Value, json};

use crate::check::{CheckReport, CheckStatus};
use crate::error::{FaucetError, Result};
use crate::page::{Checkpoint, Page, Record};
use crate::pipeline::Pipeline;
use crate::schema::undocumented_properties;
use crate::sink::Sink;
use crate::source::{PageStream, Source, SourceContext};

/// The outcome of a conformance run: one named item per check.
#[derive(Debug, Clone, Default)]
pub struct ConformanceReport {
    /// The checks, in the order they ran.
    pub checks: CheckReport,
}

impl ConformanceReport {
    /// Panics with every failed check listed, if any failed.
    #[track_caller]
    pub fn assert_passed(&self) {
        let failures: Vec<String> = self
            .checks
            .items
            .iter()
            .filter_map(|item| match &item.status {
                CheckStatus::Failed(reason) => Some(format!("{}: {reason}", item.name)),
                _ => None,
            })
            .collect();
        assert!(
            failures.is_empty(),
            "conformance failures:\n{}",
            failures.join("\n")
        );
    }
}

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

/// Checks a source: its config schema is present and documented, it
/// streams without error, and, if it declares `resumable`, resuming from a
/// page's checkpoint yields exactly the records after that page.
pub async fn check_source<S: Source + ?Sized>(source: &S) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    check_schema(source.config_schema(), &mut report.checks);
    let first = match read_pages(source, None).await {
        Ok(pages) => {
            report.checks.pass("streams pages");
            pages
        }
        Err(e) => {
            report.checks.fail("streams pages", e.to_string());
            return report;
        }
    };
    if !source.capabilities().resumable {
        report.checks.skip(
            "resumes from a checkpoint",
            "source does not declare `resumable`",
        );
        return report;
    }
    let middle = first.len() / 2;
    let Some(checkpoint) = first
        .get(middle.saturating_sub(1))
        .and_then(|p| p.checkpoint.clone())
    else {
        report.checks.fail(
            "resumes from a checkpoint",
            "a resumable source's page has no checkpoint",
        );
        return report;
    };
    let expected: Vec<Record> = first[middle..]
        .iter()
        .flat_map(|p| p.records.clone())
        .collect();
    match read_pages(source, Some(checkpoint)).await {
        Ok(pages) => {
            let resumed: Vec<Record> = pages.into_iter().flat_map(|p| p.records).collect();
            if resumed == expected {
                report.checks.pass("resumes from a checkpoint");
            } else {
                report.checks.fail(
                    "resumes from a checkpoint",
                    format!(
                        "expected {} records after the checkpoint, got {}",
                        expected.len(),
                        resumed.len()
                    ),
                );
            }
        }
        Err(e) => {
            report
                .checks
                .fail("resumes from a checkpoint", e.to_string());
        }
    }
    report
}

/// Checks that building a connector from each of `bad_configs` returns an
/// error (a config error naming a path, not a panic).
pub fn check_config_errors<T>(
    build: impl Fn(Value) -> Result<T>,
    bad_configs: &[Value],
) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    for (i, config) in bad_configs.iter().enumerate() {
        let name = format!("rejects bad config #{i}");
        match std::panic::catch_unwind(AssertUnwindSafe(|| build(config.clone()))) {
            Err(_) => report.checks.fail(name, format!("panicked on {config}")),
            Ok(Ok(_)) => report.checks.fail(name, format!("accepted {config}")),
            Ok(Err(FaucetError::Config { .. })) => report.checks.pass(name),
            Ok(Err(other)) => report
                .checks
                .fail(name, format!("not a config error: {other}")),
        };
    }
    report
}

/// Checks a sink with a [`ScriptedSource`]: every record arrives once; and
/// if it declares `atomic_checkpoints`, a run that fails midway and a rerun
/// leave every record exactly once.
///
/// `make_sink` builds a fresh sink over the same storage (as a restarted
/// process would); `read_back` returns everything stored, in order.
pub async fn check_sink<K, R>(
    make_sink: impl Fn() -> K,
    read_back: impl Fn() -> R,
) -> ConformanceReport
where
    K: Sink,
    R: Future<Output = Result<Vec<Record>>>,
{
    let mut report = ConformanceReport::default();
    check_schema(make_sink().config_schema(), &mut report.checks);
    let atomic = make_sink().capabilities().atomic_checkpoints;
    let source = ScriptedSource::new(6, 7);
    let expected = source.all_records();
    if atomic {
        let failing = source.clone().failing_at(4);
        let pipeline = Pipeline::new(&failing, make_sink()).with_name("conformance");
        if AssertUnwindSafe(pipeline.run())
            .catch_unwind()
            .await
            .is_err()
        {
            report
                .checks
                .fail("survives a failed run", "the sink panicked");
            return report;
        }
    }
    let pipeline = Pipeline::new(&source, make_sink()).with_name("conformance");
    match AssertUnwindSafe(pipeline.run()).catch_unwind().await {
        Err(_) => report
            .checks
            .fail("writes every record", "the sink panicked"),
        Ok(Err(e)) => report.checks.fail("writes every record", e.to_string()),
        Ok(Ok(_)) => match read_back().await {
            Ok(stored) if stored == expected => report.checks.pass(if atomic {
                "exactly once across a failed run and a resume"
            } else {
                "writes every record"
            }),
            Ok(stored) => report.checks.fail(
                "writes every record",
                format!(
                    "stored {} records, expected {} (ids 1..={})",
                    stored.len(),
                    expected.len(),
                    expected.len()
                ),
            ),
            Err(e) => report
                .checks
                .fail("writes every record", format!("read_back failed: {e}")),
        },
    };
    report
}

fn check_schema(schema: Option<schemars::Schema>, report: &mut CheckReport) {
    match schema {
        None => report.fail("config schema", "config_schema() returns None"),
        Some(schema) => {
            let missing = undocumented_properties(&schema.to_value());
            if missing.is_empty() {
                report.pass("config schema")
            } else {
                report.fail(
                    "config schema",
                    format!("undocumented: {}", missing.join(", ")),
                )
            }
        }
    };
}

async fn read_pages<S: Source + ?Sized>(
    source: &S,
    resume: Option<Checkpoint>,
) -> Result<Vec<Page>> {
    let ctx = SourceContext::new().with_resume(resume);
    let mut stream = source.stream_pages(ctx);
    let mut pages = Vec::new();
    while let Some(page) = AssertUnwindSafe(stream.next())
        .catch_unwind()
        .await
        .map_err(|_| FaucetError::source_error("the source panicked"))?
    {
        pages.push(page?);
    }
    Ok(pages)
}
