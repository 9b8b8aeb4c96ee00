//! Reads `.env` files: `KEY=value` lines, `#` comments, optional `export`
//! prefix and quotes.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

/// Variables defined in a `.env` file, in the order of the file (a later
/// definition of a name wins).
pub(crate) fn read(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read env file {}", path.display()))?;
    parse(&text).with_context(|| format!("in env file {}", path.display()))
}

/// Parses the text of a `.env` file.
pub(crate) fn parse(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((name, value)) = line.split_once('=') else {
            bail!("line {}: expected `NAME=value`", index + 1);
        };
        let name = name.trim();
        if !is_var_name(name) {
            bail!("line {}: `{name}` is not a variable name", index + 1);
        }
        vars.insert(name.to_owned(), unquote(value.trim()));
    }
    Ok(vars)
}

/// Whether `name` is a valid variable name: a letter or `_`, then letters,
/// digits or `_`.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            let inner = &value[1..value.len() - 1];
            return if quote == '"' {
                inner.replace("\\n", "\n").replace("\\\"", "\"")
            } else {
                inner.to_owned()
            };
        }
    }
    // An unquoted value ends at a ` #` comment.
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_owned(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments_exports_and_quotes() {
        let vars = parse(
            "# a comment\nexport TOKEN=abc\nURL=\"http://x/?a=1#b\"\nNAME='it''s' \nPLAIN=v # note\n\n",
        )
        .unwrap();
        assert_eq!(vars["TOKEN"], "abc");
        assert_eq!(vars["URL"], "http://x/?a=1#b");
        assert_eq!(vars["NAME"], "it''s");
        assert_eq!(vars["PLAIN"], "v");
    }

    #[test]
    fn rejects_lines_without_equals_naming_the_line() {
        let err = parse("A=1\noops\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }
}
