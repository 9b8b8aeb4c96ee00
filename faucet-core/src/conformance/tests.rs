//! Each check fails on a connector broken in the way it is meant to catch,
//! and passes on a correct one.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;
use crate::check::{CheckStatus, SinkCapabilities, SourceCapabilities};
use crate::error::{FaucetError, Result};
use crate::page::{Checkpoint, Page};
use crate::record::Record;
use crate::sink::{CommitContext, Durability, PageCommit, Sink};
use crate::source::{PageStream, Source, SourceContext};

fn failed(report: &ConformanceReport, check: &str) -> String {
    match report.status(check) {
        Some(CheckStatus::Failed(reason)) => reason.clone(),
        other => panic!("`{check}` did not fail: {other:?}\n{report}"),
    }
}

fn passed(report: &ConformanceReport, check: &str) {
    assert_eq!(
        report.status(check),
        Some(&CheckStatus::Passed),
        "`{check}`\n{report}"
    );
}

fn skipped(report: &ConformanceReport, check: &str) {
    assert!(
        matches!(report.status(check), Some(CheckStatus::Skipped(_))),
        "`{check}`\n{report}"
    );
}

/// Pages of `records[i]` records each, checkpoint `{"next": i + 1}`;
/// resumes `shift` pages off from where it should, or ignores the
/// checkpoint.
struct Paged {
    pages: Vec<usize>,
    shift: i64,
    ignore_resume: bool,
    checkpoints: bool,
}

impl Paged {
    fn new(pages: &[usize]) -> Self {
        Self {
            pages: pages.to_vec(),
            shift: 0,
            ignore_resume: false,
            checkpoints: true,
        }
    }
}

#[async_trait::async_trait]
impl Source for Paged {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        crate::source::collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let next = ctx
            .resume_from
            .filter(|_| !self.ignore_resume)
            .and_then(|c| c.as_value()["next"].as_i64())
            .map_or(0, |n| (n + self.shift).max(0) as usize);
        let pages = (next..self.pages.len()).map(move |i| {
            let records = (0..self.pages[i])
                .map(|r| json!({"page": i, "r": r}))
                .map(Into::into)
                .collect();
            let page = Page::new(records);
            Ok(if self.checkpoints {
                page.with_checkpoint(json!({"next": i + 1}))
            } else {
                page
            })
        });
        Box::pin(futures::stream::iter(pages.collect::<Vec<_>>()))
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }
}

struct Hello;

#[async_trait::async_trait]
impl Source for Hello {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(vec![json!({"hello": "world"}).into()])
    }
}

#[tokio::test]
async fn a_source_without_a_schema_passes_with_a_warning() {
    let report = check_source(&Hello).await;
    assert!(report.passed(), "{report}");
    skipped(&report, names::SCHEMA);
    assert_eq!(report.warnings.len(), 1, "{report}");
    assert_eq!(report.warnings[0].check, names::SCHEMA);
    passed(&report, names::OBJECT_SAFE);
    passed(&report, names::YIELDS);
    skipped(&report, names::RESUMES);
}

#[tokio::test]
async fn a_documented_schema_passes_without_a_warning() {
    let report = check_source(&ScriptedSource::new(3, 2)).await;
    report.assert_no_warnings();
    passed(&report, names::SCHEMA);
    passed(&report, names::RESUMES);
}

#[tokio::test]
async fn a_source_that_yields_nothing_fails_unless_declared_possibly_empty() {
    let empty = Paged::new(&[0, 0]);
    let reason = failed(&check_source(&empty).await, names::YIELDS);
    assert!(reason.contains("allow_empty"), "{reason}");

    let report = check_source_with(&empty, SourceChecks::new().allow_empty()).await;
    assert!(report.passed(), "{report}");
    skipped(&report, names::YIELDS);
    skipped(&report, names::RESUMES);
}

