//! Replication keys: comparing them, the start value a run sends, and the
//! client-side filter.

use std::cmp::Ordering;

use chrono::{DateTime, SecondsFormat, Utc};
use faucet_core::FaucetError;
use serde_json::Value;

use crate::config::RestKeyFormat;

/// Records are kept when their key is after this value (or equal, when
/// `inclusive`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Threshold {
    pub(crate) value: Value,
    pub(crate) inclusive: bool,
}

impl Threshold {
    /// Whether a record with replication key `key` is kept. Keys that
    /// cannot be compared with the threshold are kept (never drop data on
    /// a guess).
    pub(crate) fn keeps(&self, key: &Value) -> bool {
        match compare(key, &self.value) {
            Some(Ordering::Greater) | None => true,
            Some(Ordering::Equal) => self.inclusive,
            Some(Ordering::Less) => false,
        }
    }
}

fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Orders two replication keys: numbers numerically, RFC 3339 strings as
/// instants, other strings lexically; `None` for mixed kinds.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => match (timestamp(x), timestamp(y)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => Some(x.cmp(y)),
        },
        _ => None,
    }
}

/// Whether `a` is strictly after `b`.
pub(crate) fn newer(a: &Value, b: &Value) -> bool {
    compare(a, b) == Some(Ordering::Greater)
}

fn not_a_time(value: &Value, why: &str) -> FaucetError {
    FaucetError::config(
        "incremental",
        format!(
            "replication key value {value} is not an RFC 3339 timestamp or epoch number; {why}"
        ),
    )
}

/// The value a run starts from: the stored maximum minus the lookback.
pub(crate) fn start_value(
    max: &Value,
    lookback_secs: u64,
    format: RestKeyFormat,
) -> Result<Value, FaucetError> {
    if lookback_secs == 0 {
        return Ok(max.clone());
    }
    match max {
        Value::String(s) => {
            let t = timestamp(s).ok_or_else(|| not_a_time(max, "`lookback_secs` needs one"))?;
            let earlier = t - chrono::Duration::seconds(lookback_secs as i64);
            Ok(Value::String(
                earlier.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ))
        }
        Value::Number(n) => {
            let step = if format == RestKeyFormat::EpochMillis {
                1000
            } else {
                1
            };
            let n = n
                .as_i64()
                .ok_or_else(|| not_a_time(max, "`lookback_secs` needs an integer"))?;
            Ok(Value::from(n - lookback_secs as i64 * step))
        }
        _ => Err(not_a_time(max, "`lookback_secs` needs one")),
    }
}

/// Writes the start value as the API expects it.
pub(crate) fn format_value(value: &Value, format: RestKeyFormat) -> Result<String, FaucetError> {
    let epoch = |v: &Value| -> Result<DateTime<Utc>, FaucetError> {
        match v {
            Value::String(s) => timestamp(s).ok_or_else(|| not_a_time(v, "cannot convert it")),
            Value::Number(n) => {
                let n = n
                    .as_i64()
                    .ok_or_else(|| not_a_time(v, "cannot convert it"))?;
                let t = if n > 100_000_000_000 {
                    DateTime::from_timestamp_millis(n)
                } else {
                    DateTime::from_timestamp(n, 0)
                };
                t.ok_or_else(|| not_a_time(v, "out of range"))
            }
            _ => Err(not_a_time(v, "cannot convert it")),
        }
    };
    Ok(match (format, value) {
        (RestKeyFormat::Raw, Value::String(s)) => s.clone(),
        (RestKeyFormat::Raw, other) => other.to_string(),
        (RestKeyFormat::Iso8601, v) => epoch(v)?.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        (RestKeyFormat::EpochSeconds, Value::Number(n)) => n.to_string(),
        (RestKeyFormat::EpochSeconds, v) => epoch(v)?.timestamp().to_string(),
        (RestKeyFormat::EpochMillis, Value::Number(n)) => n.to_string(),
        (RestKeyFormat::EpochMillis, v) => epoch(v)?.timestamp_millis().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_compare_by_kind() {
        assert_eq!(compare(&json!(2), &json!(10)), Some(Ordering::Less));
        assert_eq!(compare(&json!(2.5), &json!(2)), Some(Ordering::Greater));
        assert_eq!(
            compare(
                &json!("2024-01-01T01:00:00+01:00"),
                &json!("2024-01-01T00:00:00Z")
            ),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(&json!("b"), &json!("a")), Some(Ordering::Greater));
        assert_eq!(compare(&json!("1"), &json!(1)), None);
    }

    #[test]
    fn thresholds_are_strict_unless_inclusive() {
        let strict = Threshold {
            value: json!(5),
            inclusive: false,
        };
        assert!(!strict.keeps(&json!(5)) && strict.keeps(&json!(6)) && !strict.keeps(&json!(4)));
        let inclusive = Threshold {
            value: json!(5),
            inclusive: true,
        };
        assert!(inclusive.keeps(&json!(5)));
    }

    #[test]
    fn start_values_subtract_the_lookback_and_format() {
        let start = start_value(&json!("2024-01-01T00:10:00Z"), 120, RestKeyFormat::Raw).unwrap();
        assert_eq!(start, json!("2024-01-01T00:08:00Z"));
        assert_eq!(
            start_value(&json!(1000), 10, RestKeyFormat::EpochMillis).unwrap(),
            json!(-9000)
        );
        assert_eq!(
            format_value(&start, RestKeyFormat::EpochSeconds).unwrap(),
            "1704067680"
        );
        assert_eq!(
            format_value(&json!(1704067680), RestKeyFormat::Iso8601).unwrap(),
            "2024-01-01T00:08:00Z"
        );
        assert_eq!(
            format_value(&start, RestKeyFormat::EpochMillis).unwrap(),
            "1704067680000"
        );
        assert!(format_value(&json!("yesterday"), RestKeyFormat::EpochSeconds).is_err());
    }
}
