//! Many streams in one pipeline: which streams a run reads, and the one
//! checkpoint that holds every stream's position.
//!
//! A source that reads several streams (an API's resources, a Singer tap's
//! streams) names each [`Page`](crate::Page)'s stream with
//! [`Page::with_stream`](crate::Page::with_stream). Its checkpoint stays
//! **one** value, stored by the sink atomically with the rows as for a
//! single stream; [`StreamStates`] is the conventional shape of that
//! value: a map from stream name to that stream's own checkpoint. The
//! source keeps the map, updates the entry of the stream a page belongs
//! to, and attaches the whole map to the page. Because pages reach the
//! sink in order, the map committed with a page holds, for every stream,
//! the position of that stream's last page at or before it, so a crash
//! resumes every stream exactly where it was.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{FaucetError, Result};
use crate::page::Checkpoint;

/// The key under which [`StreamStates`] keeps its map inside a checkpoint.
const STREAMS_KEY: &str = "streams";

/// Every stream's checkpoint, as one [`Checkpoint`]:
/// `{"streams": {"<name>": <checkpoint of that stream>, …}}`.
///
/// A stream with no entry has not started (or was reset).
///
/// ```
/// use faucet_core::{Checkpoint, StreamStates};
/// use serde_json::json;
///
/// let mut states = StreamStates::default();
/// states.set("orders", json!({ "page": 3 }));
/// let checkpoint = states.to_checkpoint();
/// assert_eq!(checkpoint.as_value(), &json!({ "streams": { "orders": { "page": 3 } } }));
///
/// let back = StreamStates::from_checkpoint(Some(&checkpoint)).unwrap();
/// assert_eq!(back.get("orders"), Some(&json!({ "page": 3 })));
/// assert_eq!(back.get("accounts"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStates {
    states: BTreeMap<String, Value>,
}

impl StreamStates {
    /// Reads the map back from a resumed checkpoint; `None` is an empty
    /// map (a first run).
    ///
    /// # Errors
    ///
    /// [`FaucetError::Config`] at `checkpoint` when the checkpoint is not of
    /// this shape (for example one stored by a single-stream version of the
    /// pipeline): resuming from it would guess.
    pub fn from_checkpoint(checkpoint: Option<&Checkpoint>) -> Result<Self> {
        let Some(checkpoint) = checkpoint else {
            return Ok(Self::default());
        };
        let streams = match checkpoint.as_value() {
            Value::Object(map) if map.len() == 1 => map.get(STREAMS_KEY),
            _ => None,
        };
        let Some(Value::Object(streams)) = streams else {
            return Err(FaucetError::config(
                "checkpoint",
                format!(
                    "the stored checkpoint {checkpoint} is not a per-stream checkpoint \
                     ({{\"streams\": {{…}}}}); it was stored by a pipeline reading one stream: \
                     run with --restart to read every stream from the beginning"
                ),
            ));
        };
        Ok(Self {
            states: streams
                .iter()
                .map(|(name, state)| (name.clone(), state.clone()))
                .collect(),
        })
    }

    /// The checkpoint of `stream`, if it has one.
    pub fn get(&self, stream: &str) -> Option<&Value> {
        self.states.get(stream)
    }

    /// Sets the checkpoint of `stream`.
    pub fn set(&mut self, stream: impl Into<String>, state: Value) {
        self.states.insert(stream.into(), state);
    }

    /// Forgets `stream`'s checkpoint (it starts from the beginning).
    pub fn remove(&mut self, stream: &str) -> Option<Value> {
        self.states.remove(stream)
    }

    /// Stream names with a checkpoint, in order.
    pub fn streams(&self) -> impl Iterator<Item = &str> {
        self.states.keys().map(String::as_str)
    }

    /// Whether no stream has a checkpoint.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The whole map as one checkpoint, to attach to a page.
    pub fn to_checkpoint(&self) -> Checkpoint {
        let streams: Map<String, Value> = self
            .states
            .iter()
            .map(|(name, state)| (name.clone(), state.clone()))
            .collect();
        let mut outer = Map::with_capacity(1);
        outer.insert(STREAMS_KEY.to_owned(), Value::Object(streams));
        Checkpoint::new(Value::Object(outer))
    }
}

/// Which streams a run writes: all of them, or those named.
///
/// Set on a pipeline with [`Pipeline::with_streams`](crate::Pipeline::with_streams)
/// and passed to the source in [`SourceContext::streams`](crate::SourceContext).
/// A source may skip reading a stream no selected stream needs; the
/// pipeline drops the records of pages whose stream is not selected (their
/// checkpoints still reach the sink), so a source that reads a parent
/// stream only to find its children's requests never writes the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSelection {
    names: Option<Arc<[String]>>,
}

impl StreamSelection {
    /// Every stream.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only the streams named.
    pub fn only(names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            names: Some(names.into_iter().map(Into::into).collect()),
        }
    }

    /// Whether a page of `stream` is written. A page without a stream name
    /// (a single-stream source) is always written.
    pub fn selects(&self, stream: Option<&str>) -> bool {
        match (&self.names, stream) {
            (Some(names), Some(stream)) => names.iter().any(|n| n == stream),
            _ => true,
        }
    }

    /// The names selected, or `None` for every stream.
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// Whether every stream is selected.
    pub fn is_all(&self) -> bool {
        self.names.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_single_stream_checkpoint_is_refused_with_the_way_out() {
        let old = Checkpoint::new(json!({ "page": 4 }));
        let err = StreamStates::from_checkpoint(Some(&old)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("checkpoint"), "{text}");
        assert!(text.contains("--restart"), "{text}");
        let two_keys = Checkpoint::new(json!({ "streams": {}, "page": 1 }));
        assert!(StreamStates::from_checkpoint(Some(&two_keys)).is_err());
    }

    #[test]
    fn states_round_trip_and_entries_are_independent() {
        let mut states = StreamStates::from_checkpoint(None).unwrap();
        assert!(states.is_empty());
        states.set("b", json!(2));
        states.set("a", json!({ "cursor": "x" }));
        states.set("b", json!(3));
        let back = StreamStates::from_checkpoint(Some(&states.to_checkpoint())).unwrap();
        assert_eq!(back, states);
        assert_eq!(back.streams().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(back.get("b"), Some(&json!(3)));
        let mut less = back.clone();
        assert_eq!(less.remove("a"), Some(json!({ "cursor": "x" })));
        assert_eq!(less.streams().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn a_selection_selects_named_streams_and_unnamed_pages() {
        let all = StreamSelection::all();
        assert!(all.is_all() && all.selects(Some("x")) && all.selects(None));
        let some = StreamSelection::only(["orders"]);
        assert!(some.selects(Some("orders")));
        assert!(!some.selects(Some("accounts")));
        assert!(some.selects(None));
        assert_eq!(some.names(), Some(&["orders".to_owned()][..]));
    }
}
