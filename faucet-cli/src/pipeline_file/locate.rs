//! Where a path of a pipeline file is in its YAML text, for messages:
//! `source.pagination.size` → line 5, column 57.
//!
//! The parsed value keeps no positions, so keys are looked up in the text:
//! each key of the path is searched for after its parent's, inside the
//! parent's block (lines indented deeper, or the rest of the parent's line
//! for a `{ … }` mapping). When a key cannot be found that way (an alias,
//! a `<<` merge, JSON with unusual layout) there is no location, never a
//! wrong one from another block.

/// The 1-based line and column of the key at `path` (`a.b[2].c`; indices
/// are skipped), if it can be found.
pub(crate) fn locate(raw: &str, path: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = raw.lines().collect();
    let mut at: Option<(usize, usize)> = None; // (line index, byte column)
    for key in path.split('.').map(|s| s.split('[').next().unwrap_or(s)) {
        if key.is_empty() {
            continue;
        }
        at = Some(find_key(&lines, at, key)?);
    }
    at.map(|(line, col)| (line + 1, col + 1))
}

/// The key's position after `parent` (the key found for the parent), in
/// the parent's block.
fn find_key(lines: &[&str], parent: Option<(usize, usize)>, key: &str) -> Option<(usize, usize)> {
    let (first, from, indent) = match parent {
        None => (0, 0, None),
        Some((line, col)) => (line, col + 1, Some(indent_of(lines[line]))),
    };
    for (index, line) in lines.iter().enumerate().skip(first) {
        let start = if index == first {
            from.min(line.len())
        } else {
            0
        };
        let body = line.trim_start();
        let content = index != first && !body.is_empty() && !body.starts_with('#');
        if content && indent.is_some_and(|parent| indent_of(line) <= parent) {
            return None;
        }
        if let Some(col) = key_in(&line[start..], key) {
            return Some((index, start + col));
        }
    }
    None
}

/// The column of `key:` in `text`, at a key boundary.
fn key_in(text: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(key).map(|i| i + from) {
        let before = text[..found].chars().next_back();
        let after = text[found + key.len()..].trim_start_matches(['"', '\'']);
        let boundary = before.is_none_or(|c| matches!(c, ' ' | '{' | ',' | '"' | '\'' | '-'));
        if boundary && after.trim_start().starts_with(':') {
            return Some(found);
        }
        from = found + key.len();
    }
    None
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "source:\n  type: rest\n  auth:\n    kind: bearer\n  \
                        pagination: {kind: page_number, size: ten}\nsink:\n  token: x\n";

    #[test]
    fn finds_block_and_flow_keys_in_their_parent_only() {
        assert_eq!(locate(FILE, "source.pagination.size"), Some((5, 35)));
        assert_eq!(locate(FILE, "source.auth.kind"), Some((4, 5)));
        assert_eq!(locate(FILE, "sink"), Some((6, 1)));
        // `token` is in `sink`, not in `source.auth`.
        assert_eq!(locate(FILE, "source.auth.token"), None);
    }
}
