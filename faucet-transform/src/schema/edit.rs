//! Editing the objects of a schema that a [`PathTree`] reaches, the way
//! [`rewrite`](crate::rewrite::rewrite) edits records: one call per object
//! with the actions ending there, paths going on below a key followed into
//! the key's schema.

use faucet_core::serde_json::{Value, json};

use super::{
    Keywords, is_opaque, is_required, is_unknown, property, restrict_object, set_required, touch,
    union,
};
use crate::path::PathTree;

/// Called with the keywords of one object schema and the actions of the
/// paths ending at its keys.
pub(crate) type Level<'e, A> = dyn FnMut(&mut Keywords, &[(&str, &A)]) + 'e;

/// Applies `f` to the object keywords of `schema`, variant by variant of an
/// `anyOf`/`oneOf`. Object keywords constrain objects only, so values of
/// other types keep their schema. A schema this module does not follow
/// keeps only its `type` and annotations before `f` edits it.
pub(crate) fn edit_object(schema: &Value, f: &mut dyn FnMut(&mut Keywords)) -> Value {
    match schema {
        Value::Object(m) if is_opaque(m) => {
            let mut kept: Keywords = m
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "type" | "title" | "description"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            f(&mut kept);
            Value::Object(kept)
        }
        Value::Object(m) => {
            let mut m = m.clone();
            f(&mut m);
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(variants)) = m.remove(key) {
                    let edited = variants.iter().map(|v| edit_object(v, f)).collect();
                    m.insert("anyOf".into(), Value::Array(edited));
                }
            }
            Value::Object(m)
        }
        Value::Bool(true) => {
            let mut m = Keywords::new();
            f(&mut m);
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// Edits `schema` by `tree`: `level` gets each object a path goes through
/// with the actions ending at its keys. With `create` (as `set` does), the
/// objects on a path are made when missing, and a value in their place that
/// is not an object is an error, so the output has objects there.
pub(crate) fn edit_paths<A>(
    schema: &Value,
    tree: &PathTree<A>,
    create: bool,
    level: &mut Level<'_, A>,
) -> Value {
    let schema = if create {
        match restrict_object(schema) {
            Some(s) => s,
            None => return Value::Bool(false),
        }
    } else {
        schema.clone()
    };
    edit_object(&schema, &mut |m| edit_level(m, tree, create, level))
}

fn edit_level<A>(m: &mut Keywords, tree: &PathTree<A>, create: bool, level: &mut Level<'_, A>) {
    let actions: Vec<(&str, &A)> = tree
        .children
        .iter()
        .filter_map(|(k, n)| n.action.as_ref().map(|a| (k.as_str(), a)))
        .collect();
    if !actions.is_empty() {
        level(m, &actions);
    }
    for (key, node) in &tree.children {
        if node.action.is_some() {
            continue;
        }
        let present = property(m, key);
        let edited = present
            .as_ref()
            .map(|s| edit_paths(s, &node.below, create, level));
        let new = if create {
            let empty = json!({"type": "object", "properties": {}, "additionalProperties": false});
            let created = edit_paths(&empty, &node.below, true, level);
            match edited {
                Some(edited) if is_required(m, key) => edited,
                Some(edited) if covers(&edited, &created) => edited,
                Some(edited) => union([edited, created]),
                None => created,
            }
        } else {
            match edited {
                Some(edited) if Some(&edited) != present.as_ref() => edited,
                _ => continue,
            }
        };
        put(m, key, new);
        if create {
            set_required(m, key, true);
        }
    }
}

/// Whether the object `created` (closed, its properties all required)
/// certainly validates against `edited`, so a union of both is `edited`.
/// Conservative: `edited` may hold only `type`, `properties`, `required`,
/// `additionalProperties` and annotations, and must give each of
/// `created`'s keys the very same schema.
fn covers(edited: &Value, created: &Value) -> bool {
    let (Value::Object(e), Some(props)) =
        (edited, created.get("properties").and_then(Value::as_object))
    else {
        return false;
    };
    let plain = e.keys().all(|k| {
        matches!(
            k.as_str(),
            "type" | "properties" | "required" | "additionalProperties" | "title" | "description"
        )
    });
    let allowed = |k: &str| match e.get("properties").and_then(|p| p.get(k)) {
        Some(s) => Some(s) == props.get(k),
        None => e.get("additionalProperties").is_none_or(is_unknown),
    };
    let required_ok = e.get("required").and_then(Value::as_array).is_none_or(|r| {
        r.iter()
            .all(|k| k.as_str().is_some_and(|k| props.contains_key(k)))
    });
    plain
        && e.get("type") == Some(&json!("object"))
        && required_ok
        && props.keys().all(|k| allowed(k))
}

/// Sets the schema of `key` (a property, so other keywords no longer apply
/// to it as an additional one).
pub(crate) fn put(m: &mut Keywords, key: &str, schema: Value) {
    let props = m
        .entry("properties")
        .or_insert_with(|| Value::Object(Keywords::new()));
    if let Value::Object(props) = props {
        props.insert(key.to_owned(), schema);
    }
    touch(m);
}

/// Takes `key` out of the object: no output has it.
pub(crate) fn remove(m: &mut Keywords, key: &str) {
    if property(m, key).is_none() {
        return;
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.remove(key);
    }
    set_required(m, key, false);
    touch(m);
}

/// Replaces the schema of `key` by `f` of its schema. Nothing changes when
/// no valid object has the key, nor for a key the schema does not list
/// while it says nothing of such keys: in an object whose keys are unknown
/// it stays unknown (nothing is invented), elsewhere it is listed only when
/// `f` tells something of it.
pub(crate) fn replace(m: &mut Keywords, key: &str, f: impl FnOnce(&Value) -> Value) {
    let Some(schema) = property(m, key) else {
        return;
    };
    let listed = m.get("properties").is_some_and(|p| p.get(key).is_some());
    let unlisted_unknown = !listed && !m.contains_key("patternProperties") && is_unknown(&schema);
    if unlisted_unknown && !m.contains_key("properties") {
        return;
    }
    let new = f(&schema);
    if unlisted_unknown && is_unknown(&new) {
        return;
    }
    if listed && Some(&new) == m.get("properties").and_then(|p| p.get(key)) {
        return;
    }
    put(m, key, new);
}
