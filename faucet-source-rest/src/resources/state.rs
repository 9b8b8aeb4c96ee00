//! Every stream's state, as the one checkpoint of a run
//! ([`StreamStates`]: `{"streams": {"<name>": <entry>}}`).
//!
//! - A **root** resource's entry is the single-stream checkpoint shape:
//!   `{"partitions": [<partition state>]}` (position, done, the
//!   incremental start and maximum, records read and announced).
//! - A **child** resource's entry ([`ChildState`]) holds `parents`: the
//!   records of the parent stream's last page whose children are not all
//!   read yet (the values the child needs of each), in page order;
//!   `current`: the partition state of the first of them, once its
//!   children are being read; and, when incremental, `keys`: the largest
//!   replication key read for each parent, by the parent's child path
//!   (`/accounts/7/orders`). Parents before those pending are done: they
//!   are on the parent stream's pages before its position.
//!
//! A stream read only for its children (not selected) has `"written":
//! false` in its entry; [`selection`](super::selection) uses it to refuse a
//! resume whose selection would skip records or write some twice.
//!
//! A pass ends when every stream it reads is done; resuming from a
//! finished pass starts the next one (roots from the start, or after their
//! largest key; children after each parent's key).

use std::collections::{BTreeMap, VecDeque};

use faucet_core::{Checkpoint, FaucetError, Result, StreamStates};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Resources;
use super::selection::{Now, Stored, check_new_pass, check_unfinished};
use crate::pagination::{PartitionState, fresh_state, stored_states};
use crate::plan::ParentValues;

/// A child stream's checkpoint entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChildState {
    /// Parent records whose children are not all read, in page order.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub(crate) parents: VecDeque<ParentValues>,
    /// The partition state of the first pending parent, once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current: Option<PartitionState>,
    /// Incremental: the largest replication key read for each parent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) keys: BTreeMap<String, Value>,
}

/// One stream's state during a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StreamState {
    /// A root resource: its only partition.
    Root(PartitionState),
    /// A child resource.
    Child(ChildState),
}

/// The states of the streams a run reads, and the checkpoint map.
#[derive(Debug)]
pub(crate) struct Tracker {
    /// By resource; `None` for the streams this run does not read.
    pub(crate) states: Vec<Option<StreamState>>,
    /// The checkpoint map (streams not read keep their entries).
    map: StreamStates,
    /// By resource: whether this run writes it (it is selected).
    selected: Vec<bool>,
}

/// The key of an entry that says its stream was read, not written.
const WRITTEN: &str = "written";

/// An entry without its `written` flag, and the flag (`true` when absent).
fn split_written(value: &Value) -> (Value, bool) {
    let mut value = value.clone();
    let written = match value.as_object_mut().and_then(|o| o.remove(WRITTEN)) {
        Some(flag) => flag != Value::Bool(false),
        None => true,
    };
    (value, written)
}

fn unreadable(name: &str, e: impl std::fmt::Display) -> FaucetError {
    FaucetError::source_error(format!(
        "the checkpoint entry of stream `{name}` was not written by this REST source ({e}); run with --restart to read every stream from the beginning"
    ))
}

/// Whether a stream's stored state makes a new pass start after a
/// replication key.
fn carries_key(state: Option<&StreamState>) -> bool {
    match state {
        Some(StreamState::Root(root)) => root.max.is_some(),
        Some(StreamState::Child(child)) => !child.keys.is_empty(),
        None => false,
    }
}

