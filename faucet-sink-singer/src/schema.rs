//! Each stream's `SCHEMA`: declared by the source, or inferred from the
//! records, and sent again when it changes.
//!
//! A page that carries a schema ([`Page::schema`]) is described by it, as
//! the source declared it. Otherwise the stream's first page of records is
//! sampled ([`infer_schema`]) and every inferred property is made nullable
//! (a property seen only as `null` accepts any value), since the records
//! after the sample may hold nulls; a later record with a top-level field
//! the schema lacks makes the sink infer that page and send the widened
//! schema before it, so a target that keeps only declared properties
//! drops no field.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use faucet_core::connector::*;
use faucet_core::schema::infer_schema;

/// What has been sent for one stream.
#[derive(Debug)]
struct Sent {
    schema: Arc<Value>,
    declared: bool,
    /// Top-level properties of an inferred schema.
    known: HashSet<String>,
}

/// The schema sent for every stream so far (per target process).
#[derive(Debug, Default)]
pub(crate) struct Schemas {
    sent: HashMap<String, Sent>,
}

/// A schema to send before the page's records, with its key properties.
#[derive(Debug)]
pub(crate) struct Announce {
    pub(crate) schema: Arc<Value>,
    pub(crate) keys: Vec<String>,
}

impl Schemas {
    /// The `SCHEMA` to send before `page`'s records of `stream`, if one is
    /// due: the stream's first records, a changed declared schema, or an
    /// inferred one that lacks a field of these records. `keys` are the
    /// configured key properties of the stream, if any.
    pub(crate) fn before(
        &mut self,
        stream: &str,
        page: &Page,
        keys: Option<&Vec<String>>,
    ) -> Option<Announce> {
        if page.is_empty() {
            return None;
        }
        let schema = match (page.schema(), self.sent.get(stream)) {
            (Some(declared), Some(sent)) if sent.declared && same(declared, &sent.schema) => {
                return None;
            }
            (Some(declared), _) => Arc::clone(declared),
            (None, Some(sent)) if sent.declared || !has_new_field(&sent.known, page) => {
                return None;
            }
            (None, Some(sent)) => Arc::new(widen(&sent.schema, &inferred(page.records()))),
            (None, None) => Arc::new(inferred(page.records())),
        };
        let declared = page.schema().is_some();
        let keys = keys.cloned().unwrap_or_else(|| declared_keys(&schema));
        let known = if declared {
            HashSet::new()
        } else {
            properties(&schema)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        };
        self.sent.insert(
            stream.to_owned(),
            Sent {
                schema: Arc::clone(&schema),
                declared,
                known,
            },
        );
        Some(Announce { schema, keys })
    }
}

fn same(a: &Arc<Value>, b: &Arc<Value>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Whether a record of `page` has a top-level field not in `known`.
fn has_new_field(known: &HashSet<String>, page: &Page) -> bool {
    page.records().iter().any(|record| {
        record.fields().is_some_and(|fields| {
            fields
                .filter_map(|field| field.ok())
                .any(|(key, _)| !known.contains(key.as_ref()))
        })
    })
}

fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties")?.as_object()
}

/// The key a source declared in its schema: `x-key-properties`, else
/// `key_properties`, as an array of field names.
fn declared_keys(schema: &Value) -> Vec<String> {
    ["x-key-properties", "key_properties"]
        .iter()
        .find_map(|name| schema.get(name)?.as_array())
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The inferred schema of `records`, every property nullable.
fn inferred(records: &[Record]) -> Value {
    let mut schema = infer_schema(records);
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for prop in props.values_mut() {
            nullable(prop);
        }
    }
    if schema.get("type").is_none() {
        schema["type"] = json!("object");
    }
    schema
}

