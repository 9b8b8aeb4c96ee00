//! Reads `.env` files with `dotenvy`: `KEY=value` lines, `#` comments,
//! `export` prefixes, single and double quotes, and `${NAME}` expansion
//! from earlier lines and the environment.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;

/// Variables defined in a `.env` file (a later definition of a name wins).
/// The process environment is not changed.
pub(crate) fn read(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    let lines = dotenvy::from_path_iter(path)
        .with_context(|| format!("cannot read env file {}", path.display()))?;
    for item in lines {
        let (name, value) = item.with_context(|| format!("in env file {}", path.display()))?;
        vars.insert(name, value);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, text).unwrap();
        read(&path)
    }

    #[test]
    fn parses_comments_exports_quotes_and_expansion() {
        let vars = parse(
            "# a comment\nexport TOKEN=abc\nURL=\"http://x/?a=1#b\"\nP=\"/x\" # comment\n\
             NAME='it s' \nPLAIN=v # note\nFULL=\"${URL}/more\"\n\n",
        )
        .unwrap();
        assert_eq!(vars["TOKEN"], "abc");
        assert_eq!(vars["URL"], "http://x/?a=1#b");
        assert_eq!(vars["P"], "/x");
        assert_eq!(vars["NAME"], "it s");
        assert_eq!(vars["PLAIN"], "v");
        assert_eq!(vars["FULL"], "http://x/?a=1#b/more");
    }

    #[test]
    fn rejects_lines_without_equals_naming_the_file() {
        let err = format!("{:#}", parse("A=1\noops\n").unwrap_err());
        assert!(err.contains("in env file"), "{err}");
    }
}
