//! Paths into a JSON document: a small JSONPath subset (`$.a.b[0].c`,
//! `a.b`) or a JSON Pointer (`/a/b/0/c`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// An object key (also an array index when it is a number).
    Key(String),
    /// An array index.
    Index(usize),
}

/// A parsed path. The empty path (`""`, `$`) is the whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonPath {
    text: String,
    segments: Vec<Segment>,
}

impl JsonPath {
    /// Parses a JSONPath subset or a JSON Pointer.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let segments = if let Some(pointer) = text.strip_prefix('/') {
            pointer
                .split('/')
                .map(|s| Segment::Key(s.replace("~1", "/").replace("~0", "~")))
                .collect()
        } else {
            parse_dotted(text.strip_prefix('$').unwrap_or(text))?
        };
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path is the whole document.
    pub(crate) fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The value at the path.
    pub(crate) fn get<'v>(&self, mut value: &'v Value) -> Option<&'v Value> {
        for segment in &self.segments {
            value = match (segment, value) {
                (Segment::Key(k), Value::Object(map)) => map.get(k)?,
                (Segment::Key(k), Value::Array(items)) => items.get(k.parse::<usize>().ok()?)?,
                (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// Moves the value at the path out of the document (leaving `null`),
    /// without copying it.
    pub(crate) fn take(&self, mut value: &mut Value) -> Option<Value> {
        for segment in &self.segments {
            value = match (segment, value) {
                (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Segment::Key(k), Value::Array(items)) => {
                    items.get_mut(k.parse::<usize>().ok()?)?
                }
                (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(value.take())
    }
}

fn parse_dotted(text: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_owned()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in `{text}`"))?;
            let index = inner[..close].trim_matches(|c| c == '\'' || c == '"');
            match index.parse::<usize>() {
                Ok(i) => segments.push(Segment::Index(i)),
                Err(_) if !index.is_empty() && index != "*" => {
                    segments.push(Segment::Key(index.to_owned()))
                }
                Err(_) => return Err(format!("unsupported selector `[{index}]` in `{text}`")),
            }
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected `{rest}` in `{text}`"));
        }
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonpath_and_pointer_find_the_same_value() {
        let doc = json!({"data": {"items": [{"id": 1}, {"id": 2}]}, "a/b": 3});
        for path in [
            "$.data.items[1].id",
            "data.items.1.id",
            "/data/items/1/id",
            "$['data'].items[1].id",
        ] {
            let p = JsonPath::parse(path).unwrap();
            assert_eq!(p.get(&doc), Some(&json!(2)), "{path}");
        }
        assert_eq!(JsonPath::parse("/a~1b").unwrap().get(&doc), Some(&json!(3)));
        assert!(JsonPath::parse("$").unwrap().is_root());
        assert!(JsonPath::parse("a[*]").is_err());
        assert_eq!(JsonPath::parse("missing.x").unwrap().get(&doc), None);
    }

    #[test]
    fn take_moves_without_cloning() {
        let mut doc = json!({"data": [1, 2, 3], "next": "x"});
        let taken = JsonPath::parse("data").unwrap().take(&mut doc).unwrap();
        assert_eq!(taken, json!([1, 2, 3]));
        assert_eq!(doc, json!({"data": null, "next": "x"}));
    }
}
