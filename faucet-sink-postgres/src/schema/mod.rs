//! Column types: what PostgreSQL type a JSON value wants, whether a value
//! fits a column, and which widenings are lossless.

pub(crate) mod declared;
pub(crate) mod exact;
pub(crate) mod plan;

pub(crate) use plan::{Change, plan_changes};

use faucet_core::connector::ValueRef;

use crate::config::TypeConflict;

/// The column types the sink reads and writes (binary `COPY` formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Timestamptz,
    Timestamp,
    Jsonb,
    Json,
}

impl PgType {
    /// The type's name in DDL.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Bool => "boolean",
            Self::Int2 => "smallint",
            Self::Int4 => "integer",
            Self::Int8 => "bigint",
            Self::Float4 => "real",
            Self::Float8 => "double precision",
            Self::Numeric => "numeric",
            Self::Text => "text",
            Self::Timestamptz => "timestamptz",
            Self::Timestamp => "timestamp",
            Self::Jsonb => "jsonb",
            Self::Json => "json",
        }
    }

    /// Reads `format_type()` output; `None` for types the sink cannot
    /// write.
    pub(crate) fn from_catalog(name: &str) -> Option<Self> {
        let base = name.split('(').next().unwrap_or(name).trim();
        Some(match base {
            "boolean" => Self::Bool,
            "smallint" => Self::Int2,
            "integer" => Self::Int4,
            "bigint" => Self::Int8,
            "real" => Self::Float4,
            "double precision" => Self::Float8,
            "numeric" => Self::Numeric,
            "text" | "character varying" => Self::Text,
            "timestamp with time zone" => Self::Timestamptz,
            "timestamp without time zone" => Self::Timestamp,
            "jsonb" => Self::Jsonb,
            "json" => Self::Json,
            _ => return None,
        })
    }

    fn is_integer(self) -> bool {
        matches!(self, Self::Int2 | Self::Int4 | Self::Int8)
    }
}

/// The type a new column gets for `value`; `None` for `null`. Integers
/// beyond `bigint`, numbers beyond `double precision` (`1e400`) and
/// decimals with more digits than it holds get `numeric`, which holds them
/// exactly: no number is rounded on its way in.
pub(crate) fn infer(value: &ValueRef<'_>, timestamps: bool) -> Option<PgType> {
    Some(match value {
        ValueRef::Null => return None,
        ValueRef::Bool(_) => PgType::Bool,
        ValueRef::Number(n) if n.is_integer() && n.as_i64().is_some() => PgType::Int8,
        ValueRef::Number(n) if n.is_integer() || !exact::survives_f64(&n.as_str()) => {
            PgType::Numeric
        }
        ValueRef::Number(_) => PgType::Float8,
        ValueRef::String(s) if timestamps && parse_timestamp(s).is_some() => PgType::Timestamptz,
        ValueRef::String(_) => PgType::Text,
        ValueRef::Array(_) | ValueRef::Object(_) => PgType::Jsonb,
    })
}

/// The narrowest type holding both `a` and `b` without loss, if any.
pub(crate) fn merge(a: PgType, b: PgType) -> Option<PgType> {
    use PgType::*;
    Some(match (a, b) {
        _ if a == b => a,
        (Jsonb, _) | (_, Jsonb) => return None,
        (x, y) if x.is_integer() && y.is_integer() => {
            if x == Int8 || y == Int8 {
                Int8
            } else {
                Int4
            }
        }
        (x, Float8 | Float4) | (Float8 | Float4, x) if x.is_integer() => Float8,
        (Float4, Float8) | (Float8, Float4) => Float8,
        (x, Numeric) | (Numeric, x) if x.is_integer() || matches!(x, Float4 | Float8) => Numeric,
        (Timestamptz, Text) | (Text, Timestamptz) => Text,
        _ => return None,
    })
}

/// Whether a value fits a column as it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fit {
    /// Encode it.
    Yes,
    /// The column must first become this type (lossless, or allowed by
    /// the `type_conflict` setting).
    Widen(PgType),
    /// The value cannot go in this column: the reason.
    No(String),
}

/// The end of a type-conflict error: the option that resolves it (none
/// for dead letters, which are already set aside).
fn resolve(policy: TypeConflict) -> &'static str {
    match policy {
        TypeConflict::Error => {
            "; set `type_conflict: text` or `jsonb` to widen the column, \
             or `dead_letter` to set such records aside"
        }
        _ => "",
    }
}

