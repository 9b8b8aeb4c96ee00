//! The requests of a child resource: its `path` and `query` templates,
//! filled from each parent record's fields (`{parent.<field>}`).

use std::collections::BTreeMap;
use std::sync::Arc;

use faucet_core::FaucetError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use url::Url;

use super::PartitionPlan;
use crate::config::RestQueryValue;

/// What a path segment keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The values of the parent fields a child needs, by field name.
pub(crate) type ParentValues = BTreeMap<String, Value>;

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Field(String),
}

/// Text with `{parent.<field>}` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template(Vec<Piece>);

impl Template {
    /// Parses `text`. Braces that are not `{parent.<field>}` are an error
    /// message (the caller knows the config path).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open..].find('}') else {
                return Err(format!("`{{` without `}}` in `{text}`"));
            };
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let inner = &rest[open + 1..open + len];
            match inner.strip_prefix("parent.") {
                Some(field) if !field.is_empty() && !field.contains(['{', '}']) => {
                    pieces.push(Piece::Field(field.to_owned()));
                }
                _ => {
                    return Err(format!(
                        "placeholder `{{{inner}}}` names no parent field: write `{{parent.<field>}}`, <field> a top-level field of the parent's records"
                    ));
                }
            }
            rest = &rest[open + len + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Self(pieces))
    }

    /// The parent fields named, in order (repeats included).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Field(f) => Some(f.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// The text with each placeholder replaced by `fill(field)`.
    fn render(&self, mut fill: impl FnMut(&str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Field(f) => fill(f),
            })
            .collect()
    }
}

/// A parent field's value as it goes into a URL: strings as they are,
/// numbers as written, booleans as `true`/`false`; `None` for null, arrays
/// and objects.
pub(crate) fn placeholder_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A child resource's requests, validated: what a parent record's values
/// turn into a partition.
#[derive(Debug, Clone)]
pub(crate) struct ChildRequests {
    /// `base_url` without its trailing slash.
    base: String,
    path: Template,
    /// Every query parameter, in name order (the order requests send them).
    query: Vec<(String, Vec<Template>)>,
    body: Option<Value>,
}

impl ChildRequests {
    /// Parses the templates. Errors are messages for the caller's config
    /// path, with the parameter's name for a query value.
    pub(crate) fn new(
        base_url: &str,
        path: &str,
        query: &BTreeMap<String, RestQueryValue>,
        body: Option<Value>,
    ) -> Result<Self, (Option<String>, String)> {
        let path = Template::parse(path).map_err(|m| (None, m))?;
        let query = query
            .iter()
            .map(|(name, value)| {
                let values = match value {
                    RestQueryValue::One(v) => std::slice::from_ref(v),
                    RestQueryValue::Many(vs) => vs.as_slice(),
                };
                let templates = values
                    .iter()
                    .map(|v| Template::parse(v))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|m| (Some(name.clone()), m))?;
                Ok((name.clone(), templates))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            path,
            query,
            body,
        })
    }

    /// Every parent field a placeholder names, each once, in order of use.
    pub(crate) fn fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        let all = self.path.fields().chain(
            self.query
                .iter()
                .flat_map(|(_, ts)| ts.iter())
                .flat_map(Template::fields),
        );
        for field in all {
            if !fields.iter().any(|f| f == field) {
                fields.push(field.to_owned());
            }
        }
        fields
    }

    /// The path with placeholders URL-encoded (placeholders only: the
    /// caller checked that `values` has a text for each).
    fn path_for(&self, values: &ParentValues) -> String {
        self.path.render(|f| {
            let text = values.get(f).and_then(placeholder_text).unwrap_or_default();
            utf8_percent_encode(&text, SEGMENT).to_string()
        })
    }

    /// The partition reading the children of a parent with `values`.
    pub(crate) fn partition(
        &self,
        values: &ParentValues,
    ) -> Result<Arc<PartitionPlan>, FaucetError> {
        let path = self.path_for(values);
        let joined = format!("{}/{}", self.base, path.trim_start_matches('/'));
        let mut url = Url::parse(&joined).map_err(|e| {
            FaucetError::source_error(format!("`{joined}` is not a valid URL: {e}"))
        })?;
        {
            let mut pairs = url.query_pairs_mut();
            for (name, templates) in &self.query {
                for template in templates {
                    let value = template
                        .render(|f| values.get(f).and_then(placeholder_text).unwrap_or_default());
                    pairs.append_pair(name, &value);
                }
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(Arc::new(PartitionPlan {
            url,
            body: self.body.clone(),
        }))
    }

    /// What identifies a parent's children in a checkpoint: the path with
    /// the parent's values, plus the query parameters that hold any, e.g.
    /// `/accounts/7/orders` or `/orders?account=7`.
    pub(crate) fn key(&self, values: &ParentValues) -> String {
        let mut key = self.path_for(values);
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for (name, templates) in &self.query {
            for template in templates.iter().filter(|t| t.fields().next().is_some()) {
                any = true;
                let value = template
                    .render(|f| values.get(f).and_then(placeholder_text).unwrap_or_default());
                pairs.append_pair(name, &value);
            }
        }
        if any {
            key.push('?');
            key.push_str(&pairs.finish());
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(pairs: &[(&str, Value)]) -> ParentValues {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn templates_name_parent_fields_and_refuse_other_braces() {
        let t = Template::parse("/a/{parent.id}/b/{parent.code}x").unwrap();
        assert_eq!(t.fields().collect::<Vec<_>>(), ["id", "code"]);
        for bad in ["/a/{id}", "/a/{parent.}", "/a/{parent.id", "/a/{}"] {
            let err = Template::parse(bad).unwrap_err();
            assert!(err.contains('{'), "{bad}: {err}");
        }
        assert_eq!(Template::parse("/plain").unwrap().fields().count(), 0);
    }

    #[test]
    fn values_are_url_encoded_in_the_path_and_the_query() {
        let query = BTreeMap::from([
            ("limit".to_owned(), RestQueryValue::One("5".into())),
            (
                "owner".to_owned(),
                RestQueryValue::One("{parent.name}".into()),
            ),
        ]);
        let child =
            ChildRequests::new("http://h/v1/", "/accounts/{parent.id}/orders", &query, None)
                .unwrap();
        assert_eq!(child.fields(), ["id", "name"]);
        let v = values(&[("id", json!("a/b c?#%")), ("name", json!("Zoë & co"))]);
        let part = child.partition(&v).unwrap();
        assert_eq!(
            part.url.as_str(),
            "http://h/v1/accounts/a%2Fb%20c%3F%23%25/orders?limit=5&owner=Zo%C3%AB+%26+co"
        );
        assert_eq!(
            child.key(&v),
            "/accounts/a%2Fb%20c%3F%23%25/orders?owner=Zo%C3%AB+%26+co"
        );
        let n = values(&[("id", json!(42)), ("name", json!(true))]);
        assert_eq!(
            child.partition(&n).unwrap().url.as_str(),
            "http://h/v1/accounts/42/orders?limit=5&owner=true"
        );
        assert_eq!(placeholder_text(&json!(null)), None);
        assert_eq!(placeholder_text(&json!({"a": 1})), None);
    }
}
