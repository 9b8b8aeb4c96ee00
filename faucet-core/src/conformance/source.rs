//! The source checks.

use std::panic::AssertUnwindSafe;

use futures::{FutureExt, StreamExt};

use super::{ConformanceReport, check_config_schema, names};
use crate::error::{FaucetError, Result};
use crate::page::{Checkpoint, Page};
use crate::record::Record;
use crate::source::{Source, SourceContext};

/// Options of [`check_source_with`]: what the caller knows about the
/// stream it serves the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceChecks {
    /// The stream may yield no records: an empty read passes (and the
    /// resume check is skipped) instead of failing. Default: `false`, so a
    /// source that silently reads nothing fails.
    pub allow_empty: bool,
}

impl SourceChecks {
    /// The default checks: the stream must yield at least one record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares that the stream may be empty.
    #[must_use]
    pub fn allow_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }
}

/// [`check_source_with`] with the default [`SourceChecks`]: the source must
/// yield at least one record.
///
/// The source must be `'static`, as the registry needs to hold it as a
/// `Box<dyn Source>`; one that borrows is refused at compile time:
///
/// ```compile_fail
/// use faucet_core::connector::*;
///
/// struct Borrowing<'a>(&'a str);
///
/// #[async_trait]
/// impl Source for Borrowing<'_> {
///     async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
///         Ok(vec![json!(self.0)])
///     }
/// }
///
/// # async fn check() {
/// let name = String::from("borrowed");
/// faucet_core::conformance::check_source(&Borrowing(&name)).await;
/// # }
/// ```
pub async fn check_source<S: Source + ?Sized + 'static>(source: &S) -> ConformanceReport {
    check_source_with(source, SourceChecks::new()).await
}

/// Checks a source, serving it as your tests do:
///
/// - `config schema`: present and every property described (a missing
///   schema is a warning, not a failure);
/// - `object safe`: it works as a `Box<dyn Source>`, which is `Send + Sync`
///   (how the registry and the CLI hold it); every read below goes through
///   that box;
/// - `streams pages`: the stream ends without error or panic;
/// - `yields records`: at least one record, unless
///   [`SourceChecks::allow_empty`];
/// - `resumes from a checkpoint`, if it declares `resumable`: resuming from
///   the checkpoint of a page in the middle (the only page, if there is
///   one) yields exactly the records after that page, in order.
pub async fn check_source_with<S: Source + ?Sized + 'static>(
    source: &S,
    checks: SourceChecks,
) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    check_config_schema(source.config_schema(), &mut report);
    let boxed: Box<dyn Source + '_> = Box::new(source);
    report.record(names::OBJECT_SAFE, forwards(source, &*boxed));

    let pages = match read_pages(&*boxed, None).await {
        Ok(pages) => {
            report.pass(names::STREAMS);
            pages
        }
        Err(e) => {
            report.fail(names::STREAMS, e.to_string());
            report.skip(names::YIELDS, "the stream failed");
            report.skip(names::RESUMES, "the stream failed");
            return report;
        }
    };
    let with_records: Vec<usize> = (0..pages.len()).filter(|&i| !pages[i].is_empty()).collect();
    if with_records.is_empty() {
        if checks.allow_empty {
            report.skip(names::YIELDS, "the stream is declared as possibly empty");
            report.skip(names::RESUMES, "the stream yielded no records");
        } else {
            report.fail(
                names::YIELDS,
                format!(
                    "{} page(s), no record; serve the source a stream with records, \
                     or pass `SourceChecks::new().allow_empty()` if it may be empty",
                    pages.len()
                ),
            );
            report.skip(names::RESUMES, "the stream yielded no records");
        }
        return report;
    }
    report.pass(names::YIELDS);
    if !boxed.capabilities().resumable {
        report.skip(names::RESUMES, "the source does not declare `resumable`");
        return report;
    }
    let result = check_resume(&*boxed, &pages, &with_records).await;
    report.record(names::RESUMES, result);
    report
}

/// `Box<dyn Source>` answers as the source itself does.
fn forwards<S: Source + ?Sized>(source: &S, boxed: &(dyn Source + '_)) -> Result<(), String> {
    fn assert_send_sync<T: Send + Sync + ?Sized>(_: &T) {}
    assert_send_sync(boxed);
    if boxed.name() != source.name() || boxed.capabilities() != source.capabilities() {
        return Err("Box<dyn Source> answers differently from the source".to_owned());
    }
    Ok(())
}

/// Resumes after the middle page that has records and a checkpoint, and
/// compares with the records of the pages after it.
async fn check_resume(
    source: &(dyn Source + '_),
    pages: &[Page],
    with_records: &[usize],
) -> Result<(), String> {
    let candidates: Vec<usize> = with_records
        .iter()
        .copied()
        .filter(|&i| pages[i].checkpoint().is_some())
        .collect();
    let Some(&at) = candidates.get(candidates.len().saturating_sub(1) / 2) else {
        return Err(
            "the source declares `resumable`, but no page with records carries a \
                    checkpoint"
                .to_owned(),
        );
    };
    let checkpoint = pages[at].checkpoint().cloned();
    let expected: Vec<Record> = pages[at + 1..]
        .iter()
        .flat_map(|p| p.records().iter().cloned())
        .collect();
    let resumed: Vec<Record> = read_pages(source, checkpoint.clone())
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .flat_map(|p| p.into_records())
        .collect();
    if resumed == expected {
        return Ok(());
    }
    let first_difference = resumed
        .iter()
        .zip(&expected)
        .position(|(a, b)| a != b)
        .unwrap_or(resumed.len().min(expected.len()));
    Err(format!(
        "resumed after page {at} (checkpoint {}): expected the {} record(s) of the {} page(s) \
         after it, got {} record(s), first difference at record {first_difference}",
        checkpoint.map_or_else(|| "none".to_owned(), |c| c.as_value().to_string()),
        expected.len(),
        pages.len() - at - 1,
        resumed.len(),
    ))
}

pub(super) async fn read_pages(
    source: &(dyn Source + '_),
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
