//! The completion marker: the checkpoint a run stores when its source has
//! been read to the end, so the next run knows there is nothing to resume.
//!
//! Stored as `{"faucet_completed": {"at_unix": T, "checkpoint": C}}`, where
//! `C` is the source's last checkpoint (an incremental source continues
//! after it) or `null`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::page::Checkpoint;

const KEY: &str = "faucet_completed";

/// A run that read its source to the end, as its completion marker says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Completion {
    /// When the run completed, in seconds since the Unix epoch.
    pub at_unix: u64,
    /// The source's last checkpoint in that run, if it gave one: an
    /// incremental source continues after it.
    pub checkpoint: Option<Checkpoint>,
}

impl Completion {
    /// A completion now, after `checkpoint`.
    pub fn now(checkpoint: Option<Checkpoint>) -> Self {
        let at_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            at_unix,
            checkpoint,
        }
    }

    /// The marker as a checkpoint to store.
    pub fn to_checkpoint(&self) -> Checkpoint {
        let inner = self
            .checkpoint
            .as_ref()
            .map_or(Value::Null, |c| c.as_value().clone());
        Checkpoint::new(json!({ KEY: { "at_unix": self.at_unix, "checkpoint": inner } }))
    }

    /// Reads a stored checkpoint as a completion marker; `None` for any
    /// other checkpoint.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Option<Self> {
        let map: &Map<String, Value> = checkpoint.as_value().as_object()?;
        if map.len() != 1 {
            return None;
        }
        let marker = map.get(KEY)?.as_object()?;
        let at_unix = marker.get("at_unix").and_then(Value::as_u64).unwrap_or(0);
        let checkpoint = match marker.get("checkpoint") {
            None | Some(Value::Null) => None,
            Some(value) => Some(Checkpoint::new(value.clone())),
        };
        Some(Self {
            at_unix,
            checkpoint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_and_without_an_inner_checkpoint() {
        let inner = Checkpoint::new(json!({"updated_since": "2026-01-01"}));
        for checkpoint in [Some(inner), None] {
            let done = Completion {
                at_unix: 1_700_000_000,
                checkpoint,
            };
            assert_eq!(
                Completion::from_checkpoint(&done.to_checkpoint()),
                Some(done)
            );
        }
    }

    #[test]
    fn other_checkpoints_are_not_completions() {
        for value in [
            json!(null),
            json!({"page": 3}),
            json!({"faucet_completed": 1}),
        ] {
            assert_eq!(Completion::from_checkpoint(&Checkpoint::new(value)), None);
        }
        let extra = json!({"faucet_completed": {"at_unix": 1}, "cursor": "x"});
        assert_eq!(Completion::from_checkpoint(&Checkpoint::new(extra)), None);
    }
}
