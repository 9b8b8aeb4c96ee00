//! SQL text: quoted identifiers and the statements the sink runs. Every
//! name that reaches SQL goes through [`Ident`], so a table or column name
//! cannot inject SQL.

use std::fmt;

/// A PostgreSQL identifier, always written double-quoted with inner quotes
/// doubled.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Ident(String);

/// PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes.
pub(crate) const MAX_IDENT_BYTES: usize = 63;

impl Ident {
    /// Checks `name`: non-empty, no NUL, at most 63 bytes (longer names
    /// would be silently truncated by the server).
    pub(crate) fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("is empty".to_owned());
        }
        if name.contains('\0') {
            return Err("contains a NUL character".to_owned());
        }
        if name.len() > MAX_IDENT_BYTES {
            return Err(format!("`{name}` is longer than {MAX_IDENT_BYTES} bytes"));
        }
        Ok(Self(name.to_owned()))
    }

    /// A record field name as a column. Over-long names are an error the
    /// caller reports with the record position.
    pub(crate) fn column(name: &str) -> Result<Self, String> {
        Self::new(name)
            .map_err(|m| format!("field name {m}; map it to a shorter column with `columns`"))
    }

    /// The name as given, unquoted.
    pub(crate) fn name(&self) -> &str {
        &self.0
    }

    /// This name with `suffix` appended, shortened (at a char boundary) to
    /// fit the identifier limit.
    pub(crate) fn suffixed(&self, suffix: &str) -> Self {
        let mut base = self.0.clone();
        while base.len() + suffix.len() > MAX_IDENT_BYTES {
            base.pop();
        }
        Self(base + suffix)
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        f.write_str(&self.0.replace('"', "\"\""))?;
        f.write_str("\"")
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `"schema"."table"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QualifiedName {
    pub(crate) schema: Ident,
    pub(crate) table: Ident,
}

impl QualifiedName {
    pub(crate) fn new(schema: &Ident, table: &Ident) -> Self {
        Self {
            schema: schema.clone(),
            table: table.clone(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

/// A comma-separated list of quoted identifiers, each prefixed by
/// `prefix` (e.g. `t.`).
pub(crate) fn list<'a>(prefix: &str, idents: impl IntoIterator<Item = &'a Ident>) -> String {
    idents
        .into_iter()
        .map(|i| format!("{prefix}{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement creating the state table.
pub(crate) fn state_table_sql(state: &QualifiedName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {state} (\
         pipeline text PRIMARY KEY, checkpoint jsonb, \
         updated_at timestamptz NOT NULL DEFAULT now())"
    )
}

/// A string literal, quotes doubled (for catalog lookups by name).
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_inner_quotes_doubled() {
        let nasty = Ident::new(r#"x"; DROP TABLE users; --"#).unwrap();
        assert_eq!(nasty.to_string(), r#""x""; DROP TABLE users; --""#);
        assert_eq!(Ident::new("a b").unwrap().to_string(), "\"a b\"");
        assert!(Ident::new("").is_err());
        assert!(Ident::new("a\0b").is_err());
        assert!(Ident::new(&"x".repeat(64)).is_err());
    }

    #[test]
    fn suffixes_keep_within_the_limit() {
        let long = Ident::new(&"é".repeat(31)).unwrap();
        let s = long.suffixed("__faucet_new");
        assert!(s.name().len() <= MAX_IDENT_BYTES);
        assert!(s.name().ends_with("__faucet_new"));
    }

    #[test]
    fn literals_double_quotes() {
        assert_eq!(literal("it's"), "'it''s'");
    }
}
