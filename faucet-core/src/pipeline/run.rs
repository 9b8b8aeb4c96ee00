//! The run loop: a producer feeding a bounded channel, a consumer
//! committing pages, checkpoints saved only behind durable rows.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::completion::Completion;
use super::per_stream::{PerStream, StreamGuard};
use super::report::{DeliveryGuarantee, ErrorSummary, Progress, Resume, RunReport};
use super::transforms::{Stage, StageCounts, run_stage};
use super::{NoopObserver, Observer, Pipeline, cut, resume};
use crate::error::{FaucetError, Result};
use crate::outcome::RunOutcome;
use crate::page::{Checkpoint, Page};
use crate::retries::RetryCounter;
use crate::sink::{CommitContext, Durability, Sink};
use crate::source::{Source, SourceContext};
use crate::streams::StreamSelection;
use crate::transform::OnError;

/// One execution of a pipeline.
pub(super) struct Run<'p, S, K> {
    pipeline: &'p Pipeline<S, K>,
    observer: &'p dyn Observer,
    started: Instant,
    progress: Progress,
    /// The last checkpoint known durable.
    durable: Option<Checkpoint>,
    /// A checkpoint the sink holds in an open transaction.
    pending: Option<Checkpoint>,
    /// Where the page now arriving starts: the checkpoint before it and how
    /// many of its records a resumed cut page already delivered. `None`
    /// after a page without a checkpoint (no resumable position).
    base: Option<(Option<Checkpoint>, u64)>,
    /// Records still to drop from the front of incoming pages, left by a
    /// run that stopped inside a page.
    skip: u64,
    /// Records in pages the sink holds uncommitted (`Durability::Buffered`).
    pending_records: u64,
    /// The source's latest checkpoint, for the completion marker.
    source_position: Option<Checkpoint>,
    /// Whether the completion marker went to the sink with the last page.
    marked_complete: bool,
    retries: RetryCounter,
    /// Records handed on after transforms, for the record limit (which
    /// counts what reaches the sink).
    delivered: u64,
    stage_counts: Arc<StageCounts>,
    per_stream: PerStream,
    guard: StreamGuard,
}

/// How the loop ended, and what the report needs from its start.
struct Ended {
    stop: Stop,
    exhausted: bool,
    resumed_from: Option<Checkpoint>,
    resume: Resume,
    guarantee: DeliveryGuarantee,
}

/// Why the consumer stopped taking pages.
enum Stop {
    /// The channel closed: the source ended or was cancelled.
    Drained,
    /// The record limit was reached.
    Limit,
    /// The source failed; the sink is healthy.
    SourceFailed(FaucetError),
    /// The sink (or the state store) failed.
    SinkFailed(FaucetError),
}

impl<'p, S: Source, K: Sink> Run<'p, S, K> {
    pub(super) fn new(pipeline: &'p Pipeline<S, K>) -> Self {
        static NOOP: NoopObserver = NoopObserver;
        Self {
            pipeline,
            observer: pipeline.observer.as_deref().unwrap_or(&NOOP),
            started: Instant::now(),
            progress: Progress::default(),
            durable: None,
            pending: None,
            base: Some((None, 0)),
            skip: 0,
            pending_records: 0,
            source_position: None,
            marked_complete: false,
            retries: RetryCounter::default(),
            delivered: 0,
            stage_counts: Arc::default(),
            per_stream: PerStream::default(),
            guard: StreamGuard::new(pipeline.sink.capabilities().streams, pipeline.sink.name()),
        }
    }

