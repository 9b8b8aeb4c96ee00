//! `rename`: gives fields new keys where they are (a nested path renames
//! the field inside its object); the field keeps its place and its text.

use std::collections::BTreeMap;

use faucet_core::connector::*;

use crate::path::{FieldPath, PathTree, config_error};
use crate::rewrite::{Edited, rewrite};

/// Config of [`RenameTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct RenameTransformConfig {
    /// Old path → new key: `{createdAt: created_at, user.firstName:
    /// first_name}`. The new key replaces the last key of the path, in the
    /// same object, taken as written (a dot in it is part of the key).
    /// Fields a record lacks are ignored.
    pub fields: BTreeMap<String, String>,
}

/// Renames the configured fields of each record.
#[derive(Debug)]
pub struct RenameTransform {
    tree: PathTree<String>,
}

impl RenameTransform {
    /// Builds the transform; a bad path or an empty new key is an error at
    /// `fields.<old>`.
    pub fn new(config: RenameTransformConfig) -> Result<Self> {
        if config.fields.is_empty() {
            return Err(config_error("fields", "name at least one field"));
        }
        let mut tree = PathTree::default();
        for (from, to) in &config.fields {
            let at = format!("fields.{from}");
            let path = FieldPath::parse(from, &at)?;
            if to.is_empty() {
                return Err(config_error(&at, "the new key is empty"));
            }
            tree.insert(&path, to.clone());
        }
        Ok(Self { tree })
    }
}

impl Transform for RenameTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let changed = rewrite(&record, &self.tree, false, &mut |to, key, value, out| {
            if to == key {
                return Ok(Edited::Unchanged);
            }
            if let Some(value) = value {
                out.field(to, value);
            }
            Ok(Edited::Written)
        })?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(RenameTransformConfig))
    }

    fn name(&self) -> &str {
        "rename"
    }
}
