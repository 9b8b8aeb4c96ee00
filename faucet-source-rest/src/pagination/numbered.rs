//! Page-number and offset pagination: `concurrency` pages in flight,
//! delivered in order, speculative pages past the end discarded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use faucet_core::{FaucetError, Result};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{
    Message, PageFacts, PartPage, PartitionState, Position, RunCtx, Shared, Target, emit, finish,
    raise_max, signals, start_page, stop_reason, task::Spawned,
};
use crate::extract::Decoded;
use crate::plan::Paging;

/// Runs one partition to its end, sending pages to `tx`.
pub(crate) async fn run_numbered(
    shared: Arc<Shared>,
    target: Target,
    state: PartitionState,
    tx: mpsc::Sender<Message>,
    run: RunCtx,
) {
    if let Err(err) = drive(&shared, &target, state, &tx, &run).await {
        let _ = tx.send((target.index, Err(err))).await;
    }
}

/// The arithmetic of one numbered style.
struct Steps {
    is_page: bool,
    /// The first page number / offset of the API.
    origin: u64,
    /// Where this run starts.
    first: u64,
    /// Position increment per page.
    step: u64,
    /// Records per page, when known.
    size: Option<u64>,
}

impl Steps {
    fn new(paging: &Paging, position: &Position) -> Self {
        match (paging, position) {
            (Paging::Page { start, size, .. }, pos) => Self {
                is_page: true,
                origin: *start,
                first: if let Position::Page(p) = pos {
                    *p
                } else {
                    *start
                },
                step: 1,
                size: *size,
            },
            (Paging::Offset { start, limit, .. }, pos) => Self {
                is_page: false,
                origin: *start,
                first: if let Position::Offset(o) = pos {
                    *o
                } else {
                    *start
                },
                step: *limit,
                size: Some(*limit),
            },
            _ => unreachable!("run_numbered is only used for page and offset pagination"),
        }
    }

    fn position(&self, p: u64) -> Position {
        if self.is_page {
            Position::Page(p)
        } else {
            Position::Offset(p)
        }
    }

    /// Records before position `p`, when known.
    fn records_before(&self, p: u64) -> Option<u64> {
        if self.is_page {
            self.size.map(|s| (p - self.origin) * s)
        } else {
            Some(p)
        }
    }

