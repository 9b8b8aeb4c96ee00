//! Paths into a JSON document: RFC 9535 JSONPath (`$.data[-1].id`,
//! `$.items[*].rows`, `$..next`, filters), the dotted shorthand
//! (`meta.next`, `data.items.1.id`) as sugar, or a JSON Pointer
//! (`/a/b/0/c`).
//!
//! JSONPath is evaluated by `serde_json_path`, a maintained RFC 9535
//! implementation (it passes the JSONPath compliance test suite), on a
//! tree of the whole page. Paths made only of names and indices (negative
//! ones too), by far the most common, are *simple*: a page whose paths are
//! all simple is read without a tree ([`super::scan`]), and on a tree they
//! are walked directly. Tests keep the two routes equal.

use serde_json::Value;

/// One step of a simple path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Segment {
    /// An object key (also an array index when it is a number).
    Key(String),
    /// An array index.
    Index(usize),
    /// An array index counted from the end: `1` is the last item.
    FromEnd(usize),
}

impl Segment {
    /// Whether this step selects item `i` of an array of `len` items.
    pub(crate) fn selects_item(&self, i: usize, len: usize) -> bool {
        item_index(self, len) == Some(i)
    }
}

#[derive(Debug, Clone)]
enum Kind {
    /// Names and indices only: walked directly.
    Simple(Vec<Segment>),
    /// Anything else RFC 9535 allows. `singular` when the query can
    /// select at most one node; `items_of` when the query is `P[*]` (or
    /// `P.*`) with `P` simple: `P`'s steps.
    Full {
        query: serde_json_path::JsonPath,
        singular: bool,
        items_of: Option<Vec<Segment>>,
    },
}

/// A parsed path. The empty path (`""`, `$`) is the whole document.
#[derive(Debug, Clone)]
pub(crate) struct JsonPath {
    text: String,
    kind: Kind,
}

impl JsonPath {
    /// Parses a JSONPath, the dotted shorthand or a JSON Pointer; the error
    /// says what the path language does not accept, and where.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let kind = if let Some(pointer) = text.strip_prefix('/') {
            Kind::Simple(
                pointer
                    .split('/')
                    .map(|s| Segment::Key(s.replace("~1", "/").replace("~0", "~")))
                    .collect(),
            )
        } else if let Some(segments) = parse_simple(text) {
            Kind::Simple(segments)
        } else {
            let full = if text.starts_with('$') {
                text.to_owned()
            } else if text.starts_with('[') {
                format!("${text}")
            } else {
                format!("$.{text}")
            };
            let query = serde_json_path::JsonPath::parse(&full).map_err(|e| {
                format!(
                    "`{text}` is not a valid JSONPath (RFC 9535): {} at character {}",
                    e.message(),
                    e.position()
                )
            })?;
            Kind::Full {
                query,
                singular: is_singular(&full),
                items_of: items_of(text),
            }
        };
        Ok(Self {
            text: text.to_owned(),
            kind,
        })
    }

    /// `$`: the whole document.
    pub(crate) fn root() -> Self {
        Self {
            text: "$".to_owned(),
            kind: Kind::Simple(Vec::new()),
        }
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The steps of a simple path; `None` for a path that needs the full
    /// JSONPath language (and so a tree).
    pub(crate) fn segments(&self) -> Option<&[Segment]> {
        match &self.kind {
            Kind::Simple(segments) => Some(segments),
            Kind::Full { .. } => None,
        }
    }

    /// For a path `P[*]` (or `P.*`) with `P` simple, `P`'s steps: the path
    /// selects the items of the array at `P`.
    pub(crate) fn items_of(&self) -> Option<&[Segment]> {
        match &self.kind {
            Kind::Full {
                items_of: Some(segments),
                ..
            } => Some(segments),
            _ => None,
        }
    }

    /// Whether the path is the whole document.
    pub(crate) fn is_root(&self) -> bool {
        matches!(&self.kind, Kind::Simple(s) if s.is_empty())
    }

    /// Whether the path can select several values (a wildcard, slice,
    /// filter, union or descendant segment).
    pub(crate) fn is_multiple(&self) -> bool {
        matches!(
            &self.kind,
            Kind::Full {
                singular: false,
                ..
            }
        )
    }

    /// The value at the path; the first one when it selects several.
    pub(crate) fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        match &self.kind {
            Kind::Simple(segments) => walk(segments, value),
            Kind::Full { query, .. } => query.query(value).first(),
        }
    }

    /// Every value the path selects, in document order.
    pub(crate) fn get_all<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        match &self.kind {
            Kind::Simple(segments) => walk(segments, value).into_iter().collect(),
            Kind::Full { query, .. } => query.query(value).all(),
        }
    }

    /// Moves the value at the path out of the document (leaving `null`),
    /// without copying it. For a path selecting several values, the first.
    pub(crate) fn take(&self, value: &mut Value) -> Option<Value> {
        match &self.kind {
            Kind::Simple(segments) => walk_mut(segments, value).map(Value::take),
            Kind::Full { .. } => {
                let first = self.locations(value).into_iter().next()?;
                walk_mut(&first, value).map(Value::take)
            }
        }
    }

    /// Moves every value the path selects out of the document, in document
    /// order. Values are moved, not copied, unless one selected value
    /// contains another (`$..rows`), where both are copied.
    pub(crate) fn take_all(&self, value: &mut Value) -> Vec<Value> {
        let Kind::Full { .. } = &self.kind else {
            return self.take(value).into_iter().collect();
        };
        let locations = self.locations(value);
        let mut sorted: Vec<&Vec<Segment>> = locations.iter().collect();
        sorted.sort();
        if sorted.windows(2).any(|w| w[1].starts_with(w[0])) {
            return self.get_all(value).into_iter().cloned().collect();
        }
        locations
            .iter()
            .filter_map(|at| walk_mut(at, value).map(Value::take))
            .collect()
    }

    /// Where the selected values are, as owned segments.
    fn locations(&self, value: &Value) -> Vec<Vec<Segment>> {
        let Kind::Full { query, .. } = &self.kind else {
            return Vec::new();
        };
        query
            .query_located(value)
            .locations()
            .map(|location| {
                location
                    .iter()
                    .map(|e| match e.as_index() {
                        Some(i) => Segment::Index(i),
                        None => Segment::Key(e.as_name().unwrap_or_default().to_owned()),
                    })
                    .collect()
            })
            .collect()
    }
}

