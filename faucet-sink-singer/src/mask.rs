//! Keeps the target's secrets out of every log line and error.
//!
//! The secrets are the values of the target's `config` at keys named like
//! credentials ([`is_secret_key`]: `password`, `token`, `private_key`, …,
//! at any depth, every string under such a key), the password of every URL
//! in it, and the values of `env` variables named like credentials. The
//! target's stderr and every message built from it pass through
//! [`Masker::mask`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use faucet_core::secrets::is_secret_key;
use faucet_core::serde_json::{Map, Value};

/// What replaces a secret.
pub(crate) const MASK: &str = "***";

/// Secrets shorter than this are not masked: masking every `1` or `ab`
/// would garble text while protecting nothing.
const MIN_SECRET_LEN: usize = 4;

/// The secret strings of one target, longest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// The secrets of a target's `config` and `env`.
    pub(crate) fn of(config: &Map<String, Value>, env: &BTreeMap<String, String>) -> Self {
        let mut masker = Self::default();
        masker.collect(config, false);
        for (name, value) in env {
            if is_secret_key(name) {
                masker.add(value);
            }
            masker.add_url_password(value);
        }
        masker.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        masker.secrets.dedup();
        masker
    }

    fn collect(&mut self, object: &Map<String, Value>, secret: bool) {
        for (key, value) in object {
            self.collect_value(value, secret || is_secret_key(key));
        }
    }

    fn collect_value(&mut self, value: &Value, secret: bool) {
        match value {
            Value::String(s) if secret => self.add(s),
            Value::String(s) => self.add_url_password(s),
            Value::Number(n) if secret => self.add(&n.to_string()),
            Value::Object(o) => self.collect(o, secret),
            Value::Array(items) => {
                for item in items {
                    self.collect_value(item, secret);
                }
            }
            _ => {}
        }
    }

    /// Adds `value`, and its last word (the credential of `Bearer abc`).
    fn add(&mut self, value: &str) {
        if let Some((_, last)) = value.trim().rsplit_once(' ') {
            self.add_one(last);
        }
        self.add_one(value);
        self.add_url_password(value);
    }

    fn add_one(&mut self, value: &str) {
        if value.len() >= MIN_SECRET_LEN && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_owned());
        }
    }

    fn add_url_password(&mut self, text: &str) {
        if let Some(password) = faucet_core::secrets::url_password(text) {
            self.add_one(password);
        }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faucet_core::serde_json::json;

    fn masker(config: Value, env: &[(&str, &str)]) -> Masker {
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Masker::of(config.as_object().unwrap(), &env)
    }

    #[test]
    fn masks_credentials_at_any_depth_urls_and_env() {
        let m = masker(
            json!({
                "user": "loader", "password": "pa55word",
                "auth": {"credentials": {"key": "deep-secret"}},
                "private_key": "Bearer tok-xyz-1",
                "url": "postgresql://loader:in-url-pw@db:5432/x",
                "pin": {"secret": 123456}
            }),
            &[("PGPASSWORD", "env-pw-1"), ("HOME", "/root")],
        );
        let text = "loader pa55word deep-secret tok-xyz-1 in-url-pw 123456 env-pw-1 /root";
        assert_eq!(m.mask(text), "loader *** *** *** *** *** *** /root");
    }

    #[test]
    fn short_values_and_plain_text_are_left_alone() {
        let m = masker(json!({"password": "ab", "host": "db"}), &[]);
        assert_eq!(m.mask("ab db"), "ab db");
        assert!(matches!(m.mask("nothing"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_holding_another_is_masked_whole() {
        let m = masker(json!({"token": "abcd", "password": "abcdefgh"}), &[]);
        assert_eq!(m.mask("abcdefgh"), "***");
    }
}