    /// The first position past the end, from a total record or page count.
    fn bound(&self, total: Option<u64>, total_pages: Option<u64>) -> Option<u64> {
        let from_pages = total_pages.map(|tp| {
            if self.is_page {
                self.origin + tp
            } else {
                tp * self.step
            }
        });
        let from_total = total.and_then(|t| match (self.is_page, self.size) {
            (true, Some(s)) => Some(self.origin + t.div_ceil(s)),
            (true, None) => None,
            (false, _) => Some(t),
        });
        match (from_pages, from_total) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What the pages read so far tell about the end.
#[derive(Debug, Default)]
struct Tracker {
    total: Option<u64>,
    total_pages: Option<u64>,
    last_body: Option<bytes::Bytes>,
    pages_read: u64,
    /// Offset of a short, non-empty offset page (more after it means the
    /// API caps the page size below `limit`).
    short_at: Option<u64>,
}

impl Tracker {
    /// Takes in page `p`; `None` when it repeats the previous body.
    fn observe(&mut self, steps: &Steps, p: u64, decoded: &Decoded) -> Result<Option<PageFacts>> {
        self.pages_read += 1;
        if decoded.received > 0 && self.last_body.as_ref() == Some(&decoded.body) {
            return Ok(None);
        }
        self.last_body = Some(decoded.body.clone());
        self.total = self.total.or(decoded.total);
        self.total_pages = self.total_pages.or(decoded.total_pages);
        let n = decoded.received as u64;
        if !steps.is_page {
            if let (Some(at), true) = (self.short_at, n > 0) {
                return Err(FaucetError::source_error(format!(
                    "offset pagination: the API returned fewer records than `pagination.limit` ({}) at offset {at} but more after it, so records were skipped; set `pagination.limit` to the API's largest page size",
                    steps.step
                )));
            }
            if n > 0 && n < steps.step {
                self.short_at = Some(p);
            }
        }
        let total_reached = steps
            .records_before(p)
            .zip(self.total)
            .is_some_and(|(b, t)| b + n >= t)
            || self
                .total_pages
                .is_some_and(|tp| steps.is_page && p + 1 - steps.origin >= tp);
        Ok(Some(PageFacts {
            received: decoded.received,
            size: steps.size,
            has_more: decoded.has_more,
            total_reached,
            pages_read: self.pages_read,
        }))
    }
}

async fn drive(
    shared: &Arc<Shared>,
    target: &Target,
    mut state: PartitionState,
    tx: &mpsc::Sender<Message>,
    run: &RunCtx,
) -> Result<()> {
    let part = target.index;
    let steps = Arc::new(Steps::new(&shared.plan.paging, &state.position));
    let stop = &shared.plan.stop;
    let max_pages_bound = stop.max_pages.map_or(u64::MAX, |m| {
        steps.first.saturating_add(m.saturating_mul(steps.step))
    });
    let bound = Arc::new(AtomicU64::new(max_pages_bound));
    let positions = futures::stream::unfold(steps.first, {
        let (bound, step) = (bound.clone(), steps.step);
        move |p| {
            let more = p < bound.load(Ordering::Acquire);
            async move { more.then_some((p, p + step)) }
        }
    });
    let snapshot = state.clone();
    let concurrency = shared.plan.concurrency;
    // Stage 1 keeps `concurrency` fetches in flight; stage 2 waits for each
    // page's decoding in order while the next fetch already runs.
    let mut pages = Box::pin(
        positions
            .map(|p| {
                let (shared, snapshot, run, steps, target) = (
                    shared.clone(),
                    snapshot.clone(),
                    run.clone(),
                    steps.clone(),
                    target.clone(),
                );
                // Spawned, so a fetch finishes (and frees its permit) even
                // while this partition waits for its pages to be taken.
                Spawned::new(async move {
                    let position = steps.position(p);
                    let decoding = start_page(&shared, &target, &position, &snapshot, &run).await?;
                    Ok::<_, FaucetError>((p, decoding))
                })
            })
            .buffered(concurrency)
            .map(|started| async move {
                let (p, decoding) = started??;
                let decoded = Spawned::new(decoding.finish()).await??;
                Ok::<_, FaucetError>((p, decoded))
            })
            .buffered(2),
    );
    let mut tracker = Tracker::default();
    let mut last_url = String::new();
    while let Some(item) = pages.next().await {
        let (p, decoded) = item?;
        last_url.clone_from(&decoded.url);
        let Some(facts) = tracker.observe(&steps, p, &decoded)? else {
            signals::repeated(&shared.plan, &state, &decoded, "the previous page's body")?;
            if let (true, Some(tp)) = (steps.is_page, tracker.total_pages) {
                let why = "the previous page's body again";
                signals::reconcile_pages(&shared.plan, p - steps.origin, tp, &decoded.url, why)?;
            }
            tracing::warn!(
                partition = part,
                position = p,
                "Same page body twice in a row; ending pagination"
            );
            return finish(tx, part, state).await;
        };
        if let Some(b) = steps.bound(tracker.total, tracker.total_pages) {
            bound.fetch_min(b, Ordering::AcqRel);
        }
        let reason = stop_reason(stop, facts);
        signals::count(&mut state, &decoded);
        if let Some(why) = reason {
            signals::reconcile(&shared.plan, &state, &decoded.url, why)?;
            if let (true, Some(tp)) = (steps.is_page, tracker.total_pages) {
                let read_pages = p + 1 - steps.origin;
                signals::reconcile_pages(&shared.plan, read_pages, tp, &decoded.url, why)?;
            }
        }
        state.position = steps.position(p + steps.step);
        state.done = reason.is_some();
        raise_max(&mut state, decoded.max_key);
        let page = PartPage {
            url: decoded.url,
            records: decoded.records,
            bytes: decoded.bytes,
            state: state.clone(),
        };
        if !emit(tx, part, page).await {
            return Ok(());
        }
        if let Some(reason) = reason {
            tracing::debug!(partition = part, reason, "Pagination ended");
            return Ok(());
        }
    }
    let why = if tracker.total.is_some() || tracker.total_pages.is_some() {
        "total reached"
    } else {
        "max_pages reached"
    };
    signals::reconcile(&shared.plan, &state, &last_url, why)?;
    finish(tx, part, state).await
}
