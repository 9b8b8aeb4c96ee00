//! Output schemas: JSON Schema edits that follow what a transform does to
//! records, so `discover`, `check` and schema inference stay truthful
//! after transforms.
//!
//! Every edit errs on the loose side: the output schema accepts every
//! record the transform gives for a record the input schema accepts, and
//! it never says more than the input and the transform's config tell. What
//! the input leaves unknown (an object without `properties`, `{}`, `true`)
//! stays unknown. Keywords this module does not follow (`$ref`, `allOf`,
//! `not`, `if`) are kept where the transform does not reach and become
//! unknown (`{}`, keeping `type`) where it does; `anyOf`/`oneOf` are
//! followed variant by variant (a `oneOf` becomes an `anyOf`: edited
//! variants may overlap).

mod edit;
mod reshape;
mod values;

pub(crate) use edit::{edit_paths, put, remove, replace};
pub(crate) use reshape::{Flattening, element_of, flatten_schema, select_schema};
pub(crate) use values::{cast_schema, constant_schema, hash_schema, redact_schema};

use faucet_core::serde_json::{Map, Value, json};

/// A schema's keywords.
pub(crate) type Keywords = Map<String, Value>;

/// Keywords that relate the keys of an object to one another: changing a
/// key could break them, so an edit drops them.
const ACROSS_KEYS: [&str; 8] = [
    "minProperties",
    "maxProperties",
    "propertyNames",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "unevaluatedProperties",
];

/// Keywords this module does not follow into.
const OPAQUE: [&str; 7] = ["$ref", "$dynamicRef", "allOf", "not", "if", "then", "else"];

/// Keywords that say nothing about which values are valid.
const ANNOTATIONS: [&str; 8] = [
    "title",
    "description",
    "$comment",
    "examples",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
];

/// Keywords of the root a schema's other parts refer to, kept on every
/// output.
const ROOT: [&str; 4] = ["$schema", "$id", "$defs", "definitions"];

/// The schema of any value.
pub(crate) fn unknown() -> Value {
    json!({})
}

/// Whether `schema` accepts every value (`true`, `{}`, annotations only).
pub(crate) fn is_unknown(schema: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        Value::Object(m) => m.keys().all(|k| ANNOTATIONS.contains(&k.as_str())),
        _ => false,
    }
}

/// Whether `schema` holds keywords this module does not follow.
pub(crate) fn is_opaque(keywords: &Keywords) -> bool {
    OPAQUE.iter().any(|k| keywords.contains_key(*k))
        || (keywords.contains_key("anyOf") && keywords.contains_key("oneOf"))
}

/// Whether a value of JSON type `t` (`null`, `object`, `array`, …) may be
/// valid against `schema`. Loose: `true` unless the schema rules it out.
pub(crate) fn may_be(schema: &Value, t: &str) -> bool {
    let Value::Object(m) = schema else {
        return schema != &Value::Bool(false);
    };
    if let Some(c) = m.get("const") {
        return type_of(c) == t || (t == "number" && type_of(c) == "integer");
    }
    if let Some(Value::Array(values)) = m.get("enum") {
        return values.iter().any(|v| may_be(&json!({ "const": v }), t));
    }
    let admits = |declared: &Value| {
        declared.as_str().is_some_and(|d| {
            d == t || (d == "number" && t == "integer") || (d == "integer" && t == "number")
        })
    };
    let by_type = match m.get("type") {
        Some(Value::Array(types)) => types.iter().any(admits),
        Some(declared @ Value::String(_)) => admits(declared),
        _ => true,
    };
    let by_variants = ["anyOf", "oneOf"].iter().all(|k| match m.get(*k) {
        Some(Value::Array(variants)) => variants.iter().any(|v| may_be(v, t)),
        _ => true,
    });
    by_type && by_variants
}

