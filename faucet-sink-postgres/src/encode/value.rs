//! One value in binary `COPY` format: a length prefix, then the type's
//! binary body, written from the record's field view (numbers from their
//! exact text, nested values from their raw JSON text).

use bytes::{BufMut, BytesMut};
use faucet_core::connector::ValueRef;

use super::nul;
use super::numeric::write_numeric;
use crate::config::NulRule;
use crate::schema::exact::survives;
use crate::schema::{PgType, parse_timestamp};

/// How values are written: the settings that change an encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) nul: NulRule,
    /// Numbers and booleans go into `text` columns as their JSON text
    /// (`type_conflict: text`); otherwise they conflict with `text`.
    pub(crate) scalars_as_text: bool,
}

/// Writes `value` as a field of type `ty`. Fails, with a message about
/// the value for the caller to place, when the value does not fit the
/// type as it is (the caller asks [`fit`](crate::schema::fit) whether the
/// column can widen) or cannot be written at all. A failed write may
/// leave bytes behind: the caller drops the row.
pub(crate) fn write_value(
    ty: PgType,
    value: &ValueRef<'_>,
    rules: Rules,
    buf: &mut BytesMut,
) -> Result<(), String> {
    use PgType::*;
    match (ty, value) {
        (_, ValueRef::Null) => buf.put_i32(-1),
        (Bool, ValueRef::Bool(b)) => {
            buf.put_i32(1);
            buf.put_u8(u8::from(*b));
        }
        (Int2 | Int4 | Int8, ValueRef::Number(n)) => {
            let i = n
                .as_i64()
                .ok_or("is not an integer in the range of bigint")?;
            match ty {
                Int2 => {
                    buf.put_i32(2);
                    buf.put_i16(i16::try_from(i).map_err(|_| "is out of range for smallint")?);
                }
                Int4 => {
                    buf.put_i32(4);
                    buf.put_i32(i32::try_from(i).map_err(|_| "is out of range for integer")?);
                }
                _ => {
                    buf.put_i32(8);
                    buf.put_i64(i);
                }
            }
        }
        (Float4, ValueRef::Number(n)) => {
            let f = n.as_f64().map(|f| f as f32).filter(|f| f.is_finite());
            buf.put_i32(4);
            buf.put_f32(f.ok_or("is beyond the range of real")?);
        }
        (Float8, ValueRef::Number(n)) => {
            let f = n
                .as_f64()
                .ok_or("is beyond the range of double precision")?;
            // Never round: a decimal with more digits than a double holds
            // is refused here, and the column widens to numeric.
            if !survives(&n.as_str(), f) {
                return Err("has more digits than double precision holds".into());
            }
            buf.put_i32(8);
            buf.put_f64(f);
        }
        (Numeric, ValueRef::Number(n)) => {
            let at = reserve_len(buf);
            write_numeric(&n.as_str(), buf).ok_or(
                "is beyond the range of numeric (at most 131072 digits before the point \
                 and 16383 after it)",
            )?;
            patch_len(buf, at);
        }
        (Text, ValueRef::String(s)) => nul::write_text(s, rules.nul, buf)?,
        (Text, ValueRef::Object(_) | ValueRef::Array(_)) => {
            // Nested values go into text as their JSON text, on one line.
            let at = reserve_len(buf);
            value.write_json(buf);
            patch_len(buf, at);
        }
        (Text, ValueRef::Number(_) | ValueRef::Bool(_)) if rules.scalars_as_text => {
            let at = reserve_len(buf);
            value.write_json(buf);
            patch_len(buf, at);
        }
        (Timestamptz | Timestamp, ValueRef::String(s)) => {
            buf.put_i32(8);
            buf.put_i64(parse_timestamp(s).ok_or("is not an RFC 3339 timestamp")?);
        }
        (Jsonb | Json, v) => write_json(ty == Jsonb, rules.nul, buf, |buf| v.write_json(buf))?,
        _ => return Err(format!("cannot be written as {}", ty.sql())),
    }
    Ok(())
}

