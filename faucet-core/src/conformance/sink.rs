//! The sink checks.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use serde_json::json;

use super::{ConformanceReport, ScriptedSource, check_config_schema, names};
use crate::error::Result;
use crate::page::{Checkpoint, Page};
use crate::pipeline::{Completion, Pipeline, Resume, RunReport};
use crate::record::Record;
use crate::sink::{CommitContext, Sink};

/// The pipeline name the kit runs under.
pub(super) const PIPELINE: &str = "conformance";
const PAGES: u64 = 6;
const PER_PAGE: u64 = 7;
/// The page at which the failed run's source fails.
const FAIL_AT: u64 = 4;

/// Checks a sink by running pipelines from a [`ScriptedSource`] of 6 pages
/// of 7 records into it, under the pipeline name `conformance`:
///
/// - `config schema`: present and every property described (a missing
///   schema is a warning);
/// - `object safe`: it works as a `Box<dyn Sink>`, which is `Send + Sync`;
///   every run below goes through that box;
/// - `writes every record`: what `read_back` returns after the runs is
///   every record exactly once, in order.
///
/// If it declares `atomic_checkpoints`, the first run fails at page 4, and:
///
/// - `a failed run keeps its committed pages`: afterwards a fresh sink's
///   `load_checkpoint` returns the checkpoint after page 3 and exactly
///   pages 0..=3 are stored (the pipeline flushes before it reports the
///   failure);
/// - `exactly once across a failed run and a resume`: the next run resumed
///   from that stored checkpoint and wrote only the remaining pages;
/// - `stores the completion marker`: after the run completes, a fresh
///   sink's `load_checkpoint` returns the pipeline's completion marker
///   ([`Completion`], committed as a page without records);
/// - `stores the checkpoint of an empty page`: a page with no records
///   committed and flushed stores its checkpoint, and nothing else;
/// - `clears its checkpoint`: after `clear_checkpoint`, a fresh sink's
///   `load_checkpoint` returns `None`, and the rows stay.
///
/// `make_sink` builds a fresh sink over the same storage (as a restarted
/// process would), empty before the first call; `read_back` returns
/// everything stored, in order.
pub async fn check_sink<K, R>(
    make_sink: impl Fn() -> K,
    read_back: impl Fn() -> R,
) -> ConformanceReport
where
    K: Sink + 'static,
    R: Future<Output = Result<Vec<Record>>>,
{
    let mut report = ConformanceReport::default();
    let probe: Box<dyn Sink> = Box::new(make_sink());
    check_config_schema(probe.config_schema(), &mut report);
    report.record(names::OBJECT_SAFE, send_sync::<K>());
    let atomic = probe.capabilities().atomic_checkpoints;
    drop(probe);
    let make = || -> Box<dyn Sink> { Box::new(make_sink()) };
    let source = ScriptedSource::new(PAGES, PER_PAGE);
    if atomic {
        check_atomic(&make, &read_back, &source, &mut report).await;
    } else {
        let result = run(&source, make()).await.map(|_| ());
        let result = match result {
            Ok(()) => all_stored(&read_back, &source.all_records()).await,
            Err(e) => Err(e),
        };
        report.record(names::WRITES_ALL, result);
        for check in [
            names::KEEPS_COMMITTED,
            names::EXACTLY_ONCE,
            names::EMPTY_PAGE,
        ] {
            report.skip(check, "the sink does not declare `atomic_checkpoints`");
        }
    }
    report
}

/// Compiles only for a sink that the registry can hold as a
/// `Box<dyn Sink>` shared across threads.
fn send_sync<K: Sink + 'static>() -> Result<(), String> {
    fn assert_send_sync<T: Send + Sync + ?Sized + 'static>() {}
    assert_send_sync::<K>();
    assert_send_sync::<Box<dyn Sink>>();
    Ok(())
}

