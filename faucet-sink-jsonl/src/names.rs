//! Stream names in file names: the `{stream}` placeholder and the encoding
//! that keeps every name inside the output's directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use faucet_core::FaucetError;

/// The placeholder a `path` holds to write one file per stream.
pub(crate) const PLACEHOLDER: &str = "{stream}";

/// A `path` holding [`PLACEHOLDER`]: the file of each stream is the path
/// with the placeholder replaced by the stream's encoded name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathTemplate {
    text: String,
}

impl PathTemplate {
    /// The template of `path`, or `None` for a plain path (one file).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        let text = path.to_str()?;
        text.contains(PLACEHOLDER).then(|| Self {
            text: text.to_owned(),
        })
    }

    /// The file of `stream`.
    ///
    /// # Errors
    ///
    /// A sink error for an empty stream name, which has no file name.
    pub(crate) fn file(&self, stream: &str) -> Result<PathBuf, FaucetError> {
        if stream.is_empty() {
            return Err(FaucetError::sink_error(
                "a page names an empty stream, which has no file name",
            ));
        }
        Ok(PathBuf::from(
            self.text.replace(PLACEHOLDER, &encode(stream)),
        ))
    }

    /// The path with the placeholder replaced by `with` (used for the
    /// default state file).
    pub(crate) fn with(&self, with: &str) -> PathBuf {
        PathBuf::from(self.text.replace(PLACEHOLDER, with))
    }
}

/// A stream name as one safe file-name component: ASCII letters, digits,
/// `-`, `_` and `.` stay; every other byte of the name's UTF-8 (`/`, `\`,
/// `%`, NUL, spaces, `:`, non-ASCII letters, …) becomes `%XX`, and so does
/// a leading `.` (no hidden files, no `.` or `..`). The encoding is
/// one-to-one, so two streams never share a file.
pub(crate) fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, byte) in name.bytes().enumerate() {
        let keep =
            byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || (byte == b'.' && i > 0);
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_stay_one_component() {
        for (name, encoded) in [
            ("orders", "orders"),
            ("order_lines-2.v1", "order_lines-2.v1"),
            ("..", "%2E."),
            (".", "%2E"),
            (".hidden", "%2Ehidden"),
            ("../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"),
            ("/abs", "%2Fabs"),
            ("a\\b", "a%5Cb"),
            ("nul\0byte", "nul%00byte"),
            ("50%", "50%25"),
            ("a b:c", "a%20b%3Ac"),
            ("é", "%C3%A9"),
            ("{stream}", "%7Bstream%7D"),
        ] {
            assert_eq!(encode(name), encoded, "{name:?}");
            let component = Path::new(encoded);
            assert_eq!(component.components().count(), 1, "{name:?}");
            assert!(
                matches!(
                    component.components().next(),
                    Some(std::path::Component::Normal(_))
                ),
                "{name:?}"
            );
        }
    }

    #[test]
    fn distinct_names_get_distinct_encodings() {
        let names = ["a/b", "a%2Fb", "a%b", "a.b", ".ab", "%2Eab"];
        let encoded: std::collections::BTreeSet<_> = names.iter().map(|n| encode(n)).collect();
        assert_eq!(encoded.len(), names.len(), "{encoded:?}");
    }

    #[test]
    fn a_template_replaces_every_placeholder_and_plain_paths_have_none() {
        assert_eq!(PathTemplate::of(Path::new("out/records.jsonl")), None);
        let template = PathTemplate::of(Path::new("out/{stream}/{stream}.jsonl")).unwrap();
        assert_eq!(
            template.file("a/b").unwrap(),
            PathBuf::from("out/a%2Fb/a%2Fb.jsonl")
        );
        assert!(template.file("").is_err());
        assert_eq!(
            template.with("x"),
            PathBuf::from("out/x/x.jsonl"),
            "the state file's default"
        );
    }
}
