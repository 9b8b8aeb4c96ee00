//! The errors transforms give about a record: they name the field and what
//! is wrong with it (its type, a limit), never the record's content.

use faucet_core::FaucetError;
use faucet_core::Record;
use faucet_core::connector::ValueRef;

/// A record's field is not what the transform needs.
pub(crate) fn field_error(path: &str, message: impl Into<String>) -> FaucetError {
    FaucetError::decode(format!("field `{path}`"), message.into())
}

/// The record is not a JSON object, so it has no fields to address.
pub(crate) fn not_an_object(record: &Record) -> FaucetError {
    let kind = match record.raw_json().and_then(|t| t.first()) {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(_) => "a number",
        None => match record.value() {
            Ok(v) if v.is_array() => "an array",
            Ok(v) if v.is_string() => "a string",
            Ok(v) if v.is_null() => "null",
            Ok(v) if v.is_boolean() => "a boolean",
            _ => "a number",
        },
    };
    FaucetError::decode("record", format!("the record is {kind}, not an object"))
}

/// `a string`, `an object`, …: a value's type for messages.
pub(crate) fn kind(value: &ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "null",
        ValueRef::Bool(_) => "a boolean",
        ValueRef::Number(_) => "a number",
        ValueRef::String(_) => "a string",
        ValueRef::Array(_) => "an array",
        ValueRef::Object(_) => "an object",
    }
}
