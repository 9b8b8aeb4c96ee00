//! `explode`: one record per element of an array field, each with the
//! parent's other fields and the element in the array's place.

use faucet_core::bytes::Bytes;
use faucet_core::connector::*;
use faucet_core::serde_json::value::RawValue;

use crate::errors::field_error;
use crate::path::{FieldPath, PathTree};
use crate::rewrite::{Edited, capture, rewrite};
use crate::schema::{
    edit_paths, element_of, keep_root, may_be, property, replace, set_required, union,
};

/// Config of [`ExplodeTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct ExplodeTransformConfig {
    /// The array field, as a path (`items`, `order.lines`). Each output has
    /// one element in its place.
    pub field: String,
    /// What to do with a record whose field is an empty array, `null` or
    /// missing: `true` passes it on as it is, `false` drops it.
    /// Default: `true`.
    #[serde(default = "default_keep_empty")]
    pub keep_empty: bool,
}

fn default_keep_empty() -> bool {
    true
}

/// Splits each record into one per element of an array field.
#[derive(Debug)]
pub struct ExplodeTransform {
    path: FieldPath,
    tree: PathTree<()>,
    keep_empty: bool,
}

impl ExplodeTransform {
    /// Builds the transform; a bad path is an error at `field`.
    pub fn new(config: ExplodeTransformConfig) -> Result<Self> {
        let path = FieldPath::parse(&config.field, "field")?;
        let mut tree = PathTree::default();
        tree.insert(&path, ());
        Ok(Self {
            path,
            tree,
            keep_empty: config.keep_empty,
        })
    }
}

impl Transform for ExplodeTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let array = match capture(&record, &self.tree)? {
            Some(text) if text.first() == Some(&b'[') => Bytes::from(text),
            None => return self.empty(record, out),
            Some(text) if text == b"null" => return self.empty(record, out),
            Some(text) => {
                let kind = match text.first() {
                    Some(b'{') => "an object",
                    Some(b'"') => "a string",
                    Some(b't' | b'f') => "a boolean",
                    _ => "a number",
                };
                return Err(field_error(
                    self.path.as_str(),
                    format!("is {kind}, not an array"),
                ));
            }
        };
        let elements: Vec<&RawValue> = faucet_core::serde_json::from_slice(&array)
            .map_err(|_| field_error(self.path.as_str(), "is not a readable array"))?;
        if elements.is_empty() {
            return self.empty(record, out);
        }
        for element in elements {
            let element = Record::from_raw(&array, element);
            let exploded = rewrite(&record, &self.tree, false, &mut |_, key, _, out| {
                out.raw(key, &element);
                Ok(Edited::Written)
            })?;
            out.extend(exploded);
        }
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(ExplodeTransformConfig))
    }

    /// The array's element schema in the array's place, parent fields
    /// kept; with `keep_empty`, also the empty array and `null` the input
    /// allows.
    fn output_schema(&self, input: &Value) -> Value {
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            for (key, _) in actions {
                let Some(schema) = property(m, key) else {
                    continue;
                };
                let mut options: Vec<Value> = element_of(&schema).into_iter().collect();
                if self.keep_empty {
                    if may_be(&schema, "array") {
                        options.push(json!({ "type": "array", "maxItems": 0 }));
                    }
                    if may_be(&schema, "null") {
                        options.push(json!({ "type": "null" }));
                    }
                } else {
                    // A record without elements is dropped.
                    set_required(m, key, true);
                }
                let exploded = union(options);
                replace(m, key, |_| exploded);
            }
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "explode"
    }
}

impl ExplodeTransform {
    fn empty(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        if self.keep_empty {
            out.push(record);
        }
        Ok(())
    }
}