/// The index `segment` selects in an array of `len` items.
fn item_index(segment: &Segment, len: usize) -> Option<usize> {
    match segment {
        Segment::Key(k) => k.parse().ok(),
        Segment::Index(i) => Some(*i),
        Segment::FromEnd(n) => len.checked_sub(*n),
    }
}

fn walk<'v>(segments: &[Segment], mut value: &'v Value) -> Option<&'v Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Key(k), Value::Object(map)) => map.get(k)?,
            (_, Value::Array(items)) => items.get(item_index(segment, items.len())?)?,
            _ => return None,
        };
    }
    Some(value)
}

fn walk_mut<'v>(segments: &[Segment], mut value: &'v mut Value) -> Option<&'v mut Value> {
    for segment in segments {
        value = match (segment, value) {
            (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (_, Value::Array(items)) => {
                let i = item_index(segment, items.len())?;
                items.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(value)
}

/// Names and indices only (`$.a.b[0]['c d']`, `a.b.0`, `$.a[-1]`), or
/// `None` when the path needs the full language.
fn parse_simple(text: &str) -> Option<Vec<Segment>> {
    let (mut rest, shorthand) = match text.strip_prefix('$') {
        Some(rest) => (rest, false),
        None => (text, true),
    };
    let mut segments = Vec::new();
    let mut first = true;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']')?;
            segments.push(bracket(&inner[..close])?);
            rest = &inner[close + 1..];
        } else {
            let name = match rest.strip_prefix('.') {
                Some(name) => name,
                None if shorthand && first => rest,
                None => return None,
            };
            let end = name.find(['.', '[']).unwrap_or(name.len());
            let key = &name[..end];
            // RFC 9535 names start with a letter or `_`; the shorthand also
            // takes numbers (indices or numeric keys) and dashes.
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || (shorthand && c == '-'));
            if !plain || (!shorthand && key.starts_with(|c: char| c.is_ascii_digit())) {
                return None;
            }
            segments.push(Segment::Key(key.to_owned()));
            rest = &name[end..];
        }
        first = false;
    }
    Some(segments)
}

/// The simple steps before a final `[*]` or `.*` of `text`. Not when a
/// step is a quoted name that reads as a number: RFC 9535 looks such a
/// name up in objects only, where a simple path also takes it as an index.
fn items_of(text: &str) -> Option<Vec<Segment>> {
    let prefix = text
        .strip_suffix("[*]")
        .or_else(|| text.strip_suffix(".*"))?;
    let prefix = if prefix.is_empty() { "$" } else { prefix };
    let segments = parse_simple(prefix)?;
    let numeric = |s: &Segment| matches!(s, Segment::Key(k) if k.parse::<usize>().is_ok());
    (!segments.iter().any(numeric)).then_some(segments)
}

/// A bracketed quoted name or index (RFC 9535 writes no `-0` and no
/// leading zero in a negative index; such text is left to the full parser,
/// which rejects it).
fn bracket(selector: &str) -> Option<Segment> {
    if let Some(digits) = selector.strip_prefix('-') {
        let valid = !digits.is_empty()
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit());
        return valid
            .then(|| digits.parse().ok().map(Segment::FromEnd))
            .flatten();
    }
    let quoted = selector
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| selector.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
    match quoted {
        Some(name) if !name.contains(['\\', '\'', '"']) => Some(Segment::Key(name.to_owned())),
        Some(_) => None,
        None if !selector.is_empty() && selector.bytes().all(|b| b.is_ascii_digit()) => {
            selector.parse().ok().map(Segment::Index)
        }
        None => None,
    }
}

