//! The producers of a many-stream run: each unit of [`Work`] reads one
//! partition of a resource (a root's, or a child's for one parent record)
//! on a task of its own and, after each page, the children of the page's
//! records. Work for several parents runs at once, but its items are
//! forwarded strictly in parent order, so the items reach the run in the
//! order a one-at-a-time reading gives.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use faucet_core::{FaucetError, Result};
use serde_json::Value;
use tokio::sync::mpsc;

use super::Resources;
use super::parents::{PageOrigin, parent_values, with_parent_fields};
use crate::pagination::{
    PartPage, PartitionState, RunCtx, Spawned, Target, fresh_state, run_chained, run_numbered,
};
use crate::plan::{Paging, ParentValues};

/// What the producers tell the run, in delivery order.
#[derive(Debug)]
pub(crate) enum Item {
    /// A page of `resource` (its records with the parent's fields added),
    /// and the parents it gives each child resource read in this run.
    Page {
        resource: usize,
        page: Box<PartPage>,
        kids: Vec<(usize, Vec<ParentValues>)>,
    },
    /// Child `resource` has read every page for its first pending parent.
    ParentDone { resource: usize },
}

/// What one run's producers share.
#[derive(Debug)]
pub(crate) struct Walk {
    pub(crate) resources: Arc<Resources>,
    /// The resources this run reads: those selected and their ancestors.
    pub(crate) needed: Vec<bool>,
    pub(crate) run: RunCtx,
    /// Per child resource, the largest key of each parent at the start.
    pub(crate) start_keys: Vec<BTreeMap<String, Value>>,
}

/// Items a unit of work may have produced and not yet forwarded. A
/// parent waiting for its turn reads this many pages of its children
/// ahead (with a few more in the channels behind), so its turn, when it
/// comes, seldom waits for the API; memory stays bounded by
/// `parent_concurrency` × this many pages per level of resources.
const DEPTH: usize = 8;

/// One partition to read, and the children's work left from before a
/// resume, to finish first.
#[derive(Debug)]
pub(crate) struct Work {
    pub(crate) resource: usize,
    pub(crate) target: Target,
    /// The parent's values, for a child.
    pub(crate) parent: Option<ParentValues>,
    pub(crate) state: PartitionState,
    pub(crate) before: Vec<Pending>,
}

/// Parents whose children `child` has still to read.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) child: usize,
    pub(crate) parents: VecDeque<ParentWork>,
}

/// One parent's children to read: from the start, or from where an
/// interrupted run was (its partition state and its own children's work).
#[derive(Debug)]
pub(crate) struct ParentWork {
    pub(crate) values: ParentValues,
    pub(crate) resumed: Option<(PartitionState, Vec<Pending>)>,
}

/// Why a producer stopped early: a failure to report, or nobody listens.
enum Halt {
    Failed(FaucetError),
    Gone,
}

impl From<FaucetError> for Halt {
    fn from(err: FaucetError) -> Self {
        Self::Failed(err)
    }
}

type Flow = std::result::Result<(), Halt>;

/// A unit of work running on its own task.
pub(crate) struct Running {
    pub(crate) rx: mpsc::Receiver<Result<Item>>,
    pub(crate) task: Spawned<()>,
}

/// Starts `work` on a task of its own; its items (and its error, last)
/// arrive in [`Running::rx`].
pub(crate) fn spawn(walk: &Arc<Walk>, work: Work) -> Running {
    let (tx, rx) = mpsc::channel(DEPTH);
    let walk = walk.clone();
    let task = Spawned::new(async move {
        if let Err(Halt::Failed(err)) = read(&walk, work, &tx).await {
            let _ = tx.send(Err(err)).await;
        }
    });
    Running { rx, task }
}

async fn send(tx: &mpsc::Sender<Result<Item>>, item: Item) -> Flow {
    tx.send(Ok(item)).await.map_err(|_| Halt::Gone)
}

/// Forwards every item of `running` to `tx`, then checks the task ended
/// well (a task that panicked ends its channel too).
async fn forward(mut running: Running, tx: &mpsc::Sender<Result<Item>>) -> Flow {
    while let Some(item) = running.rx.recv().await {
        send(tx, item?).await?;
    }
    (&mut running.task).await?;
    Ok(())
}

