//! One value in binary `COPY` format: a length prefix, then the type's
//! binary body.

use bytes::{BufMut, BytesMut};
use serde_json::Value;

use super::numeric::write_numeric;
use crate::config::NulRule;
use crate::schema::{PgType, parse_timestamp};

/// Writes `value` (already checked to fit) as a field of type `ty`.
/// Errors are messages about the value, to be placed by the caller.
pub(crate) fn write_value(
    ty: PgType,
    value: &Value,
    nul: NulRule,
    buf: &mut BytesMut,
) -> Result<(), String> {
    use PgType::*;
    match (ty, value) {
        (_, Value::Null) => buf.put_i32(-1),
        (Bool, Value::Bool(b)) => {
            buf.put_i32(1);
            buf.put_u8(u8::from(*b));
        }
        (Int2 | Int4 | Int8, Value::Number(n)) => {
            let i = n.as_i64().ok_or("not an integer")?;
            match ty {
                Int2 => {
                    buf.put_i32(2);
                    buf.put_i16(i16::try_from(i).map_err(|_| "out of range for smallint")?);
                }
                Int4 => {
                    buf.put_i32(4);
                    buf.put_i32(i32::try_from(i).map_err(|_| "out of range for integer")?);
                }
                _ => {
                    buf.put_i32(8);
                    buf.put_i64(i);
                }
            }
        }
        (Float4, Value::Number(n)) => {
            buf.put_i32(4);
            buf.put_f32(n.as_f64().ok_or("not a number")? as f32);
        }
        (Float8, Value::Number(n)) => {
            buf.put_i32(8);
            buf.put_f64(n.as_f64().ok_or("not a number")?);
        }
        (Numeric, Value::Number(n)) => {
            let at = reserve_len(buf);
            write_numeric(&n.to_string(), buf).ok_or("not a decimal number")?;
            patch_len(buf, at);
        }
        (Text, Value::String(s)) => write_text(s, nul, buf)?,
        (Text, other) => write_text(&other.to_string(), nul, buf)?,
        (Timestamptz | Timestamp, Value::String(s)) => {
            buf.put_i32(8);
            buf.put_i64(parse_timestamp(s).ok_or("not an RFC 3339 timestamp")?);
        }
        (Jsonb | Json, v) => write_json(v, ty == Jsonb, nul, buf)?,
        _ => return Err(format!("cannot be written as {}", ty.sql())),
    }
    Ok(())
}

fn reserve_len(buf: &mut BytesMut) -> usize {
    let at = buf.len();
    buf.put_i32(0);
    at
}

fn patch_len(buf: &mut BytesMut, at: usize) {
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn write_text(s: &str, nul: NulRule, buf: &mut BytesMut) -> Result<(), String> {
    if !s.contains('\0') {
        buf.put_i32(s.len() as i32);
        buf.put_slice(s.as_bytes());
        return Ok(());
    }
    match nul {
        NulRule::Error => Err("contains a NUL character, which PostgreSQL text cannot hold (set `nul: strip` to remove them)".to_owned()),
        NulRule::Strip => {
            let at = reserve_len(buf);
            for part in s.split('\0') {
                buf.put_slice(part.as_bytes());
            }
            patch_len(buf, at);
            Ok(())
        }
    }
}

/// Writes a value as `jsonb` (version byte 1, then JSON text) or `json`.
pub(crate) fn write_json(
    value: &Value,
    jsonb: bool,
    nul: NulRule,
    buf: &mut BytesMut,
) -> Result<(), String> {
    let at = reserve_len(buf);
    if jsonb {
        buf.put_u8(1);
    }
    let body = buf.len();
    serde_json::to_writer(buf.writer(), value).map_err(|e| e.to_string())?;
    if has_nul_escape(&buf[body..]) {
        // jsonb cannot hold \u0000: apply the rule to every string.
        match nul {
            NulRule::Error => {
                return Err("contains a NUL character, which PostgreSQL jsonb cannot hold (set `nul: strip` to remove them)".to_owned());
            }
            NulRule::Strip => {
                buf.truncate(body);
                serde_json::to_writer(buf.writer(), &strip_nul(value))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    patch_len(buf, at);
    Ok(())
}

/// Whether JSON text holds an escaped NUL (`\u0000` not preceded by an
/// escaping backslash).
fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json[i + 1..].starts_with(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

fn strip_nul(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace('\0', "")),
        Value::Array(items) => Value::Array(items.iter().map(strip_nul).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.replace('\0', ""), strip_nul(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(ty: PgType, v: Value, nul: NulRule) -> Result<Vec<u8>, String> {
        let mut buf = BytesMut::new();
        write_value(ty, &v, nul, &mut buf).map(|()| buf.to_vec())
    }

    #[test]
    fn fixed_width_types() {
        assert_eq!(
            enc(PgType::Int8, json!(-2), NulRule::Strip).unwrap(),
            [0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254]
        );
        assert_eq!(
            enc(PgType::Bool, json!(true), NulRule::Strip).unwrap(),
            [0, 0, 0, 1, 1]
        );
        assert_eq!(
            enc(PgType::Int4, json!(null), NulRule::Strip).unwrap(),
            [255, 255, 255, 255]
        );
        assert!(enc(PgType::Int2, json!(70000), NulRule::Strip).is_err());
    }

    #[test]
    fn nul_is_stripped_or_refused() {
        assert_eq!(
            enc(PgType::Text, json!("a\0b"), NulRule::Strip).unwrap(),
            [0, 0, 0, 2, b'a', b'b']
        );
        assert!(enc(PgType::Text, json!("a\0b"), NulRule::Error).is_err());
        let stripped = enc(PgType::Jsonb, json!({"k": ["x\0y"]}), NulRule::Strip).unwrap();
        assert_eq!(&stripped[5..], br#"{"k":["xy"]}"#);
        assert!(enc(PgType::Jsonb, json!({"k": "\0"}), NulRule::Error).is_err());
        // An escaped backslash followed by the text u0000 is not a NUL.
        let literal = enc(PgType::Jsonb, json!("\\u0000"), NulRule::Error).unwrap();
        assert_eq!(&literal[5..], br#""\\u0000""#);
    }
}
