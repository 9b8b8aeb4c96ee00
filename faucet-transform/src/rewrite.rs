//! One pass over an object record that changes the fields a [`PathTree`]
//! names and copies every other field as its text; nested paths recurse
//! into the one nested object they go through, nothing else is parsed.

use faucet_core::Result;
use faucet_core::connector::{NestedRef, Record, ValueRef};
use faucet_core::record::ObjectWriter;

use crate::errors::{field_error, kind, not_an_object};
use crate::path::PathTree;

/// What an edit did with the field it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edited {
    /// Nothing: the field is copied as it is.
    Unchanged,
    /// The edit wrote the field's replacement (or nothing, to drop it).
    Written,
}

/// Called with an action, the field's key, its value (`None` for a field
/// that is missing, when missing fields are created) and the output.
pub(crate) type Edit<'e, A> =
    dyn FnMut(&A, &str, Option<&ValueRef<'_>>, &mut ObjectWriter) -> Result<Edited> + 'e;

/// Rewrites `record` by `tree`; `None` when nothing changed, so the caller
/// passes the record on as it is. With `create`, a path whose field is
/// missing is added (its edit gets `None`), creating the objects on its way.
pub(crate) fn rewrite<A>(
    record: &Record,
    tree: &PathTree<A>,
    create: bool,
    edit: &mut Edit<'_, A>,
) -> Result<Option<Record>> {
    let Some(fields) = record.fields() else {
        return Err(not_an_object(record));
    };
    let capacity = record.raw_json().map_or(128, |t| t.len() + 32);
    let mut out = ObjectWriter::with_capacity(capacity);
    let mut touched = false;
    let mut seen = vec![false; if create { tree.children.len() } else { 0 }];
    for field in fields {
        let (key, value) = field?;
        let Some(at) = tree.children.iter().position(|(k, _)| *k == key) else {
            out.field(&key, &value);
            continue;
        };
        if create {
            seen[at] = true;
        }
        let node = &tree.children[at].1;
        let edited = if let Some(action) = &node.action {
            edit(action, &key, Some(&value), &mut out)?
        } else if let ValueRef::Object(nested) = &value {
            match rewrite(&nested_record(nested)?, &node.below, create, edit)? {
                Some(inner) => {
                    out.raw(&key, &inner);
                    Edited::Written
                }
                None => Edited::Unchanged,
            }
        } else if create {
            return Err(field_error(
                &key,
                format!("is {}, not an object to add fields to", kind(&value)),
            ));
        } else {
            Edited::Unchanged
        };
        match edited {
            Edited::Unchanged => {
                out.field(&key, &value);
            }
            Edited::Written => touched = true,
        }
    }
    for (at, (key, node)) in tree.children.iter().enumerate() {
        if seen.get(at) != Some(&false) {
            continue;
        }
        touched = true;
        match &node.action {
            Some(action) => {
                edit(action, key, None, &mut out)?;
            }
            None => {
                let empty = ObjectWriter::new().finish();
                let inner = rewrite(&empty, &node.below, create, edit)?.unwrap_or(empty);
                out.raw(key, &inner);
            }
        }
    }
    Ok(touched.then(|| out.finish()))
}

/// A nested object as a record of its own, to walk its fields: its text is
/// copied (the one field a path goes through), never parsed into a tree.
pub(crate) fn nested_record(nested: &NestedRef<'_>) -> Result<Record> {
    match nested.raw_json() {
        Some(text) => Record::from_json(text.to_vec()),
        None => nested.to_value().map(Record::from_value),
    }
}

/// The JSON text (on one line) of the value at the path `tree` holds (one path),
/// `None` when the record lacks it; found by the same pass as an edit.
pub(crate) fn capture(record: &Record, tree: &PathTree<()>) -> Result<Option<Vec<u8>>> {
    let mut found = None;
    rewrite(record, tree, false, &mut |_, _, value, _| {
        if let Some(value) = value {
            let mut text = Vec::new();
            value.write_json(&mut text);
            found = Some(text);
        }
        Ok(Edited::Unchanged)
    })?;
    Ok(found)
}
