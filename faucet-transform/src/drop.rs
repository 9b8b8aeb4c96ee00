//! `drop`: removes the named fields (nested paths remove a field of a
//! nested object); a record that has none of them passes as it is.

use faucet_core::connector::*;

use crate::path::{FieldPath, PathTree, parse_paths};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{edit_paths, keep_root, remove};

/// Config of [`DropTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct DropTransformConfig {
    /// The fields to remove, as paths (`password`, `user.ssn`; a dot inside
    /// a key is written `\.`). Fields a record lacks are ignored.
    pub fields: Vec<String>,
}

/// Removes the configured fields of each record.
#[derive(Debug)]
pub struct DropTransform {
    tree: PathTree<FieldPath>,
}

impl DropTransform {
    /// Builds the transform; a bad path is an error at `fields[i]`.
    pub fn new(config: DropTransformConfig) -> Result<Self> {
        let mut tree = PathTree::default();
        for path in parse_paths(&config.fields, "fields")? {
            tree.insert(&path, path.clone());
        }
        Ok(Self { tree })
    }
}

impl Transform for DropTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let changed = rewrite(&record, &self.tree, false, &mut |_, _, _, _| {
            Ok(Edited::Written)
        })?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(DropTransformConfig))
    }

    /// The input schema without the dropped keys (nested ones inside their
    /// object's schema).
    fn output_schema(&self, input: &Value) -> Value {
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            for (key, _) in actions {
                remove(m, key);
            }
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "drop"
    }
}
