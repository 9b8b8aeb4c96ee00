//! Field paths (`a.b.c`) and the tree of paths a transform addresses, so
//! one pass over a record finds every field it touches.

use faucet_core::FaucetError;
use faucet_core::Result;
use faucet_core::record::RawField;

/// A field path from the record's root: keys separated by `.`; a key that
/// holds a dot writes it as `\.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    keys: Vec<String>,
    text: String,
}

impl FieldPath {
    /// Parses `text`; `at` is the config path named by errors.
    pub(crate) fn parse(text: &str, at: &str) -> Result<Self, FaucetError> {
        let mut keys = vec![String::new()];
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.as_str().starts_with('.') => {
                    chars.next();
                    keys.last_mut().expect("one key").push('.');
                }
                '.' => keys.push(String::new()),
                c => keys.last_mut().expect("one key").push(c),
            }
        }
        if keys.iter().any(String::is_empty) {
            return Err(config_error(
                at,
                format!(
                    "`{text}` is not a field path: keys are separated by single dots and none is empty"
                ),
            ));
        }
        Ok(Self {
            keys,
            text: text.to_owned(),
        })
    }

    /// The keys from the root.
    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The path as written in the config, for messages.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

/// The paths a transform addresses, as a tree of keys; each path's end
/// holds the transform's action for it.
#[derive(Debug)]
pub(crate) struct PathTree<A> {
    pub(crate) children: Vec<(String, Node<A>)>,
}

/// One key of a [`PathTree`]: the action of a path ending here, and the
/// paths going on below it.
#[derive(Debug)]
pub(crate) struct Node<A> {
    pub(crate) action: Option<A>,
    pub(crate) below: PathTree<A>,
}

impl<A> Default for PathTree<A> {
    fn default() -> Self {
        Self {
            children: Vec::new(),
        }
    }
}

impl<A> PathTree<A> {
    /// Adds `action` at `path`. A path that is a prefix of another acts on
    /// the whole field: its action wins over the paths below it.
    pub(crate) fn insert(&mut self, path: &FieldPath, action: A) {
        let mut tree = self;
        let (last, parents) = path.keys().split_last().expect("a path has a key");
        for key in parents {
            tree = &mut tree.entry(key).below;
        }
        tree.entry(last).action = Some(action);
    }

    fn entry(&mut self, key: &str) -> &mut Node<A> {
        let at = match self.children.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                self.children.push((
                    key.to_owned(),
                    Node {
                        action: None,
                        below: PathTree::default(),
                    },
                ));
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }

    /// The node of `key`, if a path goes through it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node<A>> {
        self.children.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    /// The place among the children of the key of `field` (a field of a
    /// text record, its key compared as written: no key is made), trying
    /// `*next` first and setting it to the place after the match: records
    /// usually have their fields in the order the config names them, so a
    /// pass over a record compares each key once.
    #[inline]
    pub(crate) fn find_field(
        &self,
        field: &RawField<'_>,
        next: &mut usize,
    ) -> Result<Option<usize>> {
        if let Some((k, _)) = self.children.get(*next)
            && field.key_is(k)?
        {
            *next += 1;
            return Ok(Some(*next - 1));
        }
        for (at, (k, _)) in self.children.iter().enumerate() {
            // The hinted child was tried above.
            if at != *next && field.key_is(k)? {
                *next = at + 1;
                return Ok(Some(at));
            }
        }
        Ok(None)
    }

    /// Whether no path was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

/// A config error at `path`.
pub(crate) fn config_error(path: &str, message: impl Into<String>) -> FaucetError {
    FaucetError::config(path.to_owned(), message.into())
}

/// Parses every path of a config list, naming `field[i]` in errors, and
/// refuses an empty list.
pub(crate) fn parse_paths(texts: &[String], field: &str) -> Result<Vec<FieldPath>, FaucetError> {
    if texts.is_empty() {
        return Err(config_error(field, "name at least one field"));
    }
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| FieldPath::parse(t, &format!("{field}[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_on_dots_and_keep_escaped_ones() {
        let path = FieldPath::parse(r"a.b\.c.d", "fields[0]").unwrap();
        assert_eq!(path.keys(), ["a", "b.c", "d"]);
        assert_eq!(path.as_str(), r"a.b\.c.d");
        for bad in ["", "a..b", ".a", "a."] {
            let err = FieldPath::parse(bad, "fields[3]").unwrap_err();
            assert!(
                matches!(&err, FaucetError::Config { path, .. } if path == "fields[3]"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_shorter_path_and_a_longer_one_share_a_node() {
        let mut tree = PathTree::default();
        tree.insert(&FieldPath::parse("a.b", "x").unwrap(), 1);
        tree.insert(&FieldPath::parse("a", "x").unwrap(), 2);
        let a = tree.get("a").unwrap();
        assert_eq!(a.action, Some(2));
        assert_eq!(a.below.get("b").unwrap().action, Some(1));
        assert!(tree.get("b").is_none());
    }
}