impl Tracker {
    /// The streams' states at the start of a run reading the `needed`
    /// resources and writing the `selected` ones, resuming after `resume`.
    pub(crate) fn start(
        resources: &Resources,
        now: &Now<'_>,
        resume: Option<&Checkpoint>,
    ) -> Result<Self> {
        let map = StreamStates::from_checkpoint(resume)?;
        let mut written = vec![true; resources.list.len()];
        let stored = resources
            .list
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let Some(value) = map.get(&r.name) else {
                    return Ok(None);
                };
                let (value, was_written) = split_written(value);
                written[i] = was_written;
                Ok(Some(match r.parent {
                    None => {
                        let mut parts = stored_states(&r.shared.plan, &value)
                            .map_err(|e| unreadable(&r.name, e))?;
                        StreamState::Root(parts.remove(0))
                    }
                    Some(_) => StreamState::Child(
                        serde_json::from_value(value).map_err(|e| unreadable(&r.name, e))?,
                    ),
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        let done = done_flags(resources, &stored);
        let present: Vec<bool> = stored.iter().map(Option::is_some).collect();
        let new_pass = (0..stored.len()).all(|i| !present[i] || done[i]);
        let keyed: Vec<bool> = stored.iter().map(|s| carries_key(s.as_ref())).collect();
        let before = Stored {
            present: &present,
            keyed: &keyed,
            written: &written,
            done: &done,
        };
        if new_pass {
            check_new_pass(resources, &before, now)?;
        } else {
            check_unfinished(resources, &before, now)?;
        }
        let needed = now.needed;
        let mut tracker = Self {
            states: vec![None; resources.list.len()],
            map,
            selected: now.selected.to_vec(),
        };
        for (i, r) in resources.list.iter().enumerate() {
            if !needed[i] {
                continue;
            }
            let state = match (stored[i].clone(), r.parent) {
                (Some(state), _) if !new_pass => state,
                (Some(StreamState::Root(last)), None) => {
                    StreamState::Root(fresh_state(&r.shared.plan, last.max)?)
                }
                (None, None) => StreamState::Root(fresh_state(&r.shared.plan, None)?),
                (Some(StreamState::Child(last)), Some(_)) => StreamState::Child(ChildState {
                    keys: last.keys,
                    ..ChildState::default()
                }),
                _ => StreamState::Child(ChildState::default()),
            };
            tracker.states[i] = Some(state);
            tracker.store(resources, i);
        }
        Ok(tracker)
    }

    /// Writes stream `i`'s entry into the map.
    fn store(&mut self, resources: &Resources, i: usize) {
        let mut value = match &self.states[i] {
            Some(StreamState::Root(state)) => serde_json::json!({ "partitions": [state] }),
            Some(StreamState::Child(child)) => serde_json::to_value(child).unwrap_or(Value::Null),
            None => return,
        };
        if let (false, Some(entry)) = (self.selected[i], value.as_object_mut()) {
            entry.insert(WRITTEN.to_owned(), Value::Bool(false));
        }
        self.map.set(&*resources.list[i].name, value);
    }

    /// Takes in a page of stream `r` with its partition state after it,
    /// giving each child in `kids` the page's records as pending parents.
    pub(crate) fn page(
        &mut self,
        resources: &Resources,
        r: usize,
        state: PartitionState,
        kids: &[(usize, Vec<ParentValues>)],
    ) {
        match &mut self.states[r] {
            Some(StreamState::Root(root)) => *root = state,
            Some(StreamState::Child(child)) => child.current = Some(state),
            None => {}
        }
        self.store(resources, r);
        for (c, parents) in kids {
            if let Some(StreamState::Child(child)) = &mut self.states[*c] {
                child.parents = parents.iter().cloned().collect();
                child.current = None;
            }
            self.store(resources, *c);
        }
    }

    /// Takes in that child stream `c` has read every page of its first
    /// pending parent: keeps its largest key (when incremental).
    pub(crate) fn parent_done(&mut self, resources: &Resources, c: usize) {
        let resource = &resources.list[c];
        if let Some(StreamState::Child(child)) = &mut self.states[c] {
            let current = child.current.take();
            if let (Some(values), Some(link)) = (child.parents.pop_front(), &resource.link)
                && let Some(max) = current.and_then(|s| s.max)
                && resource.incremental()
            {
                child.keys.insert(link.requests.key(&values), max);
            }
        }
        self.store(resources, c);
    }

    /// The checkpoint holding every stream's state.
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        self.map.to_checkpoint()
    }

    /// Child `c`'s state, if this run reads it.
    pub(crate) fn child(&self, c: usize) -> Option<&ChildState> {
        match &self.states[c] {
            Some(StreamState::Child(child)) => Some(child),
            _ => None,
        }
    }
}

/// Whether each stored stream is done: a root when its partition is, a
/// child when nothing is pending and its parent is done. Streams without
/// an entry count as done.
fn done_flags(resources: &Resources, stored: &[Option<StreamState>]) -> Vec<bool> {
    let own = |i: usize| match &stored[i] {
        None => true,
        Some(StreamState::Root(state)) => state.done,
        Some(StreamState::Child(child)) => child.parents.is_empty() && child.current.is_none(),
    };
    (0..stored.len())
        .map(|i| own(i) && resources.ancestors(i).all(own))
        .collect()
}