/// How `value` fits a column of type `col` under the conflict policy.
/// A number beyond `double precision` (`1e400`) never becomes infinity:
/// it conflicts with a float column like any value that does not fit.
pub(crate) fn fit(col: PgType, value: &ValueRef<'_>, policy: TypeConflict) -> Fit {
    use PgType::*;
    let ok = match (col, value) {
        (_, ValueRef::Null) | (Jsonb | Json, _) => true,
        (Bool, ValueRef::Bool(_)) => true,
        (Int2 | Int4 | Int8, ValueRef::Number(n)) => {
            let needed = match n.as_i64().filter(|_| n.is_integer()) {
                Some(i) if i16::try_from(i).is_ok() => Int2,
                Some(i) if i32::try_from(i).is_ok() => Int4,
                Some(_) => Int8,
                None if n.is_integer() || n.as_f64().is_none() => Numeric,
                None => Float8,
            };
            match merge(col, needed) {
                Some(t) if t == col => true,
                Some(t) => return Fit::Widen(t),
                None => false,
            }
        }
        (Float4 | Float8, ValueRef::Number(n))
            if n.as_f64().is_some_and(|f| !exact::survives(&n.as_str(), f)) =>
        {
            // A float column would round it: widen to numeric, as for an
            // integer beyond bigint.
            return Fit::Widen(Numeric);
        }
        (Float4 | Float8, ValueRef::Number(n)) => {
            let finite = n
                .as_f64()
                .is_some_and(|f| col == Float8 || (f as f32).is_finite());
            if !finite && matches!(policy, TypeConflict::Error | TypeConflict::DeadLetter) {
                return Fit::No(format!(
                    "is beyond the range of {}{}",
                    col.sql(),
                    resolve(policy)
                ));
            }
            finite
        }
        (Numeric, ValueRef::Number(_)) => true,
        // Objects and arrays go into `text` as their JSON text, as into `jsonb`.
        (Text, ValueRef::String(_) | ValueRef::Object(_) | ValueRef::Array(_)) => true,
        (Text, _) => policy == TypeConflict::Text,
        (Timestamptz | Timestamp, ValueRef::String(s)) => {
            if parse_timestamp(s).is_some() {
                true
            } else if policy == TypeConflict::Error || policy == TypeConflict::DeadLetter {
                return Fit::No(format!("is not an RFC 3339 timestamp{}", resolve(policy)));
            } else {
                false
            }
        }
        _ => false,
    };
    if ok {
        return Fit::Yes;
    }
    match policy {
        TypeConflict::Text => Fit::Widen(Text),
        TypeConflict::Jsonb => Fit::Widen(Jsonb),
        TypeConflict::Error | TypeConflict::DeadLetter => Fit::No(format!(
            "does not fit a column of type {}{}",
            col.sql(),
            resolve(policy)
        )),
    }
}

/// Microseconds since 2000-01-01T00:00:00Z (PostgreSQL's epoch) of an
/// RFC 3339 timestamp.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
    // Cheap shape check first: most strings are not timestamps.
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(t.timestamp_micros() - PG_EPOCH_MICROS)
}

/// A value's JSON text shortened for messages (at most 80 bytes).
pub(crate) fn short(value: &ValueRef<'_>) -> String {
    let mut text = Vec::new();
    value.write_json(&mut text);
    shorten(String::from_utf8_lossy(&text).into_owned())
}