/// Writes JSON text as a `jsonb` field (version byte 1, then the text)
/// or a `json` field; `write` appends the text, on one line. The NUL rule
/// applies to the text's `\u0000` escapes (`jsonb` cannot hold them;
/// `json` follows the same rule so that both types load alike).
pub(crate) fn write_json(
    jsonb: bool,
    nul: NulRule,
    buf: &mut BytesMut,
    write: impl FnOnce(&mut BytesMut),
) -> Result<(), String> {
    let at = reserve_len(buf);
    if jsonb {
        buf.put_u8(1);
    }
    let body = buf.len();
    write(buf);
    nul::check_json(buf, body, nul)?;
    patch_len(buf, at);
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

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::connector::Record;

    fn enc(ty: PgType, json: &str, nul: NulRule) -> Result<Vec<u8>, String> {
        let record = Record::from_json(format!(r#"{{"v": {json}}}"#)).unwrap();
        let (_, value) = record.fields().unwrap().next().unwrap().unwrap();
        let rules = Rules {
            nul,
            scalars_as_text: false,
        };
        let mut buf = BytesMut::new();
        write_value(ty, &value, rules, &mut buf).map(|()| buf.to_vec())
    }

    #[test]
    fn fixed_width_types() {
        assert_eq!(
            enc(PgType::Int8, "-2", NulRule::Strip).unwrap(),
            [0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254]
        );
        assert_eq!(
            enc(PgType::Bool, "true", NulRule::Strip).unwrap(),
            [0, 0, 0, 1, 1]
        );
        assert_eq!(
            enc(PgType::Int4, "null", NulRule::Strip).unwrap(),
            [255, 255, 255, 255]
        );
        assert!(enc(PgType::Int2, "70000", NulRule::Strip).is_err());
        assert!(enc(PgType::Int8, "9223372036854775808", NulRule::Strip).is_err());
        let err = enc(PgType::Float8, "1e400", NulRule::Strip).unwrap_err();
        assert!(err.contains("double precision"), "{err}");
        assert!(enc(PgType::Float4, "1e39", NulRule::Strip).is_err());
        let negative_zero = enc(PgType::Float8, "-0.0", NulRule::Strip).unwrap();
        assert_eq!(negative_zero[4..], (-0.0f64).to_be_bytes());
    }

    #[test]
    fn scalars_go_into_text_only_when_allowed() {
        assert!(enc(PgType::Text, "12", NulRule::Strip).is_err());
        let record = Record::from_json(r#"{"v": 1.50e400}"#).unwrap();
        let (_, value) = record.fields().unwrap().next().unwrap().unwrap();
        let rules = Rules {
            nul: NulRule::Error,
            scalars_as_text: true,
        };
        let mut buf = BytesMut::new();
        write_value(PgType::Text, &value, rules, &mut buf).unwrap();
        assert_eq!(&buf[4..], b"1.50e400");
    }

    #[test]
    fn nested_values_keep_their_text() {
        let text = enc(
            PgType::Text,
            r#"{"b": 1, "a": [1.10, "\u00e9"]}"#,
            NulRule::Error,
        );
        assert_eq!(&text.unwrap()[4..], br#"{"b": 1, "a": [1.10, "\u00e9"]}"#);
        let pretty = enc(
            PgType::Jsonb,
            "{\n  \"b\": 1,\n  \"a\": 2\n}",
            NulRule::Error,
        );
        assert_eq!(&pretty.unwrap()[4..], b"\x01{\"b\":1,\"a\":2}");
    }

    #[test]
    fn nul_is_stripped_or_refused() {
        assert_eq!(
            enc(PgType::Text, r#""a\u0000b""#, NulRule::Strip).unwrap(),
            [0, 0, 0, 2, b'a', b'b']
        );
        assert!(enc(PgType::Text, r#""a\u0000b""#, NulRule::Error).is_err());
        let stripped = enc(PgType::Jsonb, r#"{"k": ["x\u0000y"]}"#, NulRule::Strip).unwrap();
        assert_eq!(&stripped[5..], br#"{"k": ["xy"]}"#);
        assert_eq!(
            stripped[..4],
            (stripped.len() as i32 - 4).to_be_bytes(),
            "the length counts the stripped text"
        );
        assert!(enc(PgType::Jsonb, r#"{"k": "\u0000"}"#, NulRule::Error).is_err());
        // A string holding a NUL is escaped, then the rule applies.
        let string = enc(PgType::Json, r#""a\u0000""#, NulRule::Strip).unwrap();
        assert_eq!(&string[4..], br#""a""#);
        // An escaped backslash followed by the text u0000 is not a NUL.
        let literal = enc(PgType::Jsonb, r#"{"k": "\\u0000"}"#, NulRule::Error).unwrap();
        assert_eq!(&literal[5..], br#"{"k": "\\u0000"}"#);
    }
}