/// Whether every value valid against `schema` is of JSON type `t`.
pub(crate) fn only(schema: &Value, t: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(declared)) => declared == t,
        Some(Value::Array(types)) => !types.is_empty() && types.iter().all(|d| d == t),
        _ => false,
    }
}

/// The JSON Schema type of a value.
pub(crate) fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The schema of the value at `key` of an object valid against
/// `keywords`; `None` when no valid object has that key.
pub(crate) fn property(keywords: &Keywords, key: &str) -> Option<Value> {
    if let Some(schema) = keywords.get("properties").and_then(|p| p.get(key)) {
        return (schema != &Value::Bool(false)).then(|| schema.clone());
    }
    if keywords.contains_key("patternProperties") {
        return Some(unknown());
    }
    match keywords.get("additionalProperties") {
        Some(Value::Bool(false)) => None,
        Some(schema @ Value::Object(_)) => Some(schema.clone()),
        _ => Some(unknown()),
    }
}

/// Whether `key` is listed in `required`.
pub(crate) fn is_required(keywords: &Keywords, key: &str) -> bool {
    keywords
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|k| k == key))
}

/// Lists `key` in `required` (or takes it out).
pub(crate) fn set_required(keywords: &mut Keywords, key: &str, required: bool) {
    if is_required(keywords, key) == required {
        return;
    }
    let list = keywords
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = list else { return };
    if required {
        list.push(Value::String(key.to_owned()));
    } else {
        list.retain(|k| k != key);
        if list.is_empty() {
            keywords.remove("required");
        }
    }
}

/// Drops the keywords that relate keys ([`ACROSS_KEYS`]), which an edit of
/// a key could break; with `patternProperties` goes `additionalProperties`
/// too, or keys the patterns allowed would be forbidden.
pub(crate) fn touch(keywords: &mut Keywords) {
    if keywords.contains_key("patternProperties") {
        keywords.remove("additionalProperties");
    }
    for k in ACROSS_KEYS {
        keywords.remove(k);
    }
}

/// `schema` for objects only: its `type` narrowed to `object`; `None` when
/// it allows no object.
pub(crate) fn restrict_object(schema: &Value) -> Option<Value> {
    match schema {
        Value::Bool(false) => None,
        Value::Object(m) => {
            if !may_be(schema, "object") {
                return None;
            }
            let mut m = m.clone();
            m.insert("type".into(), json!("object"));
            Some(Value::Object(m))
        }
        _ => Some(json!({ "type": "object" })),
    }
}

/// A schema accepting what any of `schemas` accepts: the one schema, or an
/// `anyOf` of the distinct ones; `false` for none.
pub(crate) fn union(schemas: impl IntoIterator<Item = Value>) -> Value {
    let mut distinct: Vec<Value> = Vec::new();
    for schema in schemas {
        if schema == Value::Bool(false) || distinct.contains(&schema) {
            continue;
        }
        if is_unknown(&schema) {
            return unknown();
        }
        distinct.push(schema);
    }
    match distinct.len() {
        0 => Value::Bool(false),
        1 => distinct.remove(0),
        _ => json!({ "anyOf": distinct }),
    }
}

/// `output` with the root keywords of `input` (`$defs`, `$schema`, …) that
/// its other parts may refer to.
pub(crate) fn keep_root(input: &Value, mut output: Value) -> Value {
    if let (Value::Object(from), Value::Object(to)) = (input, &mut output) {
        for k in ROOT {
            if let (Some(v), false) = (from.get(k), to.contains_key(k)) {
                to.insert(k.into(), v.clone());
            }
        }
    }
    output
}

/// The annotations of `schema` (`title`, `description`), to carry over to
/// a schema that replaces it.
pub(crate) fn annotations(schema: &Value) -> Keywords {
    let mut kept = Keywords::new();
    if let Value::Object(m) = schema {
        for k in ["title", "description"] {
            if let Some(v) = m.get(k) {
                kept.insert(k.into(), v.clone());
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests;