/// Whether a valid RFC 9535 query is a singular query: no wildcard,
/// descendant, slice, filter or union (checked outside quoted names).
fn is_singular(query: &str) -> bool {
    let mut quote = None;
    let mut depth = 0u32;
    let mut previous = ' ';
    for c in query.chars() {
        match (quote, c) {
            (Some(q), c) if c == q && previous != '\\' => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => depth = depth.saturating_sub(1),
            (None, '*' | '?') => return false,
            (None, '.') if previous == '.' => return false,
            (None, ':' | ',') if depth > 0 => return false,
            _ => {}
        }
        previous = c;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_shorthand_and_pointer_find_the_same_value() {
        let doc = json!({"data": {"items": [{"id": 1}, {"id": 2}]}, "a/b": 3});
        for path in [
            "$.data.items[1].id",
            "data.items.1.id",
            "/data/items/1/id",
            "$['data'].items[1].id",
            "$.data.items[-1].id",
            "data.items[-1].id",
            "$.data.items[?@.id > 1].id",
        ] {
            let p = JsonPath::parse(path).unwrap();
            assert_eq!(p.get(&doc), Some(&json!(2)), "{path}");
        }
        assert_eq!(JsonPath::parse("/a~1b").unwrap().get(&doc), Some(&json!(3)));
        assert!(JsonPath::parse("$").unwrap().is_root());
        assert!(JsonPath::parse("").unwrap().is_root());
        assert_eq!(JsonPath::parse("missing.x").unwrap().get(&doc), None);
    }

    #[test]
    fn simple_paths_take_the_fast_path() {
        for path in [
            "$.data.items[1].id",
            "data.items.1.id",
            "$['x y'][0]",
            "meta.next",
            "$.data[-1].id",
            "data.items[-2]",
        ] {
            assert!(
                matches!(JsonPath::parse(path).unwrap().kind, Kind::Simple(_)),
                "{path}"
            );
        }
        for path in ["$..id", "$.a[*]", "$.a[0,1]", "$.a[1:]"] {
            assert!(
                matches!(JsonPath::parse(path).unwrap().kind, Kind::Full { .. }),
                "{path}"
            );
        }
        for (path, prefix) in [
            ("$.data[*]", 1),
            ("data.items[*]", 2),
            ("$[*]", 0),
            ("$.a[-1].*", 2),
        ] {
            let p = JsonPath::parse(path).unwrap();
            assert_eq!(p.items_of().map(<[Segment]>::len), Some(prefix), "{path}");
        }
        for path in ["$.a[*].b", "$['0'][*]", "$..a[*]", "$.a[*][*]"] {
            assert!(
                JsonPath::parse(path).unwrap().items_of().is_none(),
                "{path}"
            );
        }
        // Not RFC 9535 indices: left to the full parser.
        for path in ["$.a[-0]", "$.a[-01]"] {
            assert!(JsonPath::parse(path).map_or(true, |p| p.segments().is_none()));
        }
    }

    #[test]
    fn wildcards_and_unions_select_several() {
        let doc = json!({"a": [{"x": 1}, {"x": 2}, {"x": 3}]});
        let p = JsonPath::parse("$.a[*].x").unwrap();
        assert!(p.is_multiple());
        assert_eq!(p.get_all(&doc), vec![&json!(1), &json!(2), &json!(3)]);
        assert!(!JsonPath::parse("$.a[-1].x").unwrap().is_multiple());
        assert!(!JsonPath::parse("$['a*b']").unwrap().is_multiple());
        assert!(JsonPath::parse("$.a[0:2]").unwrap().is_multiple());
    }

    #[test]
    fn invalid_expressions_are_rejected_with_the_position() {
        for bad in ["$.data[", "$.a[?@.x ==]", "$$", "a..", "$.a[-]"] {
            let err = JsonPath::parse(bad).unwrap_err();
            assert!(err.contains("not a valid JSONPath"), "{bad}: {err}");
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn take_moves_without_cloning() {
        let mut doc = json!({"data": [1, 2, 3], "next": "x"});
        let taken = JsonPath::parse("data").unwrap().take(&mut doc).unwrap();
        assert_eq!(taken, json!([1, 2, 3]));
        assert_eq!(doc, json!({"data": null, "next": "x"}));
        let mut doc = json!({"pages": [[1], [2, 3]]});
        let last = JsonPath::parse("$.pages[-1]")
            .unwrap()
            .take(&mut doc)
            .unwrap();
        assert_eq!(last, json!([2, 3]));
    }
}
