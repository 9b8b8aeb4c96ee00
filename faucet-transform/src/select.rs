//! `select`: keeps only the named fields (nested paths keep the named
//! fields of a nested object), in the order the record has them.

use faucet_core::connector::*;
use faucet_core::record::ObjectWriter;

use crate::errors::not_an_object;
use crate::path::{PathTree, parse_paths};
use faucet_core::record::RawFields;

use crate::rewrite::{Runs, nested_record};
use crate::schema::{keep_root, select_schema};

/// Config of [`SelectTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct SelectTransformConfig {
    /// The fields to keep, as paths (`id`, `user.email`; a dot inside a key
    /// is written `\.`). Fields a record lacks are left out of it.
    pub fields: Vec<String>,
}

/// Keeps only the configured fields of each record; a record that has
/// no other field is passed on as it is.
#[derive(Debug)]
pub struct SelectTransform {
    tree: PathTree<()>,
}

impl SelectTransform {
    /// Builds the transform; a bad path is an error at `fields[i]`.
    pub fn new(config: SelectTransformConfig) -> Result<Self> {
        let mut tree = PathTree::default();
        for path in parse_paths(&config.fields, "fields")? {
            tree.insert(&path, ());
        }
        Ok(Self { tree })
    }
}

/// The selected fields of `record`, `None` when that is all of them.
fn select(record: &Record, tree: &PathTree<()>) -> Result<Option<Record>> {
    if let Some(fields) = record.raw_fields() {
        return select_text(record, fields, tree);
    }
    let Some(fields) = record.fields() else {
        return Err(not_an_object(record));
    };
    let mut out = ObjectWriter::with_capacity(record.raw_json().map_or(128, |t| t.len() + 2));
    let mut dropped = false;
    for field in fields {
        let (key, value) = field?;
        match tree.get(&key) {
            None => dropped = true,
            Some(node) if node.action.is_some() => {
                out.field(&key, &value);
            }
            Some(node) => match &value {
                ValueRef::Object(nested) => match select(&nested_record(nested)?, &node.below)? {
                    Some(inner) => {
                        dropped = true;
                        out.raw(&key, &inner);
                    }
                    None => {
                        out.field(&key, &value);
                    }
                },
                // `a.b` of an `a` that is not an object: nothing to keep.
                _ => dropped = true,
            },
        }
    }
    Ok(dropped.then(|| out.finish()))
}

/// [`select`] of a text record: kept fields are copied in runs, and a
/// record that keeps them all is not written at all.
fn select_text(
    record: &Record,
    fields: RawFields<'_>,
    tree: &PathTree<()>,
) -> Result<Option<Record>> {
    let mut out = Runs::new(record);
    let mut dropped = false;
    let mut next = 0;
    for field in fields {
        match tree
            .find_field(&field, &mut next)?
            .map(|at| &tree.children[at].1)
        {
            None => {
                // Ends the run kept so far.
                out.writer();
                dropped = true;
            }
            Some(node) if node.action.is_some() => out.keep(field),
            Some(node) => match field.value()? {
                ValueRef::Object(nested) => match select(&nested_record(&nested)?, &node.below)? {
                    Some(inner) => {
                        dropped = true;
                        out.writer().raw(&field.key()?, &inner);
                    }
                    None => out.keep(field),
                },
                _ => {
                    out.writer();
                    dropped = true;
                }
            },
        }
    }
    Ok(dropped.then(|| out.finish()))
}

impl Transform for SelectTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        match select(&record, &self.tree)? {
            Some(selected) => out.push(selected),
            None => out.push(record),
        }
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(SelectTransformConfig))
    }

    /// An object of the selected keys only, each with its schema in the
    /// input (unknown where the input does not tell); a nested path keeps
    /// the named keys of its object.
    fn output_schema(&self, input: &Value) -> Value {
        keep_root(input, select_schema(input, &self.tree))
    }

    fn name(&self) -> &str {
        "select"
    }
}
