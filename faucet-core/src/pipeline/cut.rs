//! Checkpoints inside a page: a run stopped by a record limit in the middle
//! of a page stores "resume at the checkpoint before this page, and drop the
//! first `skip` records", so the next run neither loses the records cut off
//! nor repeats the ones written. This relies on the source serving the same
//! page again in the same order, as paginated APIs do for stable data.

use serde_json::{Map, Value};

use crate::page::Checkpoint;

const RESUME: &str = "faucet_resume_after";
const SKIP: &str = "faucet_skip_records";

/// The checkpoint of a page cut after `skip` of its records, the page
/// having started after `before`.
pub(super) fn join(before: Option<&Checkpoint>, skip: u64) -> Checkpoint {
    let mut map = Map::new();
    if let Some(before) = before {
        map.insert(RESUME.to_owned(), before.as_value().clone());
    }
    map.insert(SKIP.to_owned(), Value::from(skip));
    Checkpoint::new(Value::Object(map))
}

/// Splits a stored checkpoint into what the source resumes from and how
/// many records to drop. Checkpoints that [`join`] did not make pass
/// through with nothing to drop.
pub(super) fn split(checkpoint: Option<Checkpoint>) -> (Option<Checkpoint>, u64) {
    let Some(checkpoint) = checkpoint else {
        return (None, 0);
    };
    let value = checkpoint.as_value();
    let Some(map) = value.as_object() else {
        return (Some(checkpoint), 0);
    };
    let skip = map.get(SKIP).and_then(Value::as_u64);
    let only_ours = map.keys().all(|k| k == RESUME || k == SKIP);
    match skip {
        Some(skip) if only_ours => (map.get(RESUME).cloned().map(Checkpoint::new), skip),
        _ => (Some(checkpoint), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_with_and_without_a_position() {
        let before = Checkpoint::new(json!({"page": 3}));
        assert_eq!(split(Some(join(Some(&before), 7))), (Some(before), 7));
        assert_eq!(split(Some(join(None, 4))), (None, 4));
    }

    #[test]
    fn other_checkpoints_pass_through() {
        let plain = Checkpoint::new(json!({"faucet_skip_records": 2, "cursor": "x"}));
        assert_eq!(split(Some(plain.clone())), (Some(plain), 0));
        assert_eq!(
            split(Some(Checkpoint::new(Value::Null))),
            (Some(Checkpoint::new(Value::Null)), 0)
        );
    }
}
