//! `dedupe`: passes the first record of each key and drops later ones,
//! within a run, keeping at most `max_keys` keys in memory.

use std::collections::HashSet;
use std::sync::Mutex;

use faucet_core::connector::*;

use crate::errors::not_an_object;
use crate::path::{PathTree, config_error, parse_paths};
use crate::rewrite::capture;

/// Config of [`DedupeTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct DedupeTransformConfig {
    /// The fields whose values together make a record's key, as paths.
    /// Values compare by their JSON text as received (`1` and `1.0`
    /// differ; so does whitespace inside an object or array); a missing
    /// field and `null` differ.
    pub keys: Vec<String>,
    /// How many distinct keys a run may hold; one more fails the run with
    /// an error naming this limit. Each key costs its text plus about 64
    /// bytes. Default: `1000000`.
    #[serde(default = "default_max_keys")]
    pub max_keys: usize,
}

fn default_max_keys() -> usize {
    1_000_000
}

/// Drops records whose key was seen before in this run. Keys live as long
/// as the transform (one run): a resumed run starts empty, so a duplicate
/// across a crash and its resume is passed.
#[derive(Debug)]
pub struct DedupeTransform {
    keys: Vec<PathTree<()>>,
    max_keys: usize,
    seen: Mutex<HashSet<Box<[u8]>>>,
}

impl DedupeTransform {
    /// Builds the transform; a bad path is an error at `keys[i]`, a limit
    /// of 0 one at `max_keys`.
    pub fn new(config: DedupeTransformConfig) -> Result<Self> {
        let keys = parse_paths(&config.keys, "keys")?
            .iter()
            .map(|path| {
                let mut tree = PathTree::default();
                tree.insert(path, ());
                tree
            })
            .collect();
        if config.max_keys == 0 {
            return Err(config_error("max_keys", "allow at least 1 key"));
        }
        Ok(Self {
            keys,
            max_keys: config.max_keys,
            seen: Mutex::new(HashSet::new()),
        })
    }

    /// The record's key: each value's JSON text, `\n`-separated (one-line
    /// JSON holds no line break), a missing one empty.
    fn key_of(&self, record: &Record) -> Result<Vec<u8>> {
        if !record.is_object() {
            return Err(not_an_object(record));
        }
        let mut key = Vec::new();
        for tree in &self.keys {
            if let Some(text) = capture(record, tree)? {
                key.extend_from_slice(&text);
            }
            key.push(b'\n');
        }
        Ok(key)
    }
}

impl Transform for DedupeTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let key = self.key_of(&record)?;
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(key.as_slice()) {
            return Ok(());
        }
        if seen.len() >= self.max_keys {
            return Err(config_error(
                "max_keys",
                format!(
                    "this run has {} distinct keys, the limit: raise `max_keys` or dedupe in the \
                     database",
                    self.max_keys
                ),
            ));
        }
        seen.insert(key.into_boxed_slice());
        out.push(record);
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(DedupeTransformConfig))
    }

    /// The input schema: kept records are passed on as they are.
    fn output_schema(&self, input: &Value) -> Value {
        input.clone()
    }

    fn name(&self) -> &str {
        "dedupe"
    }
}
