//! `redact`: replaces the values of the named fields with a mask.

use faucet_core::connector::*;

use crate::path::{PathTree, parse_paths};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{edit_paths, keep_root, redact_schema, replace};

/// Config of [`RedactTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct RedactTransformConfig {
    /// The fields to mask, as paths. A `null` stays `null`; any other value
    /// (objects and arrays whole) becomes the mask. Fields a record lacks
    /// are ignored.
    pub fields: Vec<String>,
    /// The string that replaces each value. Default: `"***"`.
    #[serde(default = "default_mask")]
    pub mask: String,
}

fn default_mask() -> String {
    "***".to_owned()
}

/// Masks the configured fields of each record.
#[derive(Debug)]
pub struct RedactTransform {
    tree: PathTree<()>,
    mask: Value,
}

impl RedactTransform {
    /// Builds the transform; a bad path is an error at `fields[i]`.
    pub fn new(config: RedactTransformConfig) -> Result<Self> {
        let mut tree = PathTree::default();
        for path in parse_paths(&config.fields, "fields")? {
            tree.insert(&path, ());
        }
        Ok(Self {
            tree,
            mask: Value::String(config.mask),
        })
    }
}

impl Transform for RedactTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let changed = rewrite(
            &record,
            &self.tree,
            false,
            &mut |_, key, value, out| match value {
                None | Some(ValueRef::Null) => Ok(Edited::Unchanged),
                Some(ValueRef::String(s)) if Some(s.as_ref()) == self.mask.as_str() => {
                    Ok(Edited::Unchanged)
                }
                Some(_) => {
                    out.value(key, &self.mask);
                    Ok(Edited::Written)
                }
            },
        )?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(RedactTransformConfig))
    }

    /// The masked fields become the mask (`null` where the input allows
    /// `null`).
    fn output_schema(&self, input: &Value) -> Value {
        let mask = self.mask.as_str().unwrap_or_default();
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            for (key, _) in actions {
                replace(m, key, |s| redact_schema(mask, s));
            }
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "redact"
    }
}
