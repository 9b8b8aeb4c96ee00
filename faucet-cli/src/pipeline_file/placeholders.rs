//! Placeholders that `faucet init pipeline` writes for required values:
//! a file still holding one is not ready to run.

use serde_json::Value;

/// The text every placeholder starts with.
pub(crate) const PLACEHOLDER: &str = "FILL IN";

/// Adds an error for every string value in `value` that is still a
/// placeholder, at its path.
pub(crate) fn find_unfilled(value: &Value, path: &str, errors: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if text.starts_with(PLACEHOLDER) => errors.push((
            path.to_owned(),
            format!("still the placeholder \"{text}\" written by `faucet init`: replace it"),
        )),
        Value::Object(map) => {
            for (key, child) in map {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                find_unfilled(child, &here, errors);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find_unfilled(child, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_placeholders_at_their_paths() {
        let mut errors = Vec::new();
        let value =
            json!({"sink": {"url": "FILL IN: url", "key": ["id", "FILL IN: x"]}, "ok": "FILL"});
        find_unfilled(&value, "", &mut errors);
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["sink.url", "sink.key[1]"]);
    }
}
