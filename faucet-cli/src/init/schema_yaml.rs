//! Turns a config's JSON Schema into commented YAML: each property with
//! its description, required ones with a placeholder to fill, optional
//! ones commented out with their default.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::pipeline_file::PLACEHOLDER;

/// Writes the properties of `schema` at `indent` spaces. `root` holds the
/// `$defs` that references point into. Optional properties named in `live`
/// are written uncommented with a placeholder, like required ones: a real
/// pipeline sets them.
pub(crate) fn write_properties(
    out: &mut String,
    schema: &Value,
    root: &Value,
    indent: usize,
    live: &[&str],
) {
    let schema = resolve(schema, root);
    let Some(Value::Object(props)) = schema.get("properties") else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, prop) in props {
        let need = if required.contains(&name.as_str()) {
            Need::Required
        } else if live.contains(&name.as_str()) {
            Need::Live
        } else {
            Need::Optional
        };
        write_property(out, name, prop, need, root, indent);
    }
}

/// How a property is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Live, with a placeholder, marked `# required`.
    Required,
    /// Live, with a placeholder, marked `# set this`.
    Live,
    /// Commented out with its default.
    Optional,
}

fn write_property(
    out: &mut String,
    name: &str,
    prop: &Value,
    need: Need,
    root: &Value,
    indent: usize,
) {
    let pad = " ".repeat(indent);
    let resolved = resolve(prop, root);
    let description = prop
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("");
    for line in wrap(description, 78usize.saturating_sub(indent)) {
        let _ = writeln!(out, "{pad}# {line}");
    }
    if let Some(choices) = choices(resolved, root) {
        let _ = writeln!(out, "{pad}# One of: {choices}.");
    }
    if need == Need::Live {
        match tag_key(resolved, root) {
            Some(tag) => {
                let _ = writeln!(
                    out,
                    "{pad}{name}:   # set this\n{pad}  {tag}: \"{PLACEHOLDER}: {name}.{tag}\"\n"
                );
            }
            None => {
                let _ = writeln!(out, "{pad}{name}: \"{PLACEHOLDER}: {name}\"   # set this\n");
            }
        }
        return;
    }
    if need == Need::Optional {
        let shown = prop
            .get("default")
            .map_or_else(|| "…".to_owned(), |d| d.to_string());
        let _ = writeln!(out, "{pad}# {name}: {shown}\n");
        return;
    }
    let is_object = resolved.get("properties").is_some();
    if is_object {
        let _ = writeln!(out, "{pad}{name}:   # required");
        write_properties(out, resolved, root, indent + 2, &[]);
    } else {
        let _ = writeln!(out, "{pad}{name}: \"{PLACEHOLDER}: {name}\"   # required\n");
    }
}

/// Follows a `$ref` into `root`'s `$defs` (one level, as schemars emits).
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| root.get("$defs")?.get(name))
        .unwrap_or(schema)
}

/// `` `a`, `b` `` for enums and tagged unions, if the schema is one.
fn choices(schema: &Value, root: &Value) -> Option<String> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Some(join_values(values.iter()));
    }
    let variants = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    let names: Vec<Value> = variants
        .iter()
        .filter_map(|v| {
            let v = resolve(v, root);
            v.get("const").cloned().or_else(|| {
                v.get("enum")
                    .and_then(|e| e.get(0).cloned())
                    .or_else(|| tag_of(v.get("properties")?.as_object()?))
            })
        })
        .collect();
    (!names.is_empty()).then(|| join_values(names.iter()))
}

/// The name of the tag property (`kind`) of a tagged union, if the schema
/// is one.
fn tag_key(schema: &Value, root: &Value) -> Option<String> {
    let variants = schema.get("oneOf").or_else(|| schema.get("anyOf"))?;
    let first = resolve(variants.as_array()?.first()?, root);
    first
        .get("properties")?
        .as_object()?
        .iter()
        .find(|(_, p)| p.get("const").is_some() || p.get("enum").is_some())
        .map(|(key, _)| key.clone())
}

/// The `const` of a variant's tag property (`kind: cursor`), if any.
fn tag_of(props: &Map<String, Value>) -> Option<Value> {
    props.values().find_map(|p| {
        p.get("const").cloned().or_else(|| {
            let e = p.get("enum")?.as_array()?;
            (e.len() == 1).then(|| e[0].clone())
        })
    })
}

fn join_values<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    values
        .map(|v| match v {
            Value::String(s) => format!("`{s}`"),
            other => format!("`{other}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `text` into lines of at most `width` characters at spaces.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_fields_get_placeholders_and_optional_ones_their_defaults() {
        let schema = json!({
            "properties": {
                "url": {"type": "string", "description": "Where to connect."},
                "mode": {"$ref": "#/$defs/Mode", "default": "append", "description": "How."},
                "auth": {"description": "Credentials.", "properties": {
                    "token": {"type": "string", "description": "The token."}}, "required": ["token"]}
            },
            "required": ["url", "auth"],
            "$defs": {"Mode": {"oneOf": [{"const": "append"}, {"const": "upsert"}]}}
        });
        let mut out = String::new();
        write_properties(&mut out, &schema, &schema, 2, &[]);
        assert!(
            out.contains("  # Where to connect.\n  url: \"FILL IN: url\"   # required"),
            "{out}"
        );
        assert!(
            out.contains("  # One of: `append`, `upsert`.\n  # mode: \"append\""),
            "{out}"
        );
        assert!(
            out.contains("  auth:   # required\n    # The token.\n    token: \"FILL IN: token\""),
            "{out}"
        );
    }

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
    }
}
