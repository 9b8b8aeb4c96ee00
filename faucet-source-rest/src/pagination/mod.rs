//! Pagination at run time: positions, per-partition state (what a
//! checkpoint holds), stop rules, and the producers that fetch pages.

mod chained;
mod fetch;
mod numbered;
mod signals;
mod task;

use std::sync::Arc;

use faucet_core::{Checkpoint, FaucetError, Record, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

pub(crate) use chained::run_chained;
pub(crate) use fetch::{RunCtx, fetch_page, start_page};
pub(crate) use numbered::run_numbered;
pub(crate) use task::Spawned;

use crate::config::RestStopRules;
use crate::incremental::start_value;
pub(crate) use crate::plan::Position;
use crate::plan::{PartitionPlan, Plan};

/// The partition a producer reads: its index (in messages and logs) and
/// the fixed parts of its requests.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) index: usize,
    pub(crate) partition: Arc<PartitionPlan>,
}

impl Target {
    /// Partition `index` of `plan`.
    pub(crate) fn of(plan: &Plan, index: usize) -> Self {
        Self {
            index,
            partition: plan.partitions[index].clone(),
        }
    }
}

/// What every request and producer of a source shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    pub(crate) client: faucet_common_http::HttpClient,
}

/// One partition's progress: what a checkpoint stores per partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartitionState {
    /// The next request (meaningless once `done`).
    pub(crate) position: Position,
    /// The partition has no more pages in this run.
    #[serde(default)]
    pub(crate) done: bool,
    /// The incremental start value this run sends (kept so a resumed run
    /// sends the same one and offsets stay valid).
    #[serde(default)]
    pub(crate) since: Option<Value>,
    /// Whether records whose key equals `since` are kept.
    #[serde(default)]
    pub(crate) since_inclusive: bool,
    /// The largest replication key seen.
    #[serde(default)]
    pub(crate) max: Option<Value>,
    /// Records received in this pass (before the incremental filter);
    /// `None` in a checkpoint that did not count them.
    #[serde(default)]
    pub(crate) read: Option<u64>,
    /// The total number of records the API announced in this pass.
    #[serde(default)]
    pub(crate) total: Option<u64>,
}

/// The checkpoint document.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    partitions: Vec<PartitionState>,
}

/// The checkpoint for `states`: `null` once a full-refresh run is
/// complete (the next run starts over), otherwise every partition's state.
pub(crate) fn checkpoint(states: &[PartitionState], incremental: bool) -> Checkpoint {
    if !incremental && states.iter().all(|s| s.done) {
        return Checkpoint::new(Value::Null);
    }
    Checkpoint::new(serde_json::json!({ "partitions": states }))
}

/// A partition's state at the start of a pass: from the first page,
/// after `max` (the last pass's largest replication key) when
/// incremental.
pub(crate) fn fresh_state(plan: &Plan, max: Option<Value>) -> Result<PartitionState> {
    let (since, since_inclusive) = match (&plan.incremental, &max) {
        (Some(inc), Some(m)) => (
            Some(start_value(m, inc.lookback_secs, inc.format)?),
            inc.lookback_secs > 0,
        ),
        (Some(inc), None) => (inc.start.clone(), true),
        (None, _) => (None, false),
    };
    Ok(PartitionState {
        position: Position::Start,
        done: false,
        since,
        since_inclusive,
        max,
        read: Some(0),
        total: None,
    })
}

/// The partition states a checkpoint holds, as stored (done or not).
pub(crate) fn stored_states(plan: &Plan, value: &Value) -> Result<Vec<PartitionState>> {
    let n = plan.partitions.len();
    let stored: Stored = serde_json::from_value(value.clone()).map_err(|e| {
        FaucetError::source_error(format!(
            "checkpoint {value} was not written by the REST source ({e}); clear the pipeline's state to start over"
        ))
    })?;
    if stored.partitions.len() != n {
        return Err(FaucetError::source_error(format!(
            "checkpoint holds {} partitions but the config has {n}; clear the pipeline's state to start over",
            stored.partitions.len()
        )));
    }
    Ok(stored.partitions)
}