    /// Runs to the end; the report is produced whatever happens, with the
    /// error beside it.
    pub(super) async fn execute(mut self) -> (RunReport, Option<FaucetError>) {
        let p = self.pipeline;
        let guarantee = p.guarantee();
        if let Err(err) = check_dead_letters(p) {
            return self.refuse(err, guarantee);
        }
        let start = match resume::decide(p).await {
            Ok(start) => start,
            Err(err) => return self.refuse(err, guarantee),
        };
        let resumed_from = start.from;
        self.observer
            .on_start(&p.name, resumed_from.as_ref(), guarantee);
        self.durable = resumed_from.clone();
        let (source_resume, skip) = cut::split(resumed_from.clone());
        self.base = Some((source_resume.clone(), skip));
        self.source_position = source_resume.clone();
        self.skip = skip;

        // `stop` ends the producer early (limit, sink failure) without
        // cancelling the caller's token.
        let stop = p.cancel.child_token();
        // With transforms the pages in flight are split between the two
        // channels (source → transforms → sink), so a run holds about as
        // many pages as without transforms, not twice as many.
        let depth = match p.transforms.is_empty() {
            true => p.channel_depth,
            false => p.channel_depth.div_ceil(2).max(1),
        };
        let (tx, rx) = mpsc::channel(depth);
        let ctx = SourceContext::new()
            .with_resume(source_resume)
            .with_cancel(stop.clone())
            .with_retries(self.retries.clone())
            .with_streams(p.streams.clone());
        let producer = produce(&p.source, ctx, &p.streams, tx, stop.clone());
        // Transforms run on a task of their own between the two.
        let (rx, stage) = if p.transforms.is_empty() {
            (rx, None)
        } else {
            let (stage_tx, stage_rx) = mpsc::channel(depth);
            let stages: Arc<[Stage]> = p.transforms.clone().into();
            let stage = run_stage(stages, self.stage_counts.clone(), rx, stage_tx);
            // In the run's span, so transforms' log lines keep their run.
            let task = tokio::spawn(tracing::Instrument::in_current_span(stage));
            (stage_rx, Some(task))
        };
        let consumer = async {
            let stop_reason = self.consume(rx).await;
            stop.cancel();
            stop_reason
        };
        let (mut exhausted, stop_reason) = tokio::join!(producer, consumer);
        if let Some(task) = stage {
            // The stage forwards everything or the run did not complete.
            exhausted &= task.await.unwrap_or(false);
        }
        let ended = Ended {
            stop: stop_reason,
            exhausted,
            resumed_from,
            resume: start.resume,
            guarantee,
        };
        self.finish(ended).await
    }

    /// The report of a run that could not start.
    fn refuse(
        self,
        err: FaucetError,
        guarantee: DeliveryGuarantee,
    ) -> (RunReport, Option<FaucetError>) {
        let report = self.report(
            None,
            Resume::NotStarted,
            guarantee,
            RunOutcome::Failed,
            Some(&err),
        );
        self.observer.on_finish(&report);
        (report, Some(err))
    }

    async fn consume(&mut self, mut rx: mpsc::Receiver<Result<Page>>) -> Stop {
        while let Some(item) = rx.recv().await {
            if self.pipeline.cancel.is_cancelled() {
                // Stop at the page boundary: this page is not written, and
                // no checkpoint moves past it.
                return Stop::Drained;
            }
            let mut page = match item {
                Ok(page) => page,
                Err(err) => return Stop::SourceFailed(err),
            };
            self.drop_delivered(&mut page);
            if let Err(err) = self.guard.admit(&page) {
                // Nothing of this page was written: the pages before it
                // are flushed and checkpointed as after a source failure.
                return Stop::SourceFailed(err);
            }
            let limited = self.apply_limit(&mut page);
            if let Err(err) = self.commit(page).await {
                return Stop::SinkFailed(err);
            }
            if limited {
                return Stop::Limit;
            }
        }
        Stop::Drained
    }

    /// Drops records that a run stopped inside this page already delivered.
    fn drop_delivered(&mut self, page: &mut Page) {
        if self.skip > 0 {
            let n = self.skip.min(page.len() as u64);
            page.records_mut().drain(..n as usize);
            self.skip -= n;
        }
    }

    /// Cuts the page to the remaining record budget. The cut page's
    /// checkpoint becomes "the position before this page, minus the records
    /// already delivered" ([`cut`]), so a later run neither skips the
    /// records cut off nor repeats those written.
    fn apply_limit(&self, page: &mut Page) -> bool {
        let Some(limit) = self.pipeline.limit else {
            return false;
        };
        let remaining = limit.saturating_sub(self.delivered);
        if (page.len() as u64) < remaining {
            return false;
        }
        if (page.len() as u64) > remaining {
            page.records_mut().truncate(remaining as usize);
            let checkpoint = self
                .base
                .as_ref()
                .map(|(before, delivered)| cut::join(before.as_ref(), delivered + remaining));
            // A cut page does not end the read, even when it is the last.
            *page = std::mem::take(page)
                .with_checkpoint_opt(checkpoint)
                .ending_read(false);
        }
        true
    }

