//! The schemas of the values transforms write: a cast's type, a digest, a
//! mask, a constant.

use faucet_core::serde_json::{Value, json};

use super::{annotations, may_be, type_of};
use crate::cast::CastTo;

/// `schema` with `null` added to its `type` when `input` allows `null`:
/// the transforms that write values leave `null` as it is.
fn or_null(mut schema: Value, input: &Value) -> Value {
    if !may_be(input, "null") {
        return schema;
    }
    if let Some(t) = schema.get("type").cloned() {
        schema["type"] = json!([t, "null"]);
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.push(Value::Null);
    }
    schema
}

/// The schema of a field `cast` to `to` whose value had schema `input`.
pub(crate) fn cast_schema(to: CastTo, input: &Value) -> Value {
    let mut schema = Value::Object(annotations(input));
    let (t, format) = match to {
        CastTo::Integer => ("integer", None),
        CastTo::Number => ("number", None),
        CastTo::String => ("string", None),
        CastTo::Boolean => ("boolean", None),
        CastTo::Timestamp => ("string", Some("date-time")),
    };
    schema["type"] = json!(t);
    if let Some(format) = format {
        schema["format"] = json!(format);
    }
    or_null(schema, input)
}

/// The schema of a field `hash` replaced, whose value had schema `input`:
/// 64 lowercase hex digits.
pub(crate) fn hash_schema(input: &Value) -> Value {
    let mut schema = Value::Object(annotations(input));
    schema["type"] = json!("string");
    schema["pattern"] = json!("^[0-9a-f]{64}$");
    or_null(schema, input)
}

/// The schema of a field `redact` masked with `mask`, whose value had
/// schema `input`.
pub(crate) fn redact_schema(mask: &str, input: &Value) -> Value {
    let mut schema = Value::Object(annotations(input));
    schema["type"] = json!("string");
    schema["enum"] = json!([mask]);
    or_null(schema, input)
}

/// The schema of a constant: its type and the value itself.
pub(crate) fn constant_schema(value: &Value) -> Value {
    json!({ "type": type_of(value), "const": value })
}