/// Runs `works` with up to `at_once` of them in flight, forwarding their
/// items in order; after each, `done` (a child's [`Item::ParentDone`]).
async fn ordered(
    walk: &Arc<Walk>,
    works: impl IntoIterator<Item = Result<Work>>,
    at_once: usize,
    done: Option<usize>,
    tx: &mpsc::Sender<Result<Item>>,
) -> Flow {
    let mut works = works.into_iter();
    let mut running = VecDeque::new();
    loop {
        while running.len() < at_once.max(1) {
            let Some(work) = works.next() else { break };
            running.push_back(spawn(walk, work?));
        }
        let Some(next) = running.pop_front() else {
            return Ok(());
        };
        forward(next, tx).await?;
        if let Some(resource) = done {
            send(tx, Item::ParentDone { resource }).await?;
        }
    }
}

/// Reads the roots, in config order, forwarding every item to `tx`.
pub(crate) async fn read_roots(walk: Arc<Walk>, roots: Vec<Work>, tx: mpsc::Sender<Result<Item>>) {
    let n = roots.len();
    if let Err(Halt::Failed(err)) = ordered(&walk, roots.into_iter().map(Ok), n, None, &tx).await {
        let _ = tx.send(Err(err)).await;
    }
}

/// The children's work, in order: each child resource, its parents in
/// page order.
async fn children(
    walk: &Arc<Walk>,
    pending: Vec<Pending>,
    tx: &mpsc::Sender<Result<Item>>,
) -> Flow {
    for Pending { child, parents } in pending {
        let Some(link) = &walk.resources.list[child].link else {
            continue;
        };
        let works = parents.into_iter().map(|p| child_work(walk, child, p));
        ordered(walk, works, link.concurrency, Some(child), tx).await?;
    }
    Ok(())
}

/// The work reading `child` for one parent.
fn child_work(walk: &Walk, child: usize, parent: ParentWork) -> Result<Work> {
    let resource = &walk.resources.list[child];
    let link = resource
        .link
        .as_ref()
        .ok_or_else(|| FaucetError::source_error("a child resource without a parent link"))?;
    let partition = link.requests.partition(&parent.values)?;
    let (state, before) = match parent.resumed {
        Some(resumed) => resumed,
        None => {
            let key = link.requests.key(&parent.values);
            let max = walk.start_keys[child].get(&key).cloned();
            (fresh_state(&resource.shared.plan, max)?, Vec::new())
        }
    };
    Ok(Work {
        resource: child,
        target: Target {
            index: 0,
            partition,
        },
        parent: Some(parent.values),
        state,
        before,
    })
}

/// Reads one partition, and the children of each of its pages.
async fn read(walk: &Arc<Walk>, work: Work, tx: &mpsc::Sender<Result<Item>>) -> Flow {
    children(walk, work.before, tx).await?;
    if work.state.done {
        return Ok(());
    }
    let resource = &walk.resources.list[work.resource];
    let shared = resource.shared.clone();
    let (pages_tx, mut pages) = mpsc::channel(DEPTH);
    let (target, state, run) = (work.target, work.state, walk.run.clone());
    let runner = if matches!(
        shared.plan.paging,
        Paging::Page { .. } | Paging::Offset { .. }
    ) {
        Spawned::new(run_numbered(shared, target, state, pages_tx, run))
    } else {
        Spawned::new(run_chained(shared, target, state, pages_tx, run))
    };
    while let Some((_, page)) = pages.recv().await {
        let mut page = page?;
        if let (Some(link), Some(values)) = (&resource.link, &work.parent) {
            let records = std::mem::take(&mut page.records);
            page.records = with_parent_fields(link, values, records, &page.url)?;
        }
        let origin = PageOrigin {
            stream: &resource.name,
            url: &page.url,
        };
        let mut kids = Vec::new();
        for &c in resource.children.iter().filter(|&&c| walk.needed[c]) {
            let child = &walk.resources.list[c];
            if let Some(link) = &child.link {
                kids.push((c, parent_values(link, &child.name, &page.records, &origin)?));
            }
        }
        let pending = kids
            .iter()
            .map(|(c, values)| Pending {
                child: *c,
                parents: values
                    .iter()
                    .map(|v| ParentWork {
                        values: v.clone(),
                        resumed: None,
                    })
                    .collect(),
            })
            .collect();
        send(
            tx,
            Item::Page {
                resource: work.resource,
                page: Box::new(page),
                kids,
            },
        )
        .await?;
        children(walk, pending, tx).await?;
    }
    runner.await?;
    Ok(())
}