    async fn commit(&mut self, page: Page) -> Result<()> {
        self.progress.records_read += page.source_records();
        self.delivered += page.len() as u64;
        self.progress.bytes += page.bytes();
        PerStream::read(&mut self.progress, &page);
        if page.stream().is_none()
            && let Some(total) = page.expected_total()
        {
            let known = self.progress.expected_total.unwrap_or(0);
            self.progress.expected_total = Some(known.max(total));
        }
        if let Some(checkpoint) = page.checkpoint() {
            self.source_position = Some(checkpoint.clone());
        }
        self.base = page.checkpoint().map(|c| (Some(c.clone()), 0));
        let page = if page.ends_read() {
            // The source's last page: its rows and the completion marker
            // commit together.
            self.marked_complete = true;
            let marker = Completion::now(self.source_position.clone()).to_checkpoint();
            page.with_checkpoint(marker)
        } else {
            page
        };
        self.commit_page(page).await?;
        self.count_stage();
        self.progress.pages += 1;
        self.progress.elapsed = self.started.elapsed();
        self.observer.on_page(&self.progress);
        Ok(())
    }

    /// Hands `page` to the sink and moves the durable checkpoint and the
    /// committed count as far as the sink's answer allows.
    async fn commit_page(&mut self, mut page: Page) -> Result<()> {
        let p = self.pipeline;
        let ctx = CommitContext::new(p.name.clone(), self.progress.pages);
        let commit = p.sink.commit_page(&page, &ctx).await?;
        let written = commit.written as u64;
        self.progress.records_written += written;
        let committed = commit.durability != Durability::Buffered;
        self.per_stream
            .written(&mut self.progress, page.stream(), written, committed);
        match commit.durability {
            Durability::Buffered => self.pending_records += written,
            _ => self.commit_pending(written),
        }
        match (commit.durability, page.take_checkpoint()) {
            (Durability::Rows, Some(checkpoint)) => {
                if let Some(store) = &p.state {
                    store.save(&p.name, &checkpoint).await?;
                    self.mark_durable(checkpoint);
                }
            }
            (Durability::RowsAndCheckpoint, Some(checkpoint)) => {
                self.pending = None;
                self.mark_durable(checkpoint);
            }
            (Durability::Buffered, Some(checkpoint)) => self.pending = Some(checkpoint),
            (Durability::RowsAndCheckpoint, None) => {
                if let Some(pending) = self.pending.take() {
                    self.mark_durable(pending);
                }
            }
            (_, None) => {}
        }
        Ok(())
    }

    /// Counts the buffered records, and `more`, as committed.
    fn commit_pending(&mut self, more: u64) {
        self.progress.records_committed += self.pending_records + more;
        self.pending_records = 0;
    }

    /// Stores the completion marker after the source's last checkpoint, as
    /// one empty page, so the next run knows this one read to the end.
    async fn mark_complete(&mut self) -> Result<()> {
        let marker = Completion::now(self.source_position.clone()).to_checkpoint();
        self.commit_page(Page::new(Vec::new()).with_checkpoint(marker))
            .await
    }

    fn mark_durable(&mut self, checkpoint: Checkpoint) {
        self.observer.on_checkpoint(&checkpoint);
        self.durable = Some(checkpoint);
    }

    /// Flushes unless the sink failed, tells the sink how the run ended,
    /// and builds the report.
    async fn finish(mut self, ended: Ended) -> (RunReport, Option<FaucetError>) {
        let p = self.pipeline;
        let mut sink_healthy = !matches!(ended.stop, Stop::SinkFailed(_));
        let (mut outcome, mut error) = match ended.stop {
            Stop::Drained if ended.exhausted && !p.cancel.is_cancelled() => {
                (RunOutcome::Completed, None)
            }
            Stop::Drained => (RunOutcome::Cancelled, None),
            Stop::Limit => (RunOutcome::LimitReached, None),
            Stop::SourceFailed(err) => (RunOutcome::Failed, Some(err)),
            Stop::SinkFailed(err) => (RunOutcome::Failed, Some(err)),
        };
        if outcome == RunOutcome::Completed
            && !self.marked_complete
            && let Err(err) = self.mark_complete().await
        {
            outcome = RunOutcome::Failed;
            error = Some(err);
            sink_healthy = false;
        }
        if sink_healthy && let Err(err) = self.flush().await {
            outcome = RunOutcome::Failed;
            error.get_or_insert(err);
        }
        if let Err(err) = p.sink.finish(outcome).await {
            outcome = RunOutcome::Failed;
            error.get_or_insert(err);
        }
        self.progress.elapsed = self.started.elapsed();
        self.count_stage();
        self.progress.records_uncommitted = self
            .progress
            .records_written
            .saturating_sub(self.progress.records_committed);
        let report = self.report(
            ended.resumed_from,
            ended.resume,
            ended.guarantee,
            outcome,
            error.as_ref(),
        );
        self.observer.on_finish(&report);
        (report, error)
    }

