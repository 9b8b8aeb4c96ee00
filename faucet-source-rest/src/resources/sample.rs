//! `check` and `discover` of a many-stream source: the first page of
//! every resource, a child's read for the first record of its parent's
//! first page.

use std::collections::VecDeque;

use faucet_core::schema::infer_schema;
use faucet_core::{CheckReport, FaucetError, Record, Result, StreamInfo};

use super::Resources;
use super::parents::{PageOrigin, parent_values, with_parent_fields};
use crate::pagination::{Position, RunCtx, Target, fetch_page, fresh_state};

/// What reading a resource's first page gave.
pub(crate) enum Sample {
    /// Its records.
    Read(Vec<Record>),
    /// The request failed.
    Failed(FaucetError),
    /// Not read: why (its parent has no record, or failed).
    Skipped(String),
}

/// Resources in an order where every parent comes before its children.
fn parents_first(resources: &Resources) -> Vec<usize> {
    let mut order = Vec::with_capacity(resources.list.len());
    let mut queue: VecDeque<usize> = resources.roots().collect();
    while let Some(r) = queue.pop_front() {
        order.push(r);
        queue.extend(resources.list[r].children.iter().copied());
    }
    order
}

/// The first page of every resource, by resource index.
pub(crate) async fn samples(resources: &Resources) -> Vec<Sample> {
    let mut out: Vec<Option<Sample>> = (0..resources.list.len()).map(|_| None).collect();
    for r in parents_first(resources) {
        let sample = match resources.list[r].parent {
            None => read_first(resources, r, None).await,
            Some(p) => match &out[p] {
                Some(Sample::Read(records)) if !records.is_empty() => {
                    match first_parent(resources, p, r, &records[..1]) {
                        Ok(values) => read_first(resources, r, Some(values)).await,
                        Err(err) => Sample::Failed(err),
                    }
                }
                Some(Sample::Read(_)) => Sample::Skipped(format!(
                    "`{}` has no record on its first page to read it for",
                    resources.list[p].name
                )),
                _ => Sample::Skipped(format!("`{}` was not read", resources.list[p].name)),
            },
        };
        out[r] = Some(sample);
    }
    out.into_iter()
        .map(|s| s.unwrap_or_else(|| Sample::Skipped("not reachable from a root".into())))
        .collect()
}

fn first_parent(
    resources: &Resources,
    parent: usize,
    child: usize,
    records: &[Record],
) -> Result<crate::plan::ParentValues> {
    let resource = &resources.list[child];
    let link = resource
        .link
        .as_ref()
        .ok_or_else(|| FaucetError::source_error("a child resource without a parent link"))?;
    let origin = PageOrigin {
        stream: &resources.list[parent].name,
        url: "its first page",
    };
    let mut values = parent_values(link, &resource.name, records, &origin)?;
    values
        .pop()
        .ok_or_else(|| FaucetError::source_error("no parent record"))
}

async fn read_first(
    resources: &Resources,
    r: usize,
    parent: Option<crate::plan::ParentValues>,
) -> Sample {
    let resource = &resources.list[r];
    let plan = &resource.shared.plan;
    let read = async {
        let target = match (&parent, &resource.link) {
            (Some(values), Some(link)) => Target {
                index: 0,
                partition: link.requests.partition(values)?,
            },
            _ => Target::of(plan, 0),
        };
        let state = fresh_state(plan, None)?;
        let page = fetch_page(
            &resource.shared,
            &target,
            &Position::Start,
            &state,
            &RunCtx::default(),
        )
        .await?;
        match (&parent, &resource.link) {
            (Some(values), Some(link)) => with_parent_fields(link, values, page.records, &page.url),
            _ => Ok(page.records),
        }
    };
    match read.await {
        Ok(records) => Sample::Read(records),
        Err(err) => Sample::Failed(err),
    }
}

/// Every resource as a stream: schema from its first page.
pub(crate) async fn discover(resources: &Resources) -> Result<Vec<StreamInfo>> {
    let samples = samples(resources).await;
    resources
        .list
        .iter()
        .zip(samples)
        .map(|(resource, sample)| {
            let schema = match sample {
                Sample::Read(records) => infer_schema(&records),
                Sample::Skipped(_) => infer_schema(&[]),
                Sample::Failed(err) => return Err(err),
            };
            let mut info = StreamInfo::new(&*resource.name, schema)
                .with_primary_key(resource.primary_key.iter().cloned());
            if let Some(inc) = &resource.shared.plan.incremental {
                info = info.with_replication_key(inc.replication_key.clone());
            }
            if let Some(p) = resource.parent {
                info = info.with_parent(&*resources.list[p].name);
            }
            Ok(info)
        })
        .collect()
}

/// `reachable` and `authorised` from the first root's first page, then
/// `records (<name>)` for every resource.
pub(crate) async fn check(resources: &Resources) -> CheckReport {
    let samples = samples(resources).await;
    let mut report = CheckReport::new();
    let first = resources.roots().next().unwrap_or(0);
    match &samples[first] {
        Sample::Failed(err @ (FaucetError::Transport { .. } | FaucetError::RateLimited { .. })) => {
            report.fail("reachable", err.to_string());
            report.skip("authorised", "not reachable");
        }
        Sample::Failed(
            err @ (FaucetError::Auth { .. }
            | FaucetError::Http {
                status: 401 | 403, ..
            }),
        ) => {
            report.pass("reachable").fail("authorised", err.to_string());
        }
        _ => {
            report.pass("reachable").pass("authorised");
        }
    }
    for (resource, sample) in resources.list.iter().zip(&samples) {
        let item = format!("records ({})", resource.name);
        match sample {
            Sample::Read(_) => report.pass(item),
            Sample::Failed(err) => report.fail(item, err.to_string()),
            Sample::Skipped(why) => report.skip(item, why.clone()),
        };
    }
    report
}
