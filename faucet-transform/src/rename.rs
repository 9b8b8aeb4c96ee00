//! `rename`: gives fields new keys where they are (a nested path renames
//! the field inside its object); the field keeps its place and its text.

use std::collections::BTreeMap;

use faucet_core::connector::*;

use crate::path::{FieldPath, PathTree, config_error};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{
    Keywords, edit_paths, is_required, is_unknown, keep_root, property, put, remove, set_required,
    union,
};

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

    /// The renamed keys' schemas under their new keys; a new key that was a
    /// key already holds either value.
    fn output_schema(&self, input: &Value) -> Value {
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            rename_keys(m, actions);
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "rename"
    }
}

/// Renames the keys of one object schema, all at once, as a record's
/// fields are (`{a: b, b: a}` swaps them).
fn rename_keys(m: &mut Keywords, actions: &[(&str, &String)]) {
    let before = m.clone();
    let moves: Vec<(&str, &str)> = actions
        .iter()
        .filter(|(from, to)| from != to)
        .map(|(from, to)| (*from, to.as_str()))
        .collect();
    for (from, _) in &moves {
        remove(m, from);
    }
    let mut targets: Vec<&str> = Vec::new();
    for (_, to) in &moves {
        if !targets.contains(to) {
            targets.push(to);
        }
    }
    for to in targets {
        let sources: Vec<&str> = moves
            .iter()
            .filter(|(_, t)| *t == to)
            .map(|(from, _)| *from)
            .collect();
        let mut schemas: Vec<Value> = sources
            .iter()
            .filter_map(|f| property(&before, f))
            .collect();
        if schemas.is_empty() {
            continue;
        }
        // A key renamed away holds only what comes in. One that stays keeps
        // its value in a record without the old key; a key the schema does
        // not list (nor `additionalProperties` describe) is taken to be
        // absent, as a new name is.
        let moved_away = moves.iter().any(|(from, _)| *from == to);
        let listed = before
            .get("properties")
            .is_some_and(|p| p.get(to).is_some())
            || matches!(before.get("additionalProperties"), Some(Value::Object(_)));
        if !moved_away && listed {
            schemas.extend(property(&before, to));
        }
        let schema = union(schemas);
        let unknown_keys =
            !before.contains_key("properties") && !before.contains_key("patternProperties");
        if !(unknown_keys && is_unknown(&schema)) {
            put(m, to, schema);
        }
        if sources.iter().any(|f| is_required(&before, f)) {
            set_required(m, to, true);
        }
    }
}