    fn report(
        &self,
        resumed_from: Option<Checkpoint>,
        resume: Resume,
        guarantee: DeliveryGuarantee,
        outcome: RunOutcome,
        error: Option<&FaucetError>,
    ) -> RunReport {
        RunReport {
            pipeline: self.pipeline.name.clone(),
            progress: self.progress.clone(),
            resumed_from,
            resume,
            last_checkpoint: self.durable.clone(),
            guarantee,
            outcome,
            retries: self.retries.snapshot(),
            error: error.map(ErrorSummary::of),
        }
    }

    /// Copies the transform stage's counts into the progress.
    fn count_stage(&mut self) {
        let counts = &self.stage_counts;
        self.progress.records_skipped = counts.skipped.load(Ordering::Relaxed);
        self.progress.records_dead_lettered = counts.dead_lettered.load(Ordering::Relaxed);
    }

    async fn flush(&mut self) -> Result<()> {
        self.pipeline.sink.flush().await?;
        self.commit_pending(0);
        self.per_stream.commit(&mut self.progress);
        if let Some(pending) = self.pending.take() {
            self.mark_durable(pending);
        }
        Ok(())
    }
}

/// Refuses a transform with `on_error: dead_letter` before a sink that
/// keeps no dead letters: the records would be lost.
fn check_dead_letters<S: Source, K: Sink>(p: &Pipeline<S, K>) -> Result<()> {
    let Some(i) = p
        .transforms
        .iter()
        .position(|s| s.on_error == OnError::DeadLetter)
    else {
        return Ok(());
    };
    if p.sink.capabilities().dead_letters {
        return Ok(());
    }
    Err(FaucetError::config(
        format!("transforms[{i}].on_error"),
        format!(
            "`dead_letter` needs a sink that keeps dead letters (the PostgreSQL sink does); \
             `{}` does not: use `fail` or `skip`",
            p.sink.name()
        ),
    ))
}

/// Pulls pages from the source into the channel until the source ends
/// (returns `true`), fails, the consumer goes away, or `stop` is cancelled.
async fn produce<S: Source>(
    source: &S,
    ctx: SourceContext,
    selection: &StreamSelection,
    tx: mpsc::Sender<Result<Page>>,
    stop: CancellationToken,
) -> bool {
    let mut pages = source.stream_pages(ctx);
    // Each page waits for the next one: only then is it known whether it
    // is the last, which carries the completion marker, so the last rows
    // and the marker are durable together (a crash between the two would
    // leave the last page's checkpoint, which for many sources means
    // "start over", and the next run would append everything again).
    //
    // A page waits at most `HOLD_LAST`: a source that pauses between pages
    // (a gated or streaming one) still has each page delivered promptly,
    // and its marker, if its end comes later than that, is committed on a
    // page of its own as before.
    let mut held: Option<Page> = None;
    loop {
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => return false,
            next = pages.next() => next,
            () = tokio::time::sleep(HOLD_LAST), if held.is_some() => {
                // The next page is slow to come: deliver this one now.
                let page = held.take().expect("a page is held");
                if !send(&tx, &stop, Ok(page)).await {
                    return false;
                }
                continue;
            }
        };
        let (item, ends) = match next {
            None => match held.take() {
                Some(last) => (Ok(last.ending_read(true)), true),
                None => return true,
            },
            Some(Ok(mut page)) => {
                if !selection.selects(page.stream()) {
                    page = page.unselected();
                }
                match held.replace(page) {
                    Some(previous) => (Ok(previous), false),
                    None => continue,
                }
            }
            Some(Err(err)) => {
                if let Some(previous) = held.take()
                    && !send(&tx, &stop, Ok(previous)).await
                {
                    return false;
                }
                (Err(err), false)
            }
        };
        let failed = item.is_err();
        if !send(&tx, &stop, item).await || failed {
            return false;
        }
        if ends {
            return true;
        }
    }
}

/// How long a page waits for the next one before it is delivered without
/// knowing whether it is the last.
const HOLD_LAST: std::time::Duration = std::time::Duration::from_millis(250);

/// Sends one item to the consumer; `false` when it went away or `stop`
/// was cancelled first.
async fn send(
    tx: &mpsc::Sender<Result<Page>>,
    stop: &CancellationToken,
    item: Result<Page>,
) -> bool {
    tokio::select! {
        biased;
        () = stop.cancelled() => false,
        sent = tx.send(item) => sent.is_ok(),
    }
}