async fn check_atomic<R>(
    make: &impl Fn() -> Box<dyn Sink>,
    read_back: &impl Fn() -> R,
    source: &ScriptedSource,
    report: &mut ConformanceReport,
) where
    R: Future<Output = Result<Vec<Record>>>,
{
    let expected = source.all_records();
    let committed_len = (FAIL_AT * PER_PAGE) as usize;
    let after_failure = Checkpoint::new(json!({ "next_page": FAIL_AT }));
    let kept = match run(&source.clone().failing_at(FAIL_AT), make()).await {
        Ok(_) => Err(format!(
            "the run succeeded although the source failed at page {FAIL_AT}"
        )),
        Err(_) => {
            keeps_committed(make, read_back, &expected[..committed_len], &after_failure).await
        }
    };
    report.record(names::KEEPS_COMMITTED, kept);

    let resumed = run(source, make()).await;
    let stored = all_stored(read_back, &expected).await;
    let exactly_once = match &resumed {
        Err(e) => Err(e.clone()),
        Ok(run) => resumed_remainder(run, &after_failure, expected.len() - committed_len)
            .and_then(|()| stored.clone()),
    };
    report.record(names::WRITES_ALL, stored);
    report.record(names::EXACTLY_ONCE, exactly_once);
    let marker = match &resumed {
        Err(_) => Err("the run failed".to_owned()),
        Ok(_) => stores_completion(make).await,
    };
    report.record(names::COMPLETION, marker);

    let empty_page = stores_empty_page(make, read_back, &expected).await;
    report.record(names::EMPTY_PAGE, empty_page);
    let cleared = clears_checkpoint(make, read_back, &expected).await;
    report.record(names::CLEARS, cleared);
}

/// After a completed run, the stored checkpoint is the pipeline's
/// completion marker (committed as a page without records).
async fn stores_completion(make: &impl Fn() -> Box<dyn Sink>) -> Result<(), String> {
    let stored = load_checkpoint(make).await?;
    match stored.as_ref().and_then(Completion::from_checkpoint) {
        Some(_) => Ok(()),
        None => Err(format!(
            "after a completed run, load_checkpoint returned {}, not the completion marker",
            describe(stored.as_ref())
        )),
    }
}

/// `clear_checkpoint` forgets the checkpoint and keeps the rows.
async fn clears_checkpoint<R>(
    make: &impl Fn() -> Box<dyn Sink>,
    read_back: &impl Fn() -> R,
    expected: &[Record],
) -> Result<(), String>
where
    R: Future<Output = Result<Vec<Record>>>,
{
    let sink = make();
    match AssertUnwindSafe(sink.clear_checkpoint(PIPELINE))
        .catch_unwind()
        .await
    {
        Err(_) => return Err("the sink panicked in clear_checkpoint".to_owned()),
        Ok(Err(e)) => return Err(format!("clear_checkpoint failed: {e}")),
        Ok(Ok(())) => {}
    }
    drop(sink);
    if let Some(stored) = load_checkpoint(make).await? {
        return Err(format!(
            "after clear_checkpoint, load_checkpoint returned {}",
            stored.as_value()
        ));
    }
    all_stored(read_back, expected).await
}

/// After the failed run: the stored checkpoint and rows are those of the
/// pages before the failure.
async fn keeps_committed<R>(
    make: &impl Fn() -> Box<dyn Sink>,
    read_back: &impl Fn() -> R,
    committed: &[Record],
    checkpoint: &Checkpoint,
) -> Result<(), String>
where
    R: Future<Output = Result<Vec<Record>>>,
{
    let stored_checkpoint = load_checkpoint(make).await?;
    if stored_checkpoint.as_ref() != Some(checkpoint) {
        return Err(format!(
            "after a failure at page {FAIL_AT}, load_checkpoint returned {}, expected {}",
            describe(stored_checkpoint.as_ref()),
            checkpoint.as_value()
        ));
    }
    all_stored(read_back, committed).await
}

