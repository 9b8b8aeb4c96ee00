//! The config-error check.

use std::panic::AssertUnwindSafe;

use serde_json::Value;

use super::ConformanceReport;
use crate::error::{FaucetError, Result};

/// A bad config for [`check_config_errors`], with the path its error must
/// name.
///
/// - `(json!({"page_size": 0}), "page_size")`: the error must name exactly
///   `page_size` (preferred: it also proves the path is the right one);
/// - `json!({"page_size": 0})` alone: the error must name some path.
///
/// serde reports a missing field at the object holding it, with the
/// field's name in the message (``missing field `x` ``); the kit counts
/// that as naming `object.x`.
pub trait BadConfig {
    /// The config to build the connector from.
    fn config(&self) -> &Value;
    /// The dotted path the error must name, or `None` for "any path".
    fn expected_path(&self) -> Option<&str>;
}

impl BadConfig for Value {
    fn config(&self) -> &Value {
        self
    }
    fn expected_path(&self) -> Option<&str> {
        None
    }
}

impl BadConfig for (Value, &str) {
    fn config(&self) -> &Value {
        &self.0
    }
    fn expected_path(&self) -> Option<&str> {
        Some(self.1)
    }
}

/// Checks that building a connector from each bad config returns a
/// [`FaucetError::Config`] naming the path of the bad value (see
/// [`BadConfig`]), rather than succeeding, panicking or returning another
/// error. `build` is what your `register` function gives the registry,
/// e.g. `|v| parse_config(v).and_then(MySource::new)`.
pub fn check_config_errors<T, C: BadConfig>(
    build: impl Fn(Value) -> Result<T>,
    bad_configs: &[C],
) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    for (i, case) in bad_configs.iter().enumerate() {
        let name = format!("rejects bad config #{i}");
        let config = case.config();
        let result = match std::panic::catch_unwind(AssertUnwindSafe(|| build(config.clone()))) {
            Err(_) => Err(format!("panicked on {config}")),
            Ok(Ok(_)) => Err(format!("accepted {config}")),
            Ok(Err(FaucetError::Config { path, message, .. })) => {
                names_path(&path, &message, case.expected_path())
                    .map_err(|why| format!("{config}: {why} (the error: `{path}`: {message})"))
            }
            Ok(Err(other)) => Err(format!("{config}: not a config error: {other}")),
        };
        report.record(&name, result);
    }
    report
}

/// Whether a config error at `path` with `message` names `expected` (or,
/// when `None`, any path).
fn names_path(path: &str, message: &str, expected: Option<&str>) -> Result<(), String> {
    let named = named_path(path, message);
    match expected {
        None if named.is_empty() => Err("the error names no path".to_owned()),
        None => Ok(()),
        Some(expected) if named == expected => Ok(()),
        Some(expected) => Err(format!("the error names `{named}`, expected `{expected}`")),
    }
}

/// The path an error names: its path, extended by the field serde names
/// in a "missing field"/"unknown field" message when the path stops at the
/// object holding it.
fn named_path(path: &str, message: &str) -> String {
    let field = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match field {
        Some(field) if path.is_empty() => field.to_owned(),
        // serde_path_to_error already ends the path of an unknown field
        // with its name.
        Some(field) if path == field || path.ends_with(&format!(".{field}")) => path.to_owned(),
        Some(field) => format!("{path}.{field}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_field_messages_name_the_field_under_the_path() {
        assert_eq!(named_path("", "missing field `path`"), "path");
        assert_eq!(
            named_path("http", "unknown field `tmeout`, expected one of `timeout`"),
            "http.tmeout"
        );
        assert_eq!(
            named_path("http.tmeout", "unknown field `tmeout`, expected `timeout`"),
            "http.tmeout"
        );
        assert_eq!(named_path("page_size", "must be at least 1"), "page_size");
        assert_eq!(named_path("", "invalid type: integer"), "");
    }
}
