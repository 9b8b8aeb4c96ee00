//! Masking: the values of the tap's secret-looking config keys and
//! environment variables never appear in what faucet prints.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use faucet_core::secrets::is_secret_key;
use faucet_core::serde_json::{Map, Value};

/// What secret values are replaced with.
pub(crate) const MASK: &str = "******";

/// Replaces every known secret value in text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Masker {
    /// Longest first, so a secret holding another is masked whole.
    secrets: Arc<[String]>,
}

impl Masker {
    /// The secrets of a tap's `config` and `env`: values (strings and
    /// numbers, at any depth) under secret-looking keys.
    pub(crate) fn of(config: &Map<String, Value>, env: &BTreeMap<String, String>) -> Self {
        let mut secrets = Vec::new();
        for (key, value) in config {
            collect(key, value, false, &mut secrets);
        }
        for (key, value) in env {
            if is_secret_key(key) && !value.is_empty() {
                secrets.push(value.clone());
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self {
            secrets: secrets.into(),
        }
    }

    /// `text` with every secret replaced by [`MASK`].
    pub(crate) fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in self.secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }

    /// Bytes shown as text (lossy), masked.
    pub(crate) fn mask_bytes(&self, bytes: &[u8]) -> String {
        self.mask(&String::from_utf8_lossy(bytes)).into_owned()
    }
}

/// Collects values under secret keys; `secret` when an enclosing key was.
fn collect(key: &str, value: &Value, secret: bool, out: &mut Vec<String>) {
    let secret = secret || is_secret_key(key);
    match value {
        Value::String(s) if secret && !s.is_empty() => {
            out.push(s.clone());
            // The tap may print the value JSON-escaped.
            let escaped = Value::String(s.clone()).to_string();
            let escaped = &escaped[1..escaped.len() - 1];
            if escaped != s {
                out.push(escaped.to_owned());
            }
        }
        Value::Number(n) if secret => out.push(n.to_string()),
        Value::Object(map) => map.iter().for_each(|(k, v)| collect(k, v, secret, out)),
        Value::Array(items) => items.iter().for_each(|v| collect(key, v, secret, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::serde_json::json;

    #[test]
    fn nested_and_escaped_secrets_are_masked() {
        let mut c = crate::SingerSourceConfig::new("t");
        c.config.insert("password".into(), json!("p\"w"));
        c.config.insert(
            "auth".into(),
            json!({"client_secret": "abc-xyz", "user": "me"}),
        );
        c.config.insert("credentials".into(), json!({"key": "k-1"}));
        let m = Masker::of(&c.config, &c.env);
        assert_eq!(m.mask("pw is p\"w or p\\\"w"), "pw is ****** or ******");
        assert_eq!(m.mask("abc-xyz and k-1 by me"), "****** and ****** by me");
        assert!(matches!(m.mask("nothing here"), Cow::Borrowed(_)));
    }
}
