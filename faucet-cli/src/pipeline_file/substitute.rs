//! `${VAR}` and `${VAR:-default}` substitution in the string values of a
//! parsed pipeline file.
//!
//! Substitution happens on values, after parsing, so a variable's value is
//! always data: quotes, colons or `#` in a password cannot change the
//! file's structure. A string that is exactly one unquoted reference (
//! `per_page: ${PAGE_SIZE}`) takes the type its value would have in YAML,
//! so numbers and booleans work; a field that wants a string gets the
//! variable's text either way (`token: ${TOKEN}` with `TOKEN=12345` is the
//! string `"12345"`), and quoting (`'${TOKEN}'`) always keeps a string.
//! Inside a `{ … }` flow mapping YAML reads `{` as syntax, so references
//! there must be quoted. `$${` writes a literal `${`.

use std::collections::HashSet;

use serde_json::Value;

use super::dotenv::is_var_name;
use crate::secrets;

/// A problem found while substituting, at a path in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubstError {
    /// Dotted path of the value, e.g. `source.auth.token`.
    pub(crate) path: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// Looks variables up and remembers which references were quoted.
pub(crate) struct Substituter<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    quoted: HashSet<String>,
    typed: std::cell::RefCell<Vec<Retyped>>,
}

/// A value that an unquoted `${VAR}` turned into a number or boolean, with
/// the text it came from: a field that wants a string gets the text back
/// (see `build`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retyped {
    /// Dotted path of the value, e.g. `source.auth.token`.
    pub(crate) path: String,
    /// The substituted text, e.g. `12345`.
    pub(crate) text: String,
}

impl<'a> Substituter<'a> {
    /// A substituter reading variables through `lookup`; `raw` is the text
    /// of the file, used to tell quoted references from unquoted ones.
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>, raw: &str) -> Self {
        Self {
            lookup,
            quoted: quoted_references(raw),
            typed: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Substitutes every string in `value`, registering secrets on the way,
    /// and returns every problem found.
    pub(crate) fn apply(&self, value: &mut Value) -> Vec<SubstError> {
        let mut errors = Vec::new();
        self.walk(value, "", None, &mut errors);
        errors
    }

    /// The values that substitution made numbers or booleans.
    pub(crate) fn into_typed(self) -> Vec<Retyped> {
        self.typed.into_inner()
    }

    fn walk(&self, value: &mut Value, path: &str, key: Option<&str>, errors: &mut Vec<SubstError>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let here = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(v, &here, Some(k), errors);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.walk(v, &format!("{path}[{i}]"), key, errors);
                }
            }
            Value::String(text) => match self.expand(text, key) {
                Ok(Some((new, text))) => {
                    if !new.is_string() {
                        self.typed.borrow_mut().push(Retyped {
                            path: path.to_owned(),
                            text,
                        });
                    }
                    *value = new
                }
                Ok(None) => {}
                Err(message) => errors.push(SubstError {
                    path: path.to_owned(),
                    message,
                }),
            },
            _ => {}
        }
        if let (Value::String(text), Some(key)) = (&*value, key)
            && secrets::is_secret_key(key)
        {
            secrets::register(text);
        }
        if let Value::String(text) = &*value
            && let Some(password) = faucet_core::secrets::url_password(text)
        {
            secrets::register(password);
        }
    }

    /// The new value of `text` and its text, or `None` when it holds no
    /// reference.
    fn expand(&self, text: &str, key: Option<&str>) -> Result<Option<(Value, String)>, String> {
        if !text.contains('$') {
            return Ok(None);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut references = 0;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(body) = tail.strip_prefix("${") {
                let end = body
                    .find('}')
                    .ok_or_else(|| format!("unterminated `${{` in `{}`", preview(text)))?;
                out.push_str(&self.resolve(&body[..end], key)?);
                references += 1;
                rest = &body[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        let whole = references == 1 && text.starts_with("${") && text.ends_with('}');
        if whole && !self.quoted.contains(text) {
            return Ok(Some((typed_scalar(out.clone()), out)));
        }
        Ok(Some((Value::String(out.clone()), out)))
    }

    /// The value of one `NAME` or `NAME:-default` reference.
    fn resolve(&self, reference: &str, key: Option<&str>) -> Result<String, String> {
        let (name, default) = match reference.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (reference, None),
        };
        if !is_var_name(name) {
            return Err(format!(
                "`${{{reference}}}` is not a variable reference (use `${{NAME}}` or `${{NAME:-default}}`)"
            ));
        }
        let value = (self.lookup)(name).filter(|v| !(v.is_empty() && default.is_some()));
        match (value, default) {
            (Some(value), _) => {
                if secrets::is_secret_var(name) || key.is_some_and(secrets::is_secret_key) {
                    secrets::register(&value);
                }
                Ok(value)
            }
            (None, Some(default)) => Ok(default.to_owned()),
            (None, None) => Err(format!(
                "environment variable `{name}` is not set (set it, add it to .env, or write `${{{name}:-default}}`)"
            )),
        }
    }
}

/// A number or boolean when `text` reads as one in YAML, else a string.
fn typed_scalar(text: String) -> Value {
    match serde_saphyr::from_str::<Value>(&text) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        _ => Value::String(text),
    }
}

/// Every `${…}` reference that appears between quotes in `raw`.
fn quoted_references(raw: &str) -> HashSet<String> {
    let mut quoted = HashSet::new();
    let bytes = raw.as_bytes();
    let mut from = 0;
    while let Some(at) = raw[from..].find("${").map(|i| i + from) {
        let Some(end) = raw[at..].find('}').map(|i| i + at) else {
            break;
        };
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(end + 1).copied();
        if matches!(before, Some(b'"' | b'\'')) && before == after {
            quoted.insert(raw[at..=end].to_owned());
        }
        from = end + 1;
    }
    quoted
}

/// The start of a value, for messages (never a whole, possibly secret, value).
fn preview(text: &str) -> String {
    let cut: String = text.chars().take(24).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("tok-123456".into()),
            "PAGE" => Some("50".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn run(raw: &str, mut value: Value) -> (Value, Vec<SubstError>) {
        let errors = Substituter::new(&env, raw).apply(&mut value);
        (value, errors)
    }

    #[test]
    fn substitutes_defaults_types_and_escapes() {
        let raw = "a: ${PAGE}\nb: '${PAGE:-9}'\n";
        let (value, errors) = run(
            raw,
            json!({"a": "${PAGE}", "b": "${PAGE:-9}", "c": "x-${TOKEN}-y",
                   "d": "${MISSING:-7}", "e": "${EMPTY:-d}", "f": "$${PAGE} $5"}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            value,
            json!({"a": 50, "b": "50", "c": "x-tok-123456-y", "d": 7, "e": "d", "f": "${PAGE} $5"})
        );
    }

    #[test]
    fn a_missing_variable_is_named_with_its_path() {
        let (_, errors) = run("", json!({"source": {"auth": {"token": "${NOPE}"}}}));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "source.auth.token");
        assert!(
            errors[0].message.contains("`NOPE` is not set"),
            "{errors:?}"
        );
    }

    #[test]
    fn bad_references_are_errors() {
        let (_, errors) = run("", json!({"a": ["${oops", "${1X}"]}));
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].path, "a[0]");
        assert!(errors[0].message.contains("unterminated"));
    }

    #[test]
    fn secrets_are_registered_for_redaction() {
        let _ = run(
            "",
            json!({"auth": {"token": "${TOKEN}"}, "url": "postgres://u:hunter22@h/db"}),
        );
        assert_eq!(secrets::redact("tok-123456 hunter22"), "*** ***");
    }
}
