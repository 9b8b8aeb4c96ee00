//! The output-schema check of transforms: for the sample's schema (as
//! `discover` would infer it), the transform's outputs fit the schema it
//! says they have.
//!
//! "Fit" is a structural reading of JSON Schema, not a full validator:
//! `type`, `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `anyOf`/`oneOf` (as any of), `allOf`, `const`, `enum`,
//! `maxItems`; other keywords (`pattern`, `format`, `$ref`, …) are taken
//! to fit. It catches a transform that changes a field's type or adds or
//! renames keys while it keeps the default (input unchanged) or tells a
//! wrong schema.

use serde_json::{Map, Value};

/// `schema`, as inferred from sample records, closed: every object that
/// lists its properties allows no others. The sample still fits (its
/// every key is listed), and a transform that adds or renames keys while
/// keeping the default output schema no longer does.
pub(crate) fn close(mut schema: Value) -> Value {
    if let Value::Object(m) = &mut schema {
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            for prop in props.values_mut() {
                *prop = close(std::mem::take(prop));
            }
            m.insert("additionalProperties".into(), Value::Bool(false));
        }
        if let Some(items) = m.get_mut("items") {
            *items = close(std::mem::take(items));
        }
    }
    schema
}

/// Why `value` does not fit `schema`, at `path`; `None` when it fits.
pub(crate) fn misfit(value: &Value, schema: &Value, path: &str) -> Option<String> {
    let m = match schema {
        Value::Bool(true) => return None,
        Value::Bool(false) => return Some(format!("{path}: the schema allows no value here")),
        Value::Object(m) => m,
        _ => return None,
    };
    if let Some(t) = m.get("type")
        && !type_fits(value, t)
    {
        return Some(format!("{path}: is {}, the schema says {t}", kind(value)));
    }
    if m.get("const").is_some_and(|c| c != value) {
        return Some(format!("{path}: is not the schema's `const`"));
    }
    if let Some(Value::Array(values)) = m.get("enum")
        && !values.contains(value)
    {
        return Some(format!("{path}: is none of the schema's `enum`"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = m.get(key)
            && variants.iter().all(|v| misfit(value, v, path).is_some())
        {
            return Some(format!("{path}: fits none of the schema's `{key}`"));
        }
    }
    if let Some(Value::Array(all)) = m.get("allOf")
        && let Some(why) = all.iter().find_map(|s| misfit(value, s, path))
    {
        return Some(why);
    }
    match value {
        Value::Object(fields) => object_misfit(fields, m, path),
        Value::Array(items) => array_misfit(items, m, path),
        _ => None,
    }
}

fn object_misfit(
    fields: &Map<String, Value>,
    m: &Map<String, Value>,
    path: &str,
) -> Option<String> {
    for key in m
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(key) = key.as_str()
            && !fields.contains_key(key)
        {
            return Some(format!("{path}: lacks `{key}`, which the schema requires"));
        }
    }
    let props = m.get("properties").and_then(Value::as_object);
    let patterns = m.contains_key("patternProperties");
    for (key, value) in fields {
        let here = format!("{path}.{key}");
        let schema = match props.and_then(|p| p.get(key)) {
            Some(schema) => schema,
            None if patterns => continue,
            None => match m.get("additionalProperties") {
                Some(schema) => schema,
                None => continue,
            },
        };
        if let Some(why) = misfit(value, schema, &here) {
            return Some(why);
        }
    }
    None
}

fn array_misfit(items: &[Value], m: &Map<String, Value>, path: &str) -> Option<String> {
    if let Some(max) = m.get("maxItems").and_then(Value::as_u64)
        && items.len() as u64 > max
    {
        return Some(format!(
            "{path}: has more items than the schema's `maxItems`"
        ));
    }
    let prefix = m.get("prefixItems").and_then(Value::as_array);
    for (i, item) in items.iter().enumerate() {
        let schema = match prefix.and_then(|p| p.get(i)) {
            Some(schema) => Some(schema),
            None => m.get("items").filter(|s| !s.is_array()),
        };
        if let Some(why) = schema.and_then(|s| misfit(item, s, &format!("{path}[{i}]"))) {
            return Some(why);
        }
    }
    None
}

fn type_fits(value: &Value, t: &Value) -> bool {
    let one = |t: &str| match (t, value) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
        ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    };
    match t {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
