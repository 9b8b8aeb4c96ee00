//! Where a path of a pipeline file is in its YAML text, for messages:
//! `source.pagination.size` → line 5, column 57.
//!
//! The parsed value keeps no positions, so keys are looked up in the text:
//! each key of the path is searched for after its parent's, inside the
//! parent's block (lines indented deeper, or the rest of the parent's line
//! for a `{ … }` mapping). When a key cannot be found that way (an alias,
//! a `<<` merge, JSON with unusual layout) there is no location, never a
//! wrong one from another block.

/// The 1-based line and column of the key at `path` (`a.b[2].c`), if it
/// can be found. An index picks the item of a block list (`- …`) and is
/// found at its dash; an index into a flow list (`[a, b]`) is shown at the
/// list's key when it ends the path, and gives no location otherwise.
pub(crate) fn locate(raw: &str, path: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = raw.lines().collect();
    let segments: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    let mut at: Option<(usize, usize)> = None; // (line index, byte column)
    for (n, segment) in segments.iter().enumerate() {
        let mut parts = segment.split('[');
        let key = parts.next().unwrap_or_default();
        if !key.is_empty() {
            at = Some(find_key(&lines, at, key)?);
        }
        let last_segment = n + 1 == segments.len();
        for part in parts {
            let index: usize = part.trim_end_matches(']').parse().ok()?;
            match find_item(&lines, at?, index) {
                Some(item) => at = Some(item),
                None if last_segment => break,
                None => return None,
            }
        }
    }
    at.map(|(line, col)| (line + 1, col + 1))
}

/// The dash of item `index` of the block list under the key at `key`
/// (its items may be indented like the key or deeper); `None` for a flow
/// list, a list too short, or no list.
fn find_item(lines: &[&str], key: (usize, usize), index: usize) -> Option<(usize, usize)> {
    let (key_line, key_col) = key;
    let rest = lines[key_line].get(key_col..)?;
    let after_colon = rest.split_once(':')?.1.trim();
    if !after_colon.is_empty() && !after_colon.starts_with('#') {
        return None;
    }
    let key_indent = indent_of(lines[key_line]);
    let mut item_indent = None;
    let mut seen = 0;
    for (i, line) in lines.iter().enumerate().skip(key_line + 1) {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = indent_of(line);
        let dash = body == "-" || body.starts_with("- ");
        match item_indent {
            None if dash && indent >= key_indent => item_indent = Some(indent),
            None => return None,
            Some(items) if indent < items || (indent == items && !dash) => return None,
            Some(items) if indent > items => continue,
            Some(_) => seen += 1,
        }
        if seen == index {
            return Some((i, indent));
        }
    }
    None
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

    const LIST: &str = "source: {type: rest}\ntransforms:\n  - type: filter\n    where: a\n\
                        \x20 - type: rename\n    fields:\n      createdAt: 1\n\
                        \x20 -\n    type: filter\n    where: b\nsink:\n  keys: [a, b]\n";

    #[test]
    fn indices_pick_the_item_of_a_block_list() {
        assert_eq!(locate(LIST, "transforms[0].where"), Some((4, 5)));
        assert_eq!(locate(LIST, "transforms[2].where"), Some((10, 5)));
        assert_eq!(locate(LIST, "transforms[1].fields.createdAt"), Some((7, 7)));
        assert_eq!(locate(LIST, "transforms[1]"), Some((5, 3)));
        assert_eq!(locate(LIST, "transforms[1].where"), None);
        assert_eq!(locate(LIST, "transforms[3]"), Some((2, 1)));
        // A flow list: its key, for the last part of a path only.
        assert_eq!(locate(LIST, "sink.keys[1]"), Some((12, 3)));
        assert_eq!(locate(LIST, "sink.keys[1].x"), None);
        // Items indented like their key.
        let flush = "transforms:\n- type: a\n- type: b\n  where: x\nsink: {}\n";
        assert_eq!(locate(flush, "transforms[1].where"), Some((4, 3)));
    }
}