/// The resumed run started from `checkpoint` and wrote `remainder` records.
fn resumed_remainder(
    run: &RunReport,
    checkpoint: &Checkpoint,
    remainder: usize,
) -> Result<(), String> {
    if !matches!(&run.resume, Resume::Resumed { after } if after == checkpoint) {
        return Err(format!(
            "the second run did not resume after the stored {} (it says: {})",
            checkpoint.as_value(),
            run.resume
        ));
    }
    if run.progress.records_written != remainder as u64 {
        return Err(format!(
            "the resumed run wrote {} records, expected only the remaining {remainder}",
            run.progress.records_written
        ));
    }
    Ok(())
}

/// A page with no records, committed and flushed, stores its checkpoint
/// and no row.
async fn stores_empty_page<R>(
    make: &impl Fn() -> Box<dyn Sink>,
    read_back: &impl Fn() -> R,
    expected: &[Record],
) -> Result<(), String>
where
    R: Future<Output = Result<Vec<Record>>>,
{
    let checkpoint = Checkpoint::new(json!({ "conformance_empty_page": true }));
    let sink = make();
    let page = Page::new(Vec::new()).with_checkpoint(checkpoint.clone());
    let steps = async {
        sink.load_checkpoint(PIPELINE).await?;
        sink.commit_page(&page, &CommitContext::new(PIPELINE, 0))
            .await?;
        sink.flush().await
    };
    match AssertUnwindSafe(steps).catch_unwind().await {
        Err(_) => return Err("the sink panicked".to_owned()),
        Ok(Err(e)) => return Err(e.to_string()),
        Ok(Ok(())) => {}
    }
    drop(sink);
    let stored = load_checkpoint(make).await?;
    if stored.as_ref() != Some(&checkpoint) {
        return Err(format!(
            "after committing and flushing an empty page with checkpoint {}, load_checkpoint \
             returned {}",
            checkpoint.as_value(),
            describe(stored.as_ref())
        ));
    }
    all_stored(read_back, expected).await
}

/// A fresh sink's stored checkpoint.
async fn load_checkpoint(make: &impl Fn() -> Box<dyn Sink>) -> Result<Option<Checkpoint>, String> {
    let sink = make();
    match AssertUnwindSafe(sink.load_checkpoint(PIPELINE))
        .catch_unwind()
        .await
    {
        Err(_) => Err("the sink panicked in load_checkpoint".to_owned()),
        Ok(result) => result.map_err(|e| format!("load_checkpoint failed: {e}")),
    }
}

/// Runs `source` into `sink`; a panic or an error is the reason.
async fn run(source: &ScriptedSource, sink: Box<dyn Sink>) -> Result<RunReport, String> {
    let pipeline = Pipeline::new(source, sink).with_name(PIPELINE);
    match AssertUnwindSafe(pipeline.run()).catch_unwind().await {
        Err(_) => Err("the sink panicked".to_owned()),
        Ok(result) => result.map_err(|e| e.to_string()),
    }
}

/// What `read_back` returns is `expected`.
async fn all_stored<R>(read_back: &impl Fn() -> R, expected: &[Record]) -> Result<(), String>
where
    R: Future<Output = Result<Vec<Record>>>,
{
    let stored = read_back()
        .await
        .map_err(|e| format!("read_back failed: {e}"))?;
    if stored == expected {
        return Ok(());
    }
    let ids = |records: &[Record]| -> Vec<String> {
        records.iter().map(|r| r["id"].to_string()).collect()
    };
    Err(format!(
        "stored {} records (ids {}), expected {} (ids {})",
        stored.len(),
        ids(&stored).join(","),
        expected.len(),
        ids(expected).join(",")
    ))
}

fn describe(checkpoint: Option<&Checkpoint>) -> String {
    checkpoint.map_or_else(|| "no checkpoint".to_owned(), |c| c.as_value().to_string())
}
