//! A many-stream run: which resources it reads, where each starts, and
//! the pages it gives, each naming its stream and carrying every stream's
//! state.

use std::collections::VecDeque;
use std::sync::Arc;

use faucet_core::connector::*;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::Resources;
use super::selection::Now;
use super::state::{StreamState, Tracker};
use super::walk::{Item, ParentWork, Pending, Walk, Work, read_roots};
use crate::pagination::{RunCtx, Spawned, Target};

/// Which resources a run reads: those `selection` names and their
/// ancestors. Unknown names are a config error at `streams`.
pub(crate) fn needed(resources: &Resources, selection: &StreamSelection) -> Result<Vec<bool>> {
    let Some(names) = selection.names() else {
        return Ok(vec![true; resources.list.len()]);
    };
    let mut needed = vec![false; resources.list.len()];
    for name in names {
        let Some(i) = resources.list.iter().position(|r| *r.name == **name) else {
            return Err(FaucetError::config(
                "streams",
                format!(
                    "unknown stream `{name}`; this source reads: {}",
                    resources.names()
                ),
            ));
        };
        needed[i] = true;
        for a in resources.ancestors(i) {
            needed[a] = true;
        }
    }
    Ok(needed)
}

/// The work left for child `c` (and, for the parent in progress, its own
/// children), from the tracker of a resumed run.
fn pending(resources: &Resources, tracker: &Tracker, c: usize) -> VecDeque<ParentWork> {
    let Some(child) = tracker.child(c) else {
        return VecDeque::new();
    };
    child
        .parents
        .iter()
        .enumerate()
        .map(|(k, values)| ParentWork {
            values: values.clone(),
            resumed: match (&child.current, k) {
                (Some(state), 0) => Some((state.clone(), children_pending(resources, tracker, c))),
                _ => None,
            },
        })
        .collect()
}

fn children_pending(resources: &Resources, tracker: &Tracker, r: usize) -> Vec<Pending> {
    resources.list[r]
        .children
        .iter()
        .filter(|&&c| tracker.states[c].is_some())
        .map(|&c| Pending {
            child: c,
            parents: pending(resources, tracker, c),
        })
        .collect()
}

/// The run's state: the items still to come, the tracker, and whether the
/// last item changed the state without a page.
struct Merge {
    rx: mpsc::Receiver<Result<Item>>,
    driver: Spawned<()>,
    tracker: Tracker,
    resources: Arc<Resources>,
    /// The last page's stream, for the final page.
    last_stream: Arc<str>,
    unsent: bool,
    finished: bool,
}

impl Merge {
    /// The page for `item`, if it has one.
    fn take(&mut self, item: Item) -> Option<Page> {
        match item {
            Item::ParentDone { resource } => {
                self.tracker.parent_done(&self.resources, resource);
                self.unsent = true;
                None
            }
            Item::Page {
                resource,
                page,
                kids,
            } => {
                let page = *page;
                let total = page.state.total;
                self.tracker
                    .page(&self.resources, resource, page.state, &kids);
                let name = self.resources.list[resource].name.clone();
                let root = self.resources.list[resource].parent.is_none();
                let mut out = Page::new(page.records)
                    .with_stream(name.clone())
                    .with_checkpoint(self.tracker.checkpoint())
                    .with_bytes(page.bytes);
                if let (Some(total), true) = (total, root) {
                    out = out.with_expected_total(total);
                }
                self.last_stream = name;
                self.unsent = false;
                Some(out)
            }
        }
    }

    /// The next page, the error that ends the run, or the final state.
    async fn next(&mut self) -> Option<Result<Page>> {
        if self.finished {
            return None;
        }
        while let Some(item) = self.rx.recv().await {
            match item {
                Err(err) => {
                    self.finished = true;
                    return Some(Err(err));
                }
                Ok(item) => {
                    if let Some(page) = self.take(item) {
                        return Some(Ok(page));
                    }
                }
            }
        }
        self.finished = true;
        if let Err(err) = (&mut self.driver).await {
            return Some(Err(err));
        }
        // Changes after the last page (its parent finished) go out on an
        // empty page, so the stored checkpoint says the pass is done.
        self.unsent.then(|| {
            Ok(Page::new(Vec::new())
                .with_stream(self.last_stream.clone())
                .with_checkpoint(self.tracker.checkpoint()))
        })
    }
}

fn start(resources: &Arc<Resources>, ctx: &SourceContext) -> Result<Merge> {
    let needed = needed(resources, &ctx.streams)?;
    let selected: Vec<bool> = resources
        .list
        .iter()
        .map(|r| ctx.streams.selects(Some(&r.name)))
        .collect();
    let now = Now {
        needed: &needed,
        selected: &selected,
    };
    let tracker = Tracker::start(resources, &now, ctx.resume_from.as_ref())?;
    let start_keys = (0..resources.list.len())
        .map(|c| tracker.child(c).map(|s| s.keys.clone()).unwrap_or_default())
        .collect();
    let roots = resources
        .roots()
        .filter_map(|r| match &tracker.states[r] {
            Some(StreamState::Root(state)) => Some(Work {
                resource: r,
                target: Target::of(&resources.list[r].shared.plan, 0),
                parent: None,
                state: state.clone(),
                before: children_pending(resources, &tracker, r),
            }),
            _ => None,
        })
        .collect();
    let walk = Arc::new(Walk {
        resources: resources.clone(),
        needed,
        run: RunCtx {
            cancel: ctx.cancel.clone(),
            retries: ctx.retries().clone(),
        },
        start_keys,
    });
    let (tx, rx) = mpsc::channel(2);
    let last_stream = resources.list[0].name.clone();
    Ok(Merge {
        rx,
        driver: Spawned::new(read_roots(walk, roots, tx)),
        tracker,
        resources: resources.clone(),
        last_stream,
        // A run with nothing to read still stores where every stream is.
        unsent: true,
        finished: false,
    })
}

/// The pages of a many-stream run, in order.
pub(crate) fn stream_pages(resources: &Arc<Resources>, ctx: SourceContext) -> PageStream<'static> {
    match start(resources, &ctx) {
        Err(err) => futures::stream::once(async { Err(err) }).boxed(),
        Ok(merge) => futures::stream::unfold(merge, |mut m| async move {
            let next = m.next().await?;
            Some((next, m))
        })
        .boxed(),
    }
}