/// Makes an inferred property accept `null` (and, when it was only ever
/// seen as `null`, anything), down through nested objects and arrays.
fn nullable(prop: &mut Value) {
    let Some(obj) = prop.as_object_mut() else {
        return;
    };
    let mut types: Vec<Value> = match obj.get("type") {
        Some(Value::String(t)) => vec![json!(t)],
        Some(Value::Array(ts)) => ts.clone(),
        _ => Vec::new(),
    };
    if types.iter().all(|t| t == "null") {
        obj.remove("type");
        obj.remove("format");
    } else {
        if !types.iter().any(|t| t == "null") {
            types.push(json!("null"));
        }
        obj.insert("type".into(), Value::Array(types));
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(nullable);
    }
    if let Some(items) = obj.get_mut("items") {
        nullable(items);
    }
}

/// `sent` with the properties of `more` it lacks added.
fn widen(sent: &Value, more: &Value) -> Value {
    let mut out = sent.clone();
    if let (Some(Value::Object(props)), Some(extra)) = (out.get_mut("properties"), properties(more))
    {
        for (name, prop) in extra {
            if !props.contains_key(name) {
                props.insert(name.clone(), prop.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(values: Vec<Value>) -> Page {
        Page::from_values(values)
    }

    #[test]
    fn the_first_page_is_inferred_nullable_and_sent_once() {
        let mut schemas = Schemas::default();
        let first = page(vec![
            json!({"id": 1, "at": "2024-01-02T03:04:05Z", "gone": null,
                                     "o": {"x": true}}),
        ]);
        let sent = schemas.before("s", &first, None).unwrap();
        let props = &sent.schema["properties"];
        assert_eq!(props["id"]["type"], json!(["integer", "null"]));
        assert_eq!(
            props["at"],
            json!({"type": ["string", "null"], "format": "date-time"})
        );
        assert_eq!(props["gone"], json!({}));
        assert_eq!(
            props["o"]["properties"]["x"]["type"],
            json!(["boolean", "null"])
        );
        assert!(sent.keys.is_empty());
        assert!(
            schemas
                .before("s", &page(vec![json!({"id": 2})]), None)
                .is_none()
        );
        assert!(schemas.before("s", &Page::new(Vec::new()), None).is_none());
    }

    #[test]
    fn a_new_field_widens_the_inferred_schema() {
        let mut schemas = Schemas::default();
        let keys = vec!["id".to_owned()];
        schemas.before("s", &page(vec![json!({"id": 1})]), Some(&keys));
        let wider = schemas
            .before(
                "s",
                &page(vec![json!({"id": 2, "name": "ada"})]),
                Some(&keys),
            )
            .unwrap();
        assert_eq!(
            wider.schema["properties"]["id"]["type"],
            json!(["integer", "null"])
        );
        assert_eq!(
            wider.schema["properties"]["name"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(wider.keys, keys);
        let again = page(vec![json!({"name": "x", "id": 3})]);
        assert!(schemas.before("s", &again, Some(&keys)).is_none());
    }

    #[test]
    fn a_declared_schema_is_sent_as_is_with_its_keys_and_again_when_it_changes() {
        let mut schemas = Schemas::default();
        let declared = Arc::new(json!({"type": "object", "x-key-properties": ["id"],
                                       "properties": {"id": {"type": "integer"}}}));
        let first = page(vec![json!({"id": 1})]).with_schema(Arc::clone(&declared));
        let sent = schemas.before("s", &first, None).unwrap();
        assert!(Arc::ptr_eq(&sent.schema, &declared));
        assert_eq!(sent.keys, ["id"]);
        let same = page(vec![json!({"id": 2, "new": 1})]).with_schema(Arc::clone(&declared));
        assert!(schemas.before("s", &same, None).is_none());
        let changed = Arc::new(json!({"type": "object", "properties": {}}));
        let next = page(vec![json!({"id": 3})]).with_schema(changed);
        let keys = vec!["k".to_owned()];
        assert_eq!(schemas.before("s", &next, Some(&keys)).unwrap().keys, keys);
    }
}