/// Where each partition starts: from the checkpoint of an unfinished run,
/// or afresh (after the last run's maximum key, when incremental).
pub(crate) fn initial_states(
    plan: &Plan,
    resume: Option<&Checkpoint>,
) -> Result<Vec<PartitionState>> {
    let Some(value) = resume.map(Checkpoint::as_value).filter(|v| !v.is_null()) else {
        return (0..plan.partitions.len())
            .map(|_| fresh_state(plan, None))
            .collect();
    };
    let stored = stored_states(plan, value)?;
    if stored.iter().all(|p| p.done) {
        stored
            .into_iter()
            .map(|p| fresh_state(plan, p.max))
            .collect()
    } else {
        Ok(stored)
    }
}

/// A page from one partition, with that partition's state after it.
#[derive(Debug)]
pub(crate) struct PartPage {
    /// The page's URL, redacted (empty for the page that only ends a
    /// partition).
    pub(crate) url: String,
    pub(crate) records: Vec<Record>,
    pub(crate) bytes: u64,
    pub(crate) state: PartitionState,
}

/// What producers send: the partition index and a page or the error
/// that stopped it.
pub(crate) type Message = (usize, Result<PartPage>);

/// Sends a page; `false` when nobody listens any more.
pub(crate) async fn emit(tx: &mpsc::Sender<Message>, part: usize, page: PartPage) -> bool {
    tx.send((part, Ok(page))).await.is_ok()
}

/// What is known about one page, for the stop rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageFacts {
    /// Records in the response (before the incremental filter).
    pub(crate) received: usize,
    /// The configured page size, if any.
    pub(crate) size: Option<u64>,
    /// The `has_more` flag, if read.
    pub(crate) has_more: Option<bool>,
    /// Whether the total (records or pages) is reached with this page.
    pub(crate) total_reached: bool,
    /// Pages read in this run by this partition, this one included.
    pub(crate) pages_read: u64,
}

/// Why pagination ends after this page, if it does.
pub(crate) fn stop_reason(stop: &RestStopRules, facts: PageFacts) -> Option<&'static str> {
    if stop.empty_page && facts.received == 0 {
        Some("empty page")
    } else if stop.short_page && facts.size.is_some_and(|s| (facts.received as u64) < s) {
        Some("short page")
    } else if facts.has_more == Some(false) {
        Some("has_more is false")
    } else if facts.total_reached {
        Some("total reached")
    } else if stop.max_pages.is_some_and(|m| facts.pages_read >= m) {
        Some("max_pages reached")
    } else {
        None
    }
}

/// Raises `state.max` to `candidate` when it is newer.
pub(crate) fn raise_max(state: &mut PartitionState, candidate: Option<Value>) {
    if let Some(c) = candidate
        && state
            .max
            .as_ref()
            .is_none_or(|m| crate::incremental::newer(&c, m))
    {
        state.max = Some(c);
    }
}

/// Ends the partition with an empty page that marks it done.
pub(crate) async fn finish(
    tx: &mpsc::Sender<Message>,
    part: usize,
    mut state: PartitionState,
) -> Result<()> {
    state.done = true;
    emit(
        tx,
        part,
        PartPage {
            url: String::new(),
            records: Vec::new(),
            bytes: 0,
            state,
        },
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_rules_apply_in_order() {
        let facts = PageFacts {
            received: 10,
            size: Some(100),
            has_more: None,
            total_reached: false,
            pages_read: 1,
        };
        let rules = RestStopRules::default();
        assert_eq!(stop_reason(&rules, facts), None);
        assert_eq!(
            stop_reason(
                &rules,
                PageFacts {
                    received: 0,
                    ..facts
                }
            ),
            Some("empty page")
        );
        let short = RestStopRules {
            short_page: true,
            ..RestStopRules::default()
        };
        assert_eq!(stop_reason(&short, facts), Some("short page"));
        assert_eq!(
            stop_reason(
                &rules,
                PageFacts {
                    has_more: Some(false),
                    ..facts
                }
            ),
            Some("has_more is false")
        );
        let max = RestStopRules {
            max_pages: Some(1),
            ..RestStopRules::default()
        };
        assert_eq!(stop_reason(&max, facts), Some("max_pages reached"));
    }

    #[test]
    fn finished_full_refresh_checkpoints_are_null() {
        let done = PartitionState {
            position: Position::Page(3),
            done: true,
            since: None,
            since_inclusive: false,
            max: None,
            read: Some(0),
            total: None,
        };
        assert_eq!(
            checkpoint(std::slice::from_ref(&done), false).as_value(),
            &Value::Null
        );
        let cp = checkpoint(&[done], true);
        assert_eq!(cp.as_value()["partitions"][0]["done"], true);
    }
}
