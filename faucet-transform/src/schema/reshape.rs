//! The schemas of transforms that reshape records rather than edit fields:
//! `select` (only the named keys), `flatten` (nested keys to `a__b`) and
//! `explode` (an array's element in its place).

use faucet_core::serde_json::{Value, json};

use super::{
    Keywords, annotations, edit::edit_object, is_opaque, is_required, may_be, only, property,
    restrict_object, union,
};
use crate::path::PathTree;

/// The schema of what `select` keeps of objects of `schema`: the selected
/// keys (of unknown schema where the input does not tell), no others.
pub(crate) fn select_schema(schema: &Value, tree: &PathTree<()>) -> Value {
    let Some(schema) = restrict_object(schema) else {
        return Value::Bool(false);
    };
    edit_object(&schema, &mut |m| select_level(m, tree))
}

fn select_level(m: &mut Keywords, tree: &PathTree<()>) {
    let mut props = Keywords::new();
    let mut required = Vec::new();
    for (key, node) in &tree.children {
        let Some(schema) = property(m, key) else {
            continue;
        };
        // `a.b` of an `a` that is not an object drops `a`.
        let kept = match node.action {
            Some(()) => schema.clone(),
            None => select_schema(&schema, &node.below),
        };
        if kept == Value::Bool(false) {
            continue;
        }
        if is_required(m, key) && (node.action.is_some() || only(&schema, "object")) {
            required.push(json!(key));
        }
        props.insert(key.clone(), kept);
    }
    let mut out = annotations(&Value::Object(m.clone()));
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), Value::Bool(false));
    for k in ["anyOf", "oneOf"] {
        if let Some(v) = m.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    *m = out;
}

/// How `flatten` names and how deep it goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flattening<'a> {
    pub(crate) separator: &'a str,
    pub(crate) max_depth: usize,
}

/// What flattening gathers: the top-level properties and whether every key
/// an output may have is among them.
struct Flat {
    props: Keywords,
    required: Vec<String>,
    closed: bool,
}

/// The schema of `flatten`'s outputs for objects of `schema`.
pub(crate) fn flatten_schema(schema: &Value, how: Flattening<'_>) -> Value {
    let mut out = annotations(schema);
    out.insert("type".into(), json!("object"));
    let Some(Value::Object(m)) = restrict_object(schema) else {
        return Value::Bool(false);
    };
    if is_opaque(&m) || m.contains_key("anyOf") || m.contains_key("oneOf") {
        return Value::Object(out);
    }
    let mut flat = Flat {
        props: Keywords::new(),
        required: Vec::new(),
        closed: true,
    };
    flatten_level(&m, None, 0, true, how, &mut flat);
    if flat.props.is_empty() && !flat.closed {
        return Value::Object(out);
    }
    out.insert("properties".into(), Value::Object(flat.props));
    if !flat.required.is_empty() {
        out.insert("required".into(), json!(flat.required));
    }
    if flat.closed {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Whether objects of `m` may have keys its `properties` do not list.
fn open(m: &Keywords) -> bool {
    m.contains_key("patternProperties")
        || m.get("additionalProperties") != Some(&Value::Bool(false))
}

fn flatten_level(
    m: &Keywords,
    prefix: Option<&str>,
    depth: usize,
    present: bool,
    how: Flattening<'_>,
    flat: &mut Flat,
) {
    if open(m) {
        flat.closed = false;
    }
    let Some(Value::Object(props)) = m.get("properties") else {
        return;
    };
    for (key, schema) in props {
        if schema == &Value::Bool(false) {
            continue;
        }
        let name = match prefix {
            Some(prefix) => format!("{prefix}{}{key}", how.separator),
            None => key.clone(),
        };
        let required = present && is_required(m, key);
        let nested = match schema {
            Value::Object(s) if depth < how.max_depth && may_be(schema, "object") => s,
            _ => {
                add(flat, name, schema.clone(), required);
                continue;
            }
        };
        if is_opaque(nested) || nested.contains_key("anyOf") || nested.contains_key("oneOf") {
            // Its keys are unknown here: they may come out flattened.
            flat.closed = false;
            add(flat, name, schema.clone(), false);
            continue;
        }
        let object_only = only(schema, "object");
        let never_empty = nested
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
            || nested
                .get("minProperties")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 0);
        flatten_level(
            nested,
            Some(&name),
            depth + 1,
            required && object_only,
            how,
            flat,
        );
        // Kept under its own key: a value that is no object, or `{}`.
        if !(object_only && never_empty) {
            add(flat, name, schema.clone(), false);
        }
    }
}

/// Adds a flattened key; a key that two fields flatten to holds either.
fn add(flat: &mut Flat, name: String, schema: Value, required: bool) {
    let merged = match flat.props.remove(&name) {
        Some(before) => union([before, schema]),
        None => schema,
    };
    flat.props.insert(name.clone(), merged);
    if required && !flat.required.contains(&name) {
        flat.required.push(name);
    }
}

/// The schema of an element of an array of `schema`; `None` when no value
/// of `schema` is an array.
pub(crate) fn element_of(schema: &Value) -> Option<Value> {
    if !may_be(schema, "array") {
        return None;
    }
    let Value::Object(m) = schema else {
        return Some(super::unknown());
    };
    if is_opaque(m) {
        return Some(super::unknown());
    }
    let mut elements = Vec::new();
    let mut from_variants = false;
    for k in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = m.get(k) {
            from_variants = true;
            elements.extend(variants.iter().filter_map(element_of));
        }
    }
    if from_variants && !m.contains_key("items") && !m.contains_key("prefixItems") {
        return Some(union(elements));
    }
    let mut own = Vec::new();
    match (m.get("prefixItems"), m.get("items")) {
        (Some(Value::Array(prefix)), items) => {
            own.extend(prefix.iter().cloned());
            own.push(items.cloned().unwrap_or_else(super::unknown));
        }
        (_, Some(Value::Array(tuple))) => {
            own.extend(tuple.iter().cloned());
            let rest = m.get("additionalItems").cloned();
            own.push(rest.unwrap_or_else(super::unknown));
        }
        (_, Some(items)) => own.push(items.clone()),
        (_, None) => own.push(super::unknown()),
    }
    Some(union(own))
}
