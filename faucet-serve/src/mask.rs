//! Keeps the secrets of a spec out of everything the server says.

use serde_json::Value;

/// What replaces a secret.
pub(crate) const MASK: &str = "***";

/// Secrets shorter than this are not masked: masking every `1` would
/// garble the output while protecting nothing.
const MIN_SECRET_LEN: usize = 4;

/// Replaces known secret values in text and JSON.
#[derive(Clone, Default)]
pub(crate) struct Masker {
    /// Longest first, so a secret containing another is masked whole.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Masker({} secrets)", self.secrets.len())
    }
}

impl Masker {
    /// A masker of `secrets` (and of the last word of each, the
    /// credential in `Bearer abc…`).
    pub(crate) fn new(secrets: &[String]) -> Self {
        let mut all: Vec<String> = Vec::new();
        for secret in secrets {
            let mut add = |s: &str| {
                if s.len() >= MIN_SECRET_LEN && !all.iter().any(|k| k == s) {
                    all.push(s.to_owned());
                }
            };
            add(secret);
            if let Some((_, last)) = secret.trim().rsplit_once(' ') {
                add(last);
            }
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets: all }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// `value` with every secret inside its strings replaced by `***`.
    pub(crate) fn json(&self, value: &mut Value) {
        if self.secrets.is_empty() {
            return;
        }
        match value {
            Value::String(s) => *s = self.text(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            _ => {}
        }
    }
}

/// Every string value under a key named like a credential, at any depth.
pub(crate) fn secrets_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if faucet_core::secrets::is_secret_key(key) {
                    strings(inner, out);
                } else {
                    secrets_in(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| secrets_in(v, out)),
        _ => {}
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_under_credential_keys_are_found_and_masked() {
        let spec = json!({"auth": {"token": "Bearer s3cr3t-value", "token_url": "https://x"},
                          "headers": [{"authorization": "abcd1234"}], "page_size": 10});
        let mut found = Vec::new();
        secrets_in(&spec, &mut found);
        assert_eq!(found, ["Bearer s3cr3t-value", "abcd1234"]);
        let masker = Masker::new(&found);
        assert_eq!(
            masker.text("got s3cr3t-value and abcd1234"),
            "got *** and ***"
        );
        let mut value = json!({"error": ["at Bearer s3cr3t-value"]});
        masker.json(&mut value);
        assert_eq!(value, json!({"error": ["at ***"]}));
    }

    #[test]
    fn short_values_are_not_masked() {
        assert_eq!(Masker::new(&["ab".into()]).text("abc"), "abc");
    }
}
