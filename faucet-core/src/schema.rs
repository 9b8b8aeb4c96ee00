//! JSON Schema helpers: checking that config schemas are documented, and
//! inferring a record schema from sample records (for `discover`).

use crate::record::{Record, ValueRef};
use serde_json::{Map, Value, json};

/// Paths of every property (and enum variant) in a JSON Schema that has no
/// `description`. Config schemas become `faucet schema` output and editor
/// help, so connectors keep this list empty (the conformance kit checks).
pub fn undocumented_properties(schema: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    walk(schema, "#", &mut missing);
    missing
}

fn walk(node: &Value, path: &str, missing: &mut Vec<String>) {
    let Some(obj) = node.as_object() else { return };
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (name, prop) in props {
            let here = format!("{path}/properties/{name}");
            if !has_description(prop) {
                missing.push(here.clone());
            }
            walk(prop, &here, missing);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = obj.get(key) {
            for (i, variant) in variants.iter().enumerate() {
                let here = format!("{path}/{key}/{i}");
                let is_null = variant.get("type") == Some(&json!("null"));
                let is_ref = variant.get("$ref").is_some();
                if !is_null && !is_ref && !has_description(variant) {
                    missing.push(here.clone());
                }
                walk(variant, &here, missing);
            }
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = obj.get(key) {
            for (name, def) in defs {
                walk(def, &format!("{path}/{key}/{name}"), missing);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = obj.get(key) {
            walk(child, &format!("{path}/{key}"), missing);
        }
    }
}

fn has_description(node: &Value) -> bool {
    node.get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.trim().is_empty())
}

/// A schemars transform (`#[schemars(transform = describe_kind_tags)]`)
/// giving every variant's `kind` property a description (``Selects
/// `name`.``), so `faucet schema` documents every property.
pub fn describe_kind_tags(schema: &mut schemars::Schema) {
    let Some(Value::Array(variants)) = schema.as_object_mut().and_then(|o| o.get_mut("oneOf"))
    else {
        return;
    };
    for variant in variants {
        let Some(Value::Object(kind)) = variant.pointer_mut("/properties/kind") else {
            continue;
        };
        if kind.contains_key("description") {
            continue;
        }
        let name = kind
            .get("const")
            .or_else(|| kind.get("enum").and_then(|e| e.get(0)))
            .and_then(Value::as_str)
            .unwrap_or("this variant")
            .to_owned();
        kind.insert(
            "description".into(),
            Value::String(format!("Selects `{name}`.")),
        );
    }
}

/// Infers a JSON Schema describing every record in `records`: object
/// properties with their types (several when they vary), nested objects
/// and arrays, and `format: date-time` for strings that all look like
/// RFC 3339 timestamps.
///
/// A record a tree cannot hold (a number beyond `f64`) is described from
/// its fields: such a number is an `integer` or a `number` by its text.
pub fn infer_schema(records: &[Record]) -> Value {
    let mut schema = Value::Null;
    for record in records {
        let described = match record.value() {
            Ok(value) => describe(value),
            Err(_) => describe_fields(record),
        };
        schema = merge(schema, &described);
    }
    if schema.is_null() { json!({}) } else { schema }
}

fn describe_fields(record: &Record) -> Value {
    let Some(fields) = record.fields() else {
        return json!({});
    };
    let mut properties = Map::new();
    for (key, value) in fields.flatten() {
        let schema = match &value {
            ValueRef::Number(n) if n.is_integer() => json!({ "type": "integer" }),
            ValueRef::Number(_) => json!({ "type": "number" }),
            other => other
                .to_value()
                .map_or_else(|_| json!({}), |v| describe(&v)),
        };
        properties.insert(key.into_owned(), schema);
    }
    json!({ "type": "object", "properties": properties })
}

fn describe(value: &Value) -> Value {
    match value {
        Value::Null => json!({ "type": "null" }),
        Value::Bool(_) => json!({ "type": "boolean" }),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({ "type": "integer" }),
        Value::Number(_) => json!({ "type": "number" }),
        Value::String(s) if looks_like_timestamp(s) => {
            json!({ "type": "string", "format": "date-time" })
        }
        Value::String(_) => json!({ "type": "string" }),
        Value::Array(items) => {
            let item = items
                .iter()
                .fold(Value::Null, |acc, v| merge(acc, &describe(v)));
            let mut schema = json!({ "type": "array" });
            if !item.is_null() {
                schema["items"] = item;
            }
            schema
        }
        Value::Object(fields) => {
            let properties: Map<String, Value> = fields
                .iter()
                .map(|(k, v)| (k.clone(), describe(v)))
                .collect();
            json!({ "type": "object", "properties": properties })
        }
    }
}

/// Merges two inferred schemas into one that accepts both.
fn merge(a: Value, b: &Value) -> Value {
    if a.is_null() {
        return b.clone();
    }
    let mut types = type_list(&a);
    for t in type_list(b) {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    // An integer column that also holds fractions is a number column.
    if types.contains(&"number".to_owned()) {
        types.retain(|t| t != "integer");
    }
    let mut out = Map::new();
    out.insert(
        "type".into(),
        if types.len() == 1 {
            Value::String(types[0].clone())
        } else {
            Value::from(types)
        },
    );
    if a.get("format").is_some() && a.get("format") == b.get("format") {
        out.insert("format".into(), a["format"].clone());
    }
    if let (Some(pa), Some(pb)) = (a.get("properties"), b.get("properties")) {
        let mut props = pa.as_object().cloned().unwrap_or_default();
        for (k, v) in pb.as_object().into_iter().flatten() {
            let merged = merge(props.remove(k).unwrap_or(Value::Null), v);
            props.insert(k.clone(), merged);
        }
        out.insert("properties".into(), Value::Object(props));
    } else if let Some(p) = a.get("properties").or_else(|| b.get("properties")) {
        out.insert("properties".into(), p.clone());
    }
    match (a.get("items"), b.get("items")) {
        (Some(ia), Some(ib)) => {
            out.insert("items".into(), merge(ia.clone(), ib));
        }
        (Some(i), None) | (None, Some(i)) => {
            out.insert("items".into(), i.clone());
        }
        (None, None) => {}
    }
    Value::Object(out)
}

fn type_list(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` followed by an optional fraction and a zone.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.clone().all(|i| b[i].is_ascii_digit());
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && matches!(b[b.len() - 1], b'Z' | b'z' | b'0'..=b'9')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_nested_objects_and_timestamps() {
        let records = vec![
            json!({"id": 1, "amount": 2, "at": "2024-01-02T03:04:05Z", "tags": ["a"], "o": {"x": true}}),
            json!({"id": 2, "amount": 2.5, "at": "2024-01-02T03:04:05.123+02:00", "extra": null}),
        ];
        let records: Vec<Record> = records.into_iter().map(Record::from).collect();
        let schema = infer_schema(&records);
        let props = &schema["properties"];
        assert_eq!(props["id"]["type"], "integer");
        assert_eq!(props["amount"]["type"], "number");
        assert_eq!(props["at"]["format"], "date-time");
        assert_eq!(props["tags"]["items"]["type"], "string");
        assert_eq!(props["o"]["properties"]["x"]["type"], "boolean");
        assert_eq!(props["extra"]["type"], "null");
    }

    #[test]
    fn kind_tags_get_a_description() {
        #[derive(schemars::JsonSchema)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        #[schemars(transform = describe_kind_tags)]
        #[allow(dead_code)]
        /// A choice.
        enum Choice {
            /// The first.
            First {
                /// A number.
                n: u32,
            },
            /// The second.
            Second,
        }
        let schema = schemars::schema_for!(Choice).to_value();
        assert_eq!(undocumented_properties(&schema), Vec::<String>::new());
        assert_eq!(
            schema["oneOf"][0]["properties"]["kind"]["description"],
            "Selects `first`."
        );
    }

    #[test]
    fn finds_undocumented_properties() {
        let schema = json!({
            "properties": {
                "a": {"type": "string", "description": "A."},
                "b": {"type": "object", "properties": {"c": {"type": "integer"}}}
            }
        });
        assert_eq!(
            undocumented_properties(&schema),
            vec!["#/properties/b", "#/properties/b/properties/c"]
        );
    }
}