/// Text cut to at most 80 bytes (at a character boundary) for messages.
pub(crate) fn shorten(mut s: String) -> String {
    if s.len() > 80 {
        let mut end = 77;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::connector::Record;
    use serde_json::{Value, json};

    /// Calls `f` with the field view of `value` in a text record.
    fn with<T>(value: Value, f: impl FnOnce(&ValueRef<'_>) -> T) -> T {
        let record = Record::from_json(format!(r#"{{"v": {value}}}"#)).unwrap();
        let (_, v) = record.fields().unwrap().next().unwrap().unwrap();
        f(&v)
    }

    fn infer_v(value: Value, timestamps: bool) -> Option<PgType> {
        with(value, |v| infer(v, timestamps))
    }

    fn fit_v(col: PgType, value: Value, policy: TypeConflict) -> Fit {
        with(value, |v| fit(col, v, policy))
    }

    fn fit_text(col: PgType, text: &str, policy: TypeConflict) -> Fit {
        let record = Record::from_json(format!(r#"{{"v": {text}}}"#)).unwrap();
        let (_, v) = record.fields().unwrap().next().unwrap().unwrap();
        fit(col, &v, policy)
    }

    #[test]
    fn numbers_beyond_floats_never_become_infinity() {
        let strict = TypeConflict::Error;
        let Fit::No(reason) = fit_text(PgType::Float8, "1e400", strict) else {
            panic!("1e400 does not fit double precision");
        };
        assert!(reason.contains("type_conflict"), "{reason}");
        assert_eq!(
            fit_text(PgType::Float8, "1e400", TypeConflict::Text),
            Fit::Widen(PgType::Text)
        );
        assert!(matches!(
            fit_text(PgType::Float4, "1e39", strict),
            Fit::No(_)
        ));
        assert_eq!(fit_text(PgType::Numeric, "1e400", strict), Fit::Yes);
        assert_eq!(
            fit_text(PgType::Int8, "123456789012345678901234567890", strict),
            Fit::Widen(PgType::Numeric)
        );
        assert_eq!(fit_text(PgType::Int8, "-0", strict), Fit::Yes);
        let record = Record::from_json(r#"{"a": 1e400, "b": 99999999999999999999999}"#).unwrap();
        let types: Vec<_> = record
            .fields()
            .unwrap()
            .map(|f| infer(&f.unwrap().1, true))
            .collect();
        assert_eq!(types, [Some(PgType::Numeric), Some(PgType::Numeric)]);
    }

    #[test]
    fn infers_column_types() {
        assert_eq!(infer_v(json!(1), true), Some(PgType::Int8));
        assert_eq!(infer_v(json!(u64::MAX), true), Some(PgType::Numeric));
        assert_eq!(infer_v(json!(1.5), true), Some(PgType::Float8));
        assert_eq!(
            infer_v(json!("2024-01-02T03:04:05Z"), true),
            Some(PgType::Timestamptz)
        );
        assert_eq!(
            infer_v(json!("2024-01-02T03:04:05Z"), false),
            Some(PgType::Text)
        );
        assert_eq!(infer_v(json!({"a": 1}), true), Some(PgType::Jsonb));
        assert_eq!(infer_v(json!(null), true), None);
    }

    #[test]
    fn widens_only_losslessly_unless_configured() {
        let strict = TypeConflict::Error;
        assert_eq!(
            fit_v(PgType::Int8, json!(1.5), strict),
            Fit::Widen(PgType::Float8)
        );
        assert_eq!(
            fit_v(PgType::Int8, json!(u64::MAX), strict),
            Fit::Widen(PgType::Numeric)
        );
        assert_eq!(
            fit_v(PgType::Int4, json!(1_i64 << 40), strict),
            Fit::Widen(PgType::Int8)
        );
        assert_eq!(fit_v(PgType::Float8, json!(3), strict), Fit::Yes);
        assert!(matches!(
            fit_v(PgType::Int8, json!("x"), strict),
            Fit::No(_)
        ));
        assert_eq!(
            fit_v(PgType::Int8, json!("x"), TypeConflict::Jsonb),
            Fit::Widen(PgType::Jsonb)
        );
        assert_eq!(
            fit_v(PgType::Bool, json!(1), TypeConflict::Text),
            Fit::Widen(PgType::Text)
        );
        assert_eq!(fit_v(PgType::Text, json!(1), TypeConflict::Text), Fit::Yes);
        assert_eq!(fit_v(PgType::Jsonb, json!("x"), strict), Fit::Yes);
        assert_eq!(fit_v(PgType::Text, json!({"a": [1]}), strict), Fit::Yes);
        assert_eq!(fit_v(PgType::Text, json!([1, 2]), strict), Fit::Yes);
        let Fit::No(reason) = fit_v(PgType::Bool, json!("true"), strict) else {
            panic!("a string does not fit boolean");
        };
        assert!(
            !reason.contains("true"),
            "the value is printed by the caller: {reason}"
        );
        assert!(reason.contains("type_conflict: text"), "{reason}");
    }

    #[test]
    fn timestamps_count_from_the_postgres_epoch() {
        assert_eq!(parse_timestamp("2000-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2000-01-01T01:00:00.5+01:00"),
            Some(500_000)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
