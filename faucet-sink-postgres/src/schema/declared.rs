//! Column types from a declared JSON Schema (`Page::schema`: a Singer
//! `SCHEMA` message, a transform's output schema), preferred to sampling:
//! a column gets its declared type even when the first records hold null
//! in it, or do not hold it at all.

use serde_json::Value;

use super::PgType;

/// The declared properties of an object schema, in the schema's order,
/// each with the column type it declares (`None`: not a type the sink
/// reads from a schema, e.g. `{}`; the records decide).
pub(crate) fn declared_columns(schema: &Value, timestamps: bool) -> Vec<(&str, Option<PgType>)> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| (name.as_str(), column_type(property, timestamps)))
        .collect()
}

/// The type a property declares:
///
/// | JSON Schema | column |
/// |---|---|
/// | `integer` | `bigint` (a value beyond it widens the column to `numeric`) |
/// | `number`, or `integer` and `number` | `numeric` (exact: no number is rounded) |
/// | `boolean` | `boolean` |
/// | `string` with `format: date-time` | `timestamptz` (`text` with `timestamps: false`) |
/// | any other `string` | `text` |
/// | `object`, `array`, or several other types | `jsonb` |
///
/// `null` beside a type (`["null", "integer"]`, `anyOf` with `{"type":
/// "null"}`) only makes the column nullable, which every column is.
fn column_type(property: &Value, timestamps: bool) -> Option<PgType> {
    let mut types = Vec::new();
    collect_types(property, &mut types, 0);
    types.retain(|t| *t != "null");
    types.sort_unstable();
    types.dedup();
    let date_time = format_of(property) == Some("date-time");
    Some(match types.as_slice() {
        [] => return None,
        ["integer"] => PgType::Int8,
        ["number"] | ["integer", "number"] => PgType::Numeric,
        ["boolean"] => PgType::Bool,
        ["string"] if date_time && timestamps => PgType::Timestamptz,
        ["string"] => PgType::Text,
        _ => PgType::Jsonb,
    })
}

/// The `type`s a schema allows, through `anyOf` / `oneOf` branches.
fn collect_types<'a>(schema: &'a Value, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 8 {
        return;
    }
    match schema.get("type") {
        Some(Value::String(t)) => out.push(t),
        Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(Value::as_str)),
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_types(branch, out, depth + 1);
        }
    }
}

/// The `format` of a string schema, also inside an `anyOf` branch.
fn format_of(schema: &Value) -> Option<&str> {
    schema.get("format").and_then(Value::as_str).or_else(|| {
        ["anyOf", "oneOf"].iter().find_map(|key| {
            schema
                .get(key)?
                .as_array()?
                .iter()
                .find_map(|b| b.get("format").and_then(Value::as_str))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ty(property: Value) -> Option<PgType> {
        column_type(&property, true)
    }

    #[test]
    fn singer_shapes_map_to_their_columns() {
        assert_eq!(ty(json!({"type": ["null", "integer"]})), Some(PgType::Int8));
        assert_eq!(ty(json!({"type": "number"})), Some(PgType::Numeric));
        assert_eq!(
            ty(json!({"type": ["integer", "number", "null"]})),
            Some(PgType::Numeric)
        );
        assert_eq!(ty(json!({"type": "boolean"})), Some(PgType::Bool));
        assert_eq!(
            ty(json!({"type": ["null", "string"], "format": "date-time"})),
            Some(PgType::Timestamptz)
        );
        assert_eq!(
            ty(json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})),
            Some(PgType::Timestamptz)
        );
        assert_eq!(
            column_type(&json!({"type": "string", "format": "date-time"}), false),
            Some(PgType::Text)
        );
        assert_eq!(
            ty(json!({"type": "string", "format": "date"})),
            Some(PgType::Text)
        );
        assert_eq!(ty(json!({"type": ["object", "null"]})), Some(PgType::Jsonb));
        assert_eq!(ty(json!({"type": "array"})), Some(PgType::Jsonb));
        assert_eq!(
            ty(json!({"type": ["string", "integer"]})),
            Some(PgType::Jsonb)
        );
        assert_eq!(ty(json!({})), None);
        assert_eq!(ty(json!({"type": "null"})), None);
        assert_eq!(ty(json!(true)), None);
    }

    #[test]
    fn properties_keep_the_schema_order() {
        let schema = json!({"type": "object", "properties": {
            "b": {"type": "integer"}, "a": {"type": "string"}, "c": {}
        }});
        let columns = declared_columns(&schema, true);
        assert_eq!(
            columns,
            [
                ("b", Some(PgType::Int8)),
                ("a", Some(PgType::Text)),
                ("c", None)
            ]
        );
        assert!(declared_columns(&json!({"type": "string"}), true).is_empty());
    }
}
