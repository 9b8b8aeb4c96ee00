//! One pass over an object record that changes the fields a [`PathTree`]
//! names and copies every other field as its text; nested paths recurse
//! into the one nested object they go through, nothing else is parsed.
//!
//! A text record's unchanged fields are copied in runs: the text from the
//! first to the last of consecutive fields in one step, their values never
//! read. A record the transform does not change is passed on as it is,
//! and nothing is written for it.

use faucet_core::Result;
use faucet_core::connector::{NestedRef, Record, ValueRef};
use faucet_core::record::{FieldRun, ObjectWriter, RawField, RawFields};

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
    if let Some(fields) = record.raw_fields() {
        return rewrite_text(record, fields, tree, create, edit);
    }
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
    touched |= add_missing(tree, &seen, create, edit, &mut out)?;
    Ok(touched.then(|| out.finish()))
}

/// Adds the paths of `tree` the record lacked (`seen[i]` false), creating
/// the objects on their way; whether it added any.
fn add_missing<A>(
    tree: &PathTree<A>,
    seen: &[bool],
    create: bool,
    edit: &mut Edit<'_, A>,
    out: &mut ObjectWriter,
) -> Result<bool> {
    let mut added = false;
    for (at, (key, node)) in tree.children.iter().enumerate() {
        if seen.get(at) != Some(&false) {
            continue;
        }
        added = true;
        match &node.action {
            Some(action) => {
                edit(action, key, None, out)?;
            }
            None => {
                let empty = ObjectWriter::new().finish();
                let inner = rewrite(&empty, &node.below, create, edit)?.unwrap_or(empty);
                out.raw(key, &inner);
            }
        }
    }
    Ok(added)
}

/// [`rewrite`] of a text record: fields the tree does not name are copied
/// in runs, and nothing is written unless a field changes.
fn rewrite_text<A>(
    record: &Record,
    fields: RawFields<'_>,
    tree: &PathTree<A>,
    create: bool,
    edit: &mut Edit<'_, A>,
) -> Result<Option<Record>> {
    let mut out = Runs::new(record);
    let mut touched = false;
    let mut seen = vec![false; if create { tree.children.len() } else { 0 }];
    let mut next = 0;
    for field in fields {
        let Some(at) = tree.find_field(&field, &mut next)? else {
            out.keep(field);
            continue;
        };
        let key = field.key()?;
        if create {
            seen[at] = true;
        }
        let node = &tree.children[at].1;
        let value = field.value()?;
        if let Some(action) = &node.action {
            match edit(action, &key, Some(&value), out.writer())? {
                Edited::Unchanged => out.keep(field),
                Edited::Written => touched = true,
            }
        } else if let ValueRef::Object(nested) = &value {
            match rewrite(&nested_record(nested)?, &node.below, create, edit)? {
                Some(inner) => {
                    out.writer().raw(&key, &inner);
                    touched = true;
                }
                None => out.keep(field),
            }
        } else if create {
            return Err(field_error(
                &key,
                format!("is {}, not an object to add fields to", kind(&value)),
            ));
        } else {
            out.keep(field);
        }
    }
    if seen.contains(&false) {
        touched |= add_missing(tree, &seen, create, edit, out.writer())?;
    }
    Ok(touched.then(|| out.finish()))
}

/// The output of a rewrite of a text record: kept fields wait as a run of
/// consecutive fields until something else must be written; the writer is
/// made only then.
pub(crate) struct Runs<'a> {
    capacity: usize,
    writer: Option<ObjectWriter>,
    run: FieldRun<'a>,
}

impl<'a> Runs<'a> {
    /// The output for a rewrite of `record`.
    pub(crate) fn new(record: &Record) -> Self {
        Self {
            capacity: record.raw_json().map_or(128, |t| t.len() + 32),
            writer: None,
            run: FieldRun::default(),
        }
    }

    /// Keeps `field` as it is written.
    #[inline]
    pub(crate) fn keep(&mut self, field: RawField<'a>) {
        self.run.push(field);
    }

    /// The writer, with the run kept so far written to it: for what comes
    /// next in place of a field (or nothing, for a dropped field).
    pub(crate) fn writer(&mut self) -> &mut ObjectWriter {
        let capacity = self.capacity;
        let writer = self
            .writer
            .get_or_insert_with(|| ObjectWriter::with_capacity(capacity));
        writer.run(&self.run.take());
        writer
    }

    /// The rewritten record.
    pub(crate) fn finish(mut self) -> Record {
        self.writer();
        self.writer.take().expect("a writer").finish()
    }
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
