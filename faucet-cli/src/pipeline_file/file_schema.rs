//! The JSON Schema of a whole pipeline file: the top level, with `source`
//! and `sink` as a choice between every registered connector's config.

use faucet_core::{ConnectorKind, Registry};
use serde_json::{Map, Value, json};

use super::spec::top_level_schema;

/// The schema of a pipeline file for the connectors in `registry` (for
/// editors: `# yaml-language-server: $schema=faucet.schema.json`).
pub(crate) fn pipeline_schema(registry: &Registry) -> Value {
    let mut root = top_level_schema().to_value();
    let mut defs = take_object(&mut root, "$defs");
    for (kind, key) in [
        (ConnectorKind::Source, "source"),
        (ConnectorKind::Sink, "sink"),
    ] {
        let variants = variants(registry, kind, key, &mut defs);
        let description = root["properties"][key]["description"].clone();
        root["properties"][key] = json!({ "description": description, "oneOf": variants });
    }
    let mut transforms = variants(registry, ConnectorKind::Transform, "transform", &mut defs);
    transforms.iter_mut().for_each(with_on_error);
    let description = root["properties"]["transforms"]["description"].clone();
    root["properties"]["transforms"] = json!({
        "description": description,
        "type": "array",
        "items": { "oneOf": transforms },
        "default": [],
    });
    if !defs.is_empty() {
        root["$defs"] = Value::Object(defs);
    }
    // `x-…` keys are ignored by faucet: a place for YAML anchors.
    root["patternProperties"] = json!({ "^x-": {} });
    root
}

/// Every registered connector of `kind` as a variant of its section.
fn variants(
    registry: &Registry,
    kind: ConnectorKind,
    role: &str,
    defs: &mut Map<String, Value>,
) -> Vec<Value> {
    registry
        .connectors()
        .into_iter()
        .filter(|info| info.kind == kind)
        .filter_map(|info| {
            let schema = registry.schema(kind, &info.name).ok()?.to_value();
            Some(variant(schema, &info.name, &info.description, role, defs))
        })
        .collect()
}

/// Adds the `on_error` key every `transforms:` item takes beside its
/// transform's own config.
fn with_on_error(variant: &mut Value) {
    let on_error = json!({
        "description": "What a record this transform fails on does: `fail` stops the run \
                        (pages before it stay durable), `skip` drops the record, counts it \
                        in the report and logs its position, `dead_letter` hands it to the \
                        sink's dead letters with its page (sinks that keep them: PostgreSQL, \
                        its `<table>_rejected` table). Default: `fail`.",
        "enum": ["fail", "skip", "dead_letter"],
        "default": "fail",
    });
    if let Some(props) = variant.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("on_error".into(), on_error);
    }
}

/// One connector's config schema with a `type` property added, its
/// definitions moved into `defs` under a prefix so names cannot collide.
fn variant(
    mut schema: Value,
    name: &str,
    description: &str,
    role: &str,
    defs: &mut Map<String, Value>,
) -> Value {
    let prefix = format!("{role}.{name}.");
    for (def_name, mut def) in take_object(&mut schema, "$defs") {
        prefix_refs(&mut def, &prefix);
        defs.insert(format!("{prefix}{def_name}"), def);
    }
    prefix_refs(&mut schema, &prefix);
    if let Some(obj) = schema.as_object_mut() {
        obj.remove("$schema");
        obj.insert("title".into(), Value::String(format!("{role} `{name}`")));
    }
    let type_property =
        json!({ "const": name, "description": format!("`{name}`: {description}.") });
    if schema.get("properties").is_some_and(Value::is_object) {
        schema["properties"]
            .as_object_mut()
            .map(|props| props.insert("type".into(), type_property));
        let required = schema
            .as_object_mut()
            .map(|obj| obj.entry("required").or_insert_with(|| json!([])));
        if let Some(Value::Array(required)) = required {
            required.insert(0, json!("type"));
        }
        schema
    } else {
        json!({
            "description": description,
            "properties": { "type": type_property },
            "required": ["type"],
            "allOf": [schema],
        })
    }
}

/// Rewrites `#/$defs/X` references to `#/$defs/{prefix}X`.
fn prefix_refs(node: &mut Value, prefix: &str) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), &*value) {
                    ("$ref", Value::String(target)) => {
                        if let Some(def) = target.strip_prefix("#/$defs/") {
                            *value = Value::String(format!("#/$defs/{prefix}{def}"));
                        }
                    }
                    _ => prefix_refs(value, prefix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| prefix_refs(v, prefix)),
        _ => {}
    }
}

fn take_object(node: &mut Value, key: &str) -> Map<String, Value> {
    match node.as_object_mut().and_then(|obj| obj.remove(key)) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::schema::undocumented_properties;

    #[test]
    fn every_property_is_documented_and_every_ref_resolves() {
        let schema = pipeline_schema(&crate::connectors::builtin());
        assert_eq!(undocumented_properties(&schema), Vec::<String>::new());
        let text = schema.to_string();
        for part in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schema["$defs"].get(name).is_some(), "dangling $ref {name}");
        }
        let sinks = schema["properties"]["sink"]["oneOf"].as_array().unwrap();
        assert!(
            sinks
                .iter()
                .any(|s| s["properties"]["type"]["const"] == "jsonl")
        );
        assert_eq!(schema["properties"]["transforms"]["type"], "array");
    }
}