#[tokio::test]
async fn a_failing_source_fails_streams_pages() {
    let report = check_source(&ScriptedSource::new(3, 2).failing_at(1)).await;
    let reason = failed(&report, names::STREAMS);
    assert!(reason.contains("scripted failure at page 1"), "{reason}");
}

#[tokio::test]
async fn a_single_page_source_that_ignores_its_checkpoint_fails_the_resume_check() {
    passed(&check_source(&Paged::new(&[3])).await, names::RESUMES);
    let broken = Paged {
        ignore_resume: true,
        ..Paged::new(&[3])
    };
    let reason = failed(&check_source(&broken).await, names::RESUMES);
    assert!(
        reason.contains("expected the 0 record(s) of the 0 page(s) after it, got 3"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_source_that_resumes_a_page_early_or_late_fails_the_resume_check() {
    passed(
        &check_source(&Paged::new(&[2, 2, 2, 1])).await,
        names::RESUMES,
    );
    for shift in [-1, 1] {
        let broken = Paged {
            shift,
            ..Paged::new(&[2, 2, 2, 1])
        };
        let reason = failed(&check_source(&broken).await, names::RESUMES);
        assert!(reason.contains("resumed after page 1"), "{shift}: {reason}");
    }
}

#[tokio::test]
async fn a_resumable_source_without_checkpoints_fails_the_resume_check() {
    let broken = Paged {
        checkpoints: false,
        ..Paged::new(&[2, 2])
    };
    let reason = failed(&check_source(&broken).await, names::RESUMES);
    assert!(
        reason.contains("no page with records carries a checkpoint"),
        "{reason}"
    );
}

#[test]
fn config_errors_must_name_the_path() {
    let no_path = |_: Value| -> Result<()> { Err(FaucetError::config("", "bad")) };
    let at_size = |_: Value| -> Result<()> { Err(FaucetError::config("size", "bad")) };
    let missing = |_: Value| -> Result<()> { Err(FaucetError::config("", "missing field `url`")) };
    let bad = json!({"size": 0});

    let reason = failed(
        &check_config_errors(no_path, &[json!({})]),
        "rejects bad config #0",
    );
    assert!(reason.contains("names no path"), "{reason}");
    assert!(check_config_errors(at_size, &[json!({})]).passed());
    assert!(check_config_errors(at_size, &[(bad.clone(), "size")]).passed());
    let reason = failed(
        &check_config_errors(at_size, &[(bad.clone(), "http.size")]),
        "rejects bad config #0",
    );
    assert!(
        reason.contains("names `size`, expected `http.size`"),
        "{reason}"
    );
    assert!(check_config_errors(missing, &[(json!({}), "url")]).passed());
}

#[test]
fn accepted_panicking_and_non_config_errors_fail() {
    let bad = [json!({"size": 0})];
    let accepts = |_: Value| -> Result<()> { Ok(()) };
    let panics = |_: Value| -> Result<()> { panic!("boom") };
    let other = |_: Value| -> Result<()> { Err(FaucetError::source_error("no")) };
    let name = "rejects bad config #0";
    assert!(failed(&check_config_errors(accepts, &bad), name).contains("accepted"));
    assert!(failed(&check_config_errors(panics, &bad), name).contains("panicked"));
    assert!(failed(&check_config_errors(other, &bad), name).contains("not a config error"));
}

/// What [`MemorySink`] stores: rows and the checkpoint committed with them.
#[derive(Debug, Default)]
struct Stored {
    rows: Vec<Record>,
    checkpoint: Option<Checkpoint>,
    /// Rows and checkpoint of [`Fault::CommitsOnlyAtFinish`] not yet stored.
    pending: Vec<Record>,
    pending_checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Forgets its checkpoint and its rows when a run starts: the rerun
    /// starts over, so the result looks right without a resume.
    StartsOver,
    /// Stores no checkpoint for a page without records.
    SkipsEmptyPages,
    /// Drops the last record of every page.
    DropsLastRecord,
    /// Does not implement `clear_checkpoint`.
    CannotClear,
    /// Keeps rows and checkpoints in memory until `finish(Completed)`: a
    /// failed run loses everything, flushed or not.
    CommitsOnlyAtFinish,
}

/// An in-memory sink; atomic unless it drops records.
#[derive(Debug, Clone)]
struct MemorySink {
    stored: Arc<Mutex<Stored>>,
    fault: Fault,
}

impl MemorySink {
    fn new(fault: Fault) -> Self {
        Self {
            stored: Arc::default(),
            fault,
        }
    }

    async fn rows(&self) -> Result<Vec<Record>> {
        Ok(self.stored.lock().unwrap().rows.clone())
    }
}

#[async_trait::async_trait]
impl Sink for MemorySink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let keep = match self.fault {
            Fault::DropsLastRecord => records.len().saturating_sub(1),
            _ => records.len(),
        };
        self.stored
            .lock()
            .unwrap()
            .rows
            .extend_from_slice(&records[..keep]);
        Ok(records.len())
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        if self.fault == Fault::DropsLastRecord {
            let written = self.write_batch(page.records()).await?;
            let _ = ctx;
            return Ok(PageCommit::new(written, Durability::Rows));
        }
        if self.fault == Fault::CommitsOnlyAtFinish {
            let mut stored = self.stored.lock().unwrap();
            stored.pending.extend_from_slice(page.records());
            if page.checkpoint().is_some() {
                stored.pending_checkpoint = page.checkpoint().cloned();
            }
            return Ok(PageCommit::new(page.records().len(), Durability::Buffered));
        }
        let written = self.write_batch(page.records()).await?;
        let skip = self.fault == Fault::SkipsEmptyPages && page.records().is_empty();
        if page.checkpoint().is_some() && !skip {
            self.stored.lock().unwrap().checkpoint = page.checkpoint().cloned();
        }
        Ok(PageCommit::new(written, Durability::RowsAndCheckpoint))
    }

    async fn load_checkpoint(&self, _pipeline: &str) -> Result<Option<Checkpoint>> {
        let mut stored = self.stored.lock().unwrap();
        if self.fault == Fault::StartsOver {
            *stored = Stored::default();
        }
        Ok(stored.checkpoint.clone())
    }

    async fn finish(&self, outcome: crate::RunOutcome) -> Result<()> {
        let mut stored = self.stored.lock().unwrap();
        let pending = std::mem::take(&mut stored.pending);
        let checkpoint = stored.pending_checkpoint.take();
        if outcome == crate::RunOutcome::Completed && checkpoint.is_some() {
            stored.rows.extend(pending);
            stored.checkpoint = checkpoint;
        }
        Ok(())
    }

    async fn clear_checkpoint(&self, _pipeline: &str) -> Result<()> {
        if self.fault == Fault::CannotClear {
            return Err(FaucetError::Unsupported {
                connector: "memory".to_owned(),
                operation: "clearing a checkpoint".to_owned(),
            });
        }
        self.stored.lock().unwrap().checkpoint = None;
        Ok(())
    }

    fn capabilities(&self) -> SinkCapabilities {
        match self.fault {
            Fault::DropsLastRecord => SinkCapabilities::default(),
            _ => SinkCapabilities::default().atomic_checkpoints(),
        }
    }
}

async fn check_memory_sink(fault: Fault) -> ConformanceReport {
    let sink = MemorySink::new(fault);
    check_sink(|| sink.clone(), || sink.rows()).await
}

#[tokio::test]
async fn a_correct_atomic_sink_passes_every_check() {
    let report = check_memory_sink(Fault::None).await;
    assert!(report.passed(), "{report}");
    for check in [
        names::OBJECT_SAFE,
        names::KEEPS_COMMITTED,
        names::WRITES_ALL,
        names::EXACTLY_ONCE,
        names::COMPLETION,
        names::EMPTY_PAGE,
        names::CLEARS,
    ] {
        passed(&report, check);
    }
}

#[tokio::test]
async fn a_sink_that_starts_over_instead_of_resuming_fails_exactly_once() {
    let report = check_memory_sink(Fault::StartsOver).await;
    // Everything is stored once in the end: only the resume check sees it.
    passed(&report, names::WRITES_ALL);
    let reason = failed(&report, names::EXACTLY_ONCE);
    assert!(
        reason.contains("did not resume after the stored {\"next_page\":4}"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_sink_that_skips_the_checkpoint_of_an_empty_page_fails() {
    let report = check_memory_sink(Fault::SkipsEmptyPages).await;
    passed(&report, names::EXACTLY_ONCE);
    let reason = failed(&report, names::EMPTY_PAGE);
    assert!(
        reason.contains("\"conformance_empty_page\":true"),
        "{reason}"
    );
    // The completion marker is such a page.
    let reason = failed(&report, names::COMPLETION);
    assert!(reason.contains("not the completion marker"), "{reason}");
}

#[tokio::test]
async fn a_sink_that_cannot_clear_its_checkpoint_fails() {
    let report = check_memory_sink(Fault::CannotClear).await;
    passed(&report, names::EMPTY_PAGE);
    let reason = failed(&report, names::CLEARS);
    assert!(reason.contains("clearing a checkpoint"), "{reason}");
}

#[tokio::test]
async fn a_sink_that_loses_records_fails_writes_every_record() {
    let report = check_memory_sink(Fault::DropsLastRecord).await;
    let reason = failed(&report, names::WRITES_ALL);
    assert!(reason.contains("stored 36 records"), "{reason}");
    skipped(&report, names::EXACTLY_ONCE);
}

/// The visible parts of `minimal.md` (the doctest that runs the kit on the
/// minimal connectors) appear verbatim, up to indentation, in
/// CONTRIBUTING.md.
#[test]
fn contributing_shows_the_minimal_connectors_the_kit_passes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../CONTRIBUTING.md");
    let Ok(contributing) = std::fs::read_to_string(path) else {
        eprintln!("{path} not found: not in the faucet workspace");
        return;
    };
    let normalise = |lines: &[&str]| -> String {
        lines
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let contributing = normalise(&contributing.lines().collect::<Vec<_>>());
    let doc = include_str!("minimal.md");
    let mut segments = vec![Vec::new()];
    for line in doc.lines().filter(|l| !l.starts_with("```")) {
        if line.starts_with("# ") || line == "#" {
            segments.push(Vec::new());
        } else if let Some(segment) = segments.last_mut() {
            segment.push(line);
        }
    }
    let visible: Vec<String> = segments
        .iter()
        .map(|s| normalise(s).trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(visible.len(), 2, "{visible:?}");
    for segment in visible {
        for part in segment.split("\n\n") {
            assert!(
                contributing.contains(part),
                "CONTRIBUTING.md lacks:\n{part}"
            );
        }
    }
}

#[tokio::test]
async fn a_sink_that_loses_flushed_pages_on_failure_fails() {
    let report = check_memory_sink(Fault::CommitsOnlyAtFinish).await;
    let reason = failed(&report, names::KEEPS_COMMITTED);
    assert!(
        reason.contains("load_checkpoint returned no checkpoint, expected {\"next_page\":4}"),
        "{reason}"
    );
}

/// A source whose config schema has a property without a description.
struct Undocumented;

#[async_trait::async_trait]
impl Source for Undocumented {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(vec![json!(1).into()])
    }

    fn config_schema(&self) -> Option<schemars::Schema> {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Config {
            /// Documented.
            documented: u64,
            undocumented: u64,
        }
        Some(schemars::schema_for!(Config))
    }
}

#[tokio::test]
async fn a_schema_with_an_undocumented_property_fails() {
    let report = check_source(&Undocumented).await;
    let reason = failed(&report, names::SCHEMA);
    assert_eq!(reason, "undocumented: #/properties/undocumented");
    assert!(report.warnings.is_empty(), "{report}");
}
