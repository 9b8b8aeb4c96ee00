//! Parent records and child records: the values a child resource takes
//! from each parent record, and the parent fields added to each child
//! record.

use faucet_core::record::{ObjectWriter, ValueRef};
use faucet_core::{FaucetError, Record, Result};
use serde_json::Value;

use super::ParentLink;
use crate::plan::{ParentValues, placeholder_text};

/// Where a parent page came from, for messages.
pub(crate) struct PageOrigin<'a> {
    /// The parent stream.
    pub(crate) stream: &'a str,
    /// The page's URL, redacted.
    pub(crate) url: &'a str,
}

/// The values `link` needs from each of `records` (a page of the parent
/// stream): every placeholder's field, which each record must have as a
/// string, number or boolean, and the other copied fields (`null` when
/// absent). A record without a placeholder's field fails the run, naming
/// the page and the record's position: its children cannot be read, and
/// skipping them would lose records silently.
pub(crate) fn parent_values(
    link: &ParentLink,
    child: &str,
    records: &[Record],
    origin: &PageOrigin<'_>,
) -> Result<Vec<ParentValues>> {
    records
        .iter()
        .enumerate()
        .map(|(position, record)| {
            let problem = |what: String| {
                FaucetError::source_error(format!(
                    "record {position} (counting from 0) of the `{}` page at {} {what}, which `{}` needs to read `{child}` for it; a child resource is read for every parent record, so it cannot be skipped",
                    origin.stream, origin.url, link.config_path
                ))
            };
            let mut values = ParentValues::new();
            for (field, _) in &link.copies {
                let required = link.required.contains(field);
                let value = match record.field(field)? {
                    Some(value) => exact(&value).map_err(|m| problem(format!("has field `{field}` {m}")))?,
                    None if required => {
                        let what = if record.is_object() {
                            format!("has no field `{field}`")
                        } else {
                            format!("is not an object, so it has no field `{field}`")
                        };
                        return Err(problem(what));
                    }
                    None => Value::Null,
                };
                if required && placeholder_text(&value).is_none() {
                    return Err(problem(format!(
                        "has field `{field}` = {value}, not a string, number or boolean"
                    )));
                }
                values.insert(field.clone(), value);
            }
            Ok(values)
        })
        .collect()
}

/// A field's value as a tree, refusing integers a tree would round.
fn exact(value: &ValueRef<'_>) -> std::result::Result<Value, String> {
    if let ValueRef::Number(n) = value
        && n.is_integer()
        && n.as_i64().is_none()
        && n.as_u64().is_none()
    {
        return Err(format!("= {}, an integer beyond 64 bits", n.as_str()));
    }
    value
        .to_value()
        .map_err(|e| format!("that cannot be read: {e}"))
}

/// `records` (a page of a child stream read for the parent with `values`)
/// with the copied parent fields added at the end of each; a field of the
/// record with the same name as a copied one is replaced.
pub(crate) fn with_parent_fields(
    link: &ParentLink,
    values: &ParentValues,
    records: Vec<Record>,
    url: &str,
) -> Result<Vec<Record>> {
    records
        .into_iter()
        .enumerate()
        .map(|(position, record)| {
            let Some(fields) = record.fields() else {
                return Err(FaucetError::source_error(format!(
                    "record {position} (counting from 0) of the page at {url} is not an object, so the parent's fields cannot be added to it"
                )));
            };
            let size = record.raw_json().map_or(128, |json| json.len() + 64);
            let mut out = ObjectWriter::with_capacity(size);
            for field in fields {
                let (key, value) = field?;
                if !link.copies.iter().any(|(_, name)| *name == *key) {
                    out.field(&key, &value);
                }
            }
            for (field, name) in &link.copies {
                out.value(name, values.get(field).unwrap_or(&Value::Null));
            }
            Ok(out.finish())
        })
        .collect()
}
