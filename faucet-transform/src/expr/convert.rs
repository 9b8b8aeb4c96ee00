//! Values between records and CEL: a field's value into CEL, an
//! expression's result into JSON.

use std::sync::Arc;

use cel::objects::Key;
use faucet_core::connector::*;

/// A field's value as a CEL value. Integers become `int` (or `uint` above
/// `i64`); other numbers `double`. Fails, naming no content, for a number
/// beyond a double (`1e400`).
pub(super) fn to_cel(value: &ValueRef<'_>) -> std::result::Result<cel::Value, String> {
    Ok(match value {
        ValueRef::Null => cel::Value::Null,
        ValueRef::Bool(b) => cel::Value::Bool(*b),
        ValueRef::String(s) => cel::Value::String(Arc::new(s.to_string())),
        ValueRef::Number(n) => {
            // A fraction or an exponent goes straight to a double, without
            // two integer parses failing first.
            let int = match n.is_integer() {
                true => {
                    (n.as_i64().map(cel::Value::Int)).or_else(|| n.as_u64().map(cel::Value::UInt))
                }
                false => None,
            };
            match int.or_else(|| n.as_f64().map(cel::Value::Float)) {
                Some(value) => value,
                None => return Err("is a number beyond the range of a double".to_owned()),
            }
        }
        ValueRef::Array(nested) | ValueRef::Object(nested) => {
            let tree = nested
                .to_value()
                .map_err(|_| "holds a number beyond the range of a double".to_owned())?;
            cel::to_value(&tree).map_err(|_| "cannot be read by an expression".to_owned())?
        }
    })
}

/// An expression's result as JSON; fails for what JSON cannot hold (bytes,
/// functions, an infinite double).
pub(crate) fn to_json(value: &cel::Value) -> std::result::Result<Value, String> {
    Ok(match value {
        cel::Value::Null => Value::Null,
        cel::Value::Bool(b) => Value::Bool(*b),
        cel::Value::Int(i) => Value::from(*i),
        cel::Value::UInt(u) => Value::from(*u),
        cel::Value::Float(f) => faucet_core::serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("the expression gave an infinite or NaN number")?,
        cel::Value::String(s) => Value::String(s.to_string()),
        cel::Value::List(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        cel::Value::Map(map) => {
            let mut entries: Vec<(String, Value)> = map
                .map
                .iter()
                .map(|(k, v)| Ok((key_text(k), to_json(v)?)))
                .collect::<std::result::Result<_, String>>()?;
            // A CEL map has no order; sorted keys keep outputs the same
            // from run to run.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => {
            return Err(format!(
                "the expression gave {}, which JSON cannot hold",
                other.type_of()
            ));
        }
    })
}

fn key_text(key: &Key) -> String {
    match key {
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
        Key::String(s) => s.to_string(),
    }
}
