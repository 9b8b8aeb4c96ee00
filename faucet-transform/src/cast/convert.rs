//! The conversions of `cast`, one per target type. Errors complete "is a
//! string that …" and never quote the value.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use faucet_core::connector::*;

/// The result of a conversion.
pub(super) enum Cast {
    /// The value is of the type already: keep its text.
    Same,
    /// A new value.
    Value(Value),
    /// A new value as JSON text (numbers that keep every digit).
    Text(Record),
}

type Converted = std::result::Result<Cast, String>;

/// JSON number text, checked: `Some` when `text` is one JSON number.
fn number_text(text: &str) -> Option<Record> {
    let text = text.trim();
    let starts = text
        .bytes()
        .next()
        .is_some_and(|b| b == b'-' || b.is_ascii_digit());
    if !starts {
        return None;
    }
    Record::from_json(text.as_bytes().to_vec())
        .ok()
        .filter(|r| r.raw_json().is_some_and(|t| t.len() == text.len()))
}

pub(super) fn to_integer(value: &ValueRef<'_>) -> Converted {
    match value {
        ValueRef::Number(n) if n.is_integer() => Ok(Cast::Same),
        ValueRef::Number(n) => whole(n.as_f64()).ok_or_else(|| "has a fraction".to_owned()),
        ValueRef::String(s) => match number_text(s) {
            Some(number) if !s.trim().bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) => {
                Ok(Cast::Text(number))
            }
            Some(_) => whole(s.trim().parse().ok()).ok_or_else(|| "has a fraction".to_owned()),
            None => Err("does not hold an integer".to_owned()),
        },
        ValueRef::Bool(b) => Ok(Cast::Value(Value::from(i64::from(*b)))),
        _ => Err("cannot become an integer".to_owned()),
    }
}

/// An `f64` without a fraction, in `i64` range, as an integer.
fn whole(f: Option<f64>) -> Option<Cast> {
    let f = f?;
    (f.fract() == 0.0 && f.abs() < 9.2e18).then(|| Cast::Value(Value::from(f as i64)))
}

pub(super) fn to_number(value: &ValueRef<'_>) -> Converted {
    match value {
        ValueRef::Number(_) => Ok(Cast::Same),
        ValueRef::String(s) => number_text(s)
            .map(Cast::Text)
            .ok_or_else(|| "does not hold a JSON number".to_owned()),
        ValueRef::Bool(b) => Ok(Cast::Value(Value::from(i64::from(*b)))),
        _ => Err("cannot become a number".to_owned()),
    }
}

pub(super) fn to_string(value: &ValueRef<'_>) -> Converted {
    Ok(match value {
        ValueRef::String(_) => Cast::Same,
        ValueRef::Number(n) => Cast::Value(Value::String(n.as_str().into_owned())),
        ValueRef::Bool(b) => Cast::Value(Value::String(b.to_string())),
        other => {
            let mut text = Vec::new();
            other.write_json(&mut text);
            Cast::Value(Value::String(String::from_utf8_lossy(&text).into_owned()))
        }
    })
}

pub(super) fn to_boolean(value: &ValueRef<'_>) -> Converted {
    let b = match value {
        ValueRef::Bool(_) => return Ok(Cast::Same),
        ValueRef::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => return Err("is not true/false, yes/no or 1/0".to_owned()),
        },
        ValueRef::Number(n) => match n.as_i64() {
            Some(1) => true,
            Some(0) => false,
            _ => return Err("is not 1 or 0".to_owned()),
        },
        _ => return Err("cannot become a boolean".to_owned()),
    };
    Ok(Cast::Value(Value::Bool(b)))
}

pub(super) fn to_timestamp(value: &ValueRef<'_>, format: Option<&str>) -> Converted {
    let time = match value {
        ValueRef::String(s) => parse_time(s.trim(), format).ok_or_else(|| match format {
            Some(f) => format!("does not match the timestamp format `{f}`"),
            None => "is not an RFC 3339 timestamp".to_owned(),
        })?,
        ValueRef::Number(n) => {
            let secs = n.as_f64().ok_or("is out of range for a timestamp")?;
            let nanos = (secs.fract() * 1e9).round() as u32;
            DateTime::<Utc>::from_timestamp(secs.floor() as i64, nanos)
                .filter(|_| secs.abs() < 1e14)
                .ok_or("is out of range for a timestamp")?
        }
        _ => return Err("cannot become a timestamp".to_owned()),
    };
    // RFC 3339 has four-digit years: later (or negative) ones would be
    // written `+33658-…`, which no reader of RFC 3339 takes.
    if !(0..=9999).contains(&time.year()) {
        return Err("is a time outside the years 0 to 9999 of RFC 3339".to_owned());
    }
    let text = time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    if value.as_str() == Some(text.as_str()) {
        return Ok(Cast::Same);
    }
    Ok(Cast::Value(Value::String(text)))
}

fn parse_time(s: &str, format: Option<&str>) -> Option<DateTime<Utc>> {
    let Some(format) = format else {
        return DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc());
    };
    if let Ok(t) = DateTime::parse_from_str(s, format) {
        return Some(t.to_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, format)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}
