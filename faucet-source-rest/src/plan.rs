//! The validated form of [`RestSourceConfig`] and the requests it makes.

use faucet_common_http::header::HeaderMap;
use faucet_common_http::{HttpRequest, Method, header_pair};
use faucet_core::FaucetError;
use serde_json::Value;
use url::Url;

use crate::config::{
    RestCursorLocation, RestIncremental, RestMethod, RestPagination, RestQueryValue,
    RestSinceLocation, RestSourceConfig, RestStopRules,
};
use crate::extract::{DecodeSpec, JsonPath};
use crate::pagination::Position;

/// One partition's fixed request parts.
#[derive(Debug, Clone)]
pub(crate) struct PartitionPlan {
    /// `base_url + path` with placeholders filled and the static query.
    pub(crate) url: Url,
    pub(crate) body: Option<Value>,
}

/// The pagination, validated.
#[derive(Debug, Clone)]
pub(crate) enum Paging {
    None,
    Page {
        param: String,
        start: u64,
        size_param: Option<String>,
        size: Option<u64>,
    },
    Offset {
        param: String,
        start: u64,
        limit_param: String,
        limit: u64,
    },
    Cursor {
        param: String,
        location: RestCursorLocation,
    },
    NextUrl,
    LinkHeader,
}

/// The config, validated: everything a run needs, no I/O.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) partitions: Vec<PartitionPlan>,
    pub(crate) paging: Paging,
    pub(crate) stop: RestStopRules,
    pub(crate) spec: DecodeSpec,
    pub(crate) incremental: Option<RestIncremental>,
    pub(crate) concurrency: usize,
    pub(crate) stream_name: String,
}

fn path_of(field: &str, text: &str) -> Result<JsonPath, FaucetError> {
    JsonPath::parse(text).map_err(|m| FaucetError::config(field, m))
}

fn fill(template: &str, params: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn fill_json(value: &Value, params: &std::collections::BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(fill(s, params)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_json(v, params)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_json(v, params)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Plan {
    pub(crate) fn new(config: &RestSourceConfig) -> Result<Self, FaucetError> {
        if config.concurrency == 0 {
            return Err(FaucetError::config("concurrency", "must be at least 1"));
        }
        let (paging, stop, spec_extra) = paging(&config.pagination)?;
        let mut spec = spec_extra;
        spec.records = config
            .records
            .as_deref()
            .map(|p| path_of("records", p))
            .transpose()?;
        spec.has_more = stop
            .has_more_path
            .as_deref()
            .map(|p| path_of("pagination.stop.has_more_path", p))
            .transpose()?;
        spec.total = stop
            .total_path
            .as_deref()
            .map(|p| path_of("pagination.stop.total_path", p))
            .transpose()?;
        spec.total_pages = stop
            .total_pages_path
            .as_deref()
            .map(|p| path_of("pagination.stop.total_pages_path", p))
            .transpose()?;
        if let Some(inc) = &config.incremental {
            spec.replication_key = Some(path_of(
                "incremental.replication_key",
                &inc.replication_key,
            )?);
            if inc.location == RestSinceLocation::Body && config.method != RestMethod::Post {
                return Err(FaucetError::config(
                    "incremental.location",
                    "`body` needs `method: post`",
                ));
            }
        }
        if matches!(
            paging,
            Paging::Cursor {
                location: RestCursorLocation::Body,
                ..
            }
        ) && config.method != RestMethod::Post
        {
            return Err(FaucetError::config(
                "pagination.location",
                "`body` needs `method: post`",
            ));
        }
        if config.body.as_ref().is_some_and(|b| !b.is_object()) {
            return Err(FaucetError::config("body", "must be a JSON object"));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let value = value.resolve(&format!("headers.{name}"))?;
            let (name, mut value) = header_pair(name, value.expose(), &format!("headers.{name}"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let partitions = partitions(config)?;
        Ok(Self {
            method: match config.method {
                RestMethod::Get => Method::Get,
                RestMethod::Post => Method::Post,
            },
            headers,
            partitions,
            paging,
            stop,
            spec,
            incremental: config.incremental.clone(),
            concurrency: config.concurrency,
            stream_name: if config.path.is_empty() {
                config.base_url.clone()
            } else {
                config.path.clone()
            },
        })
    }

    /// The request for `position` in partition `part`, sending `since`
    /// (already formatted) when incremental.
    pub(crate) fn request(
        &self,
        part: usize,
        position: &Position,
        since: Option<&str>,
    ) -> Result<HttpRequest, FaucetError> {
        let plan = &self.partitions[part];
        let mut url = plan.url.clone();
        let mut body = plan.body.clone();
        let mut headers = self.headers.clone();
        match (position, &self.paging) {
            (Position::Next(next), _) => {
                url = plan.url.join(next).map_err(|e| {
                    FaucetError::source_error(format!("next link `{next}` is not a valid URL: {e}"))
                })?;
            }
            (
                pos,
                Paging::Page {
                    param,
                    start,
                    size_param,
                    size,
                },
            ) => {
                let page = match pos {
                    Position::Page(p) => *p,
                    _ => *start,
                };
                url.query_pairs_mut().append_pair(param, &page.to_string());
                if let (Some(p), Some(s)) = (size_param, size) {
                    url.query_pairs_mut().append_pair(p, &s.to_string());
                }
            }
            (
                pos,
                Paging::Offset {
                    param,
                    start,
                    limit_param,
                    limit,
                },
            ) => {
                let offset = match pos {
                    Position::Offset(o) => *o,
                    _ => *start,
                };
                url.query_pairs_mut()
                    .append_pair(param, &offset.to_string())
                    .append_pair(limit_param, &limit.to_string());
            }
            (Position::Cursor(cursor), Paging::Cursor { param, location }) => match location {
                RestCursorLocation::Query => {
                    url.query_pairs_mut().append_pair(param, cursor);
                }
                RestCursorLocation::Body => {
                    set_field(&mut body, param, Value::String(cursor.clone()))
                }
            },
            _ => {}
        }
        if let (Some(since), Some(inc)) = (since, &self.incremental) {
            let is_next = matches!(position, Position::Next(_));
            match inc.location {
                RestSinceLocation::Query if !is_next => {
                    url.query_pairs_mut().append_pair(&inc.param, since);
                }
                RestSinceLocation::Query => {}
                RestSinceLocation::Header => {
                    let (name, value) = header_pair(&inc.param, since, "incremental.param")?;
                    headers.insert(name, value);
                }
                RestSinceLocation::Body => {
                    set_field(&mut body, &inc.param, Value::String(since.to_owned()))
                }
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(HttpRequest {
            method: self.method,
            url,
            headers,
            json: body,
        })
    }
}

fn set_field(body: &mut Option<Value>, name: &str, value: Value) {
    let body = body.get_or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(map) = body {
        map.insert(name.to_owned(), value);
    }
}

fn paging(config: &RestPagination) -> Result<(Paging, RestStopRules, DecodeSpec), FaucetError> {
    let mut spec = DecodeSpec::default();
    let short_needs_size = |stop: &RestStopRules, has_size: bool| {
        if stop.short_page && !has_size {
            Err(FaucetError::config(
                "pagination.stop.short_page",
                "needs a page size (`size` or `limit`)",
            ))
        } else {
            Ok(())
        }
    };
    let (paging, stop) = match config {
        RestPagination::None => (Paging::None, RestStopRules::default()),
        RestPagination::PageNumber {
            param,
            start,
            size_param,
            size,
            stop,
        } => {
            short_needs_size(stop, size.is_some())?;
            if *size == Some(0) {
                return Err(FaucetError::config("pagination.size", "must be at least 1"));
            }
            (
                Paging::Page {
                    param: param.clone(),
                    start: *start,
                    size_param: size_param.clone(),
                    size: *size,
                },
                stop.clone(),
            )
        }
        RestPagination::Offset {
            param,
            start,
            limit_param,
            limit,
            stop,
        } => {
            if *limit == 0 {
                return Err(FaucetError::config(
                    "pagination.limit",
                    "must be at least 1",
                ));
            }
            (
                Paging::Offset {
                    param: param.clone(),
                    start: *start,
                    limit_param: limit_param.clone(),
                    limit: *limit,
                },
                stop.clone(),
            )
        }
        RestPagination::Cursor {
            cursor_path,
            param,
            location,
            stop,
        } => {
            short_needs_size(stop, false)?;
            spec.cursor = Some(path_of("pagination.cursor_path", cursor_path)?);
            (
                Paging::Cursor {
                    param: param.clone(),
                    location: *location,
                },
                stop.clone(),
            )
        }
        RestPagination::NextUrl { next_path, stop } => {
            short_needs_size(stop, false)?;
            spec.next_url = Some(path_of("pagination.next_path", next_path)?);
            (Paging::NextUrl, stop.clone())
        }
        RestPagination::LinkHeader { stop } => {
            short_needs_size(stop, false)?;
            (Paging::LinkHeader, stop.clone())
        }
    };
    Ok((paging, stop, spec))
}

fn partitions(config: &RestSourceConfig) -> Result<Vec<PartitionPlan>, FaucetError> {
    let base = config.base_url.trim_end_matches('/');
    let parsed = Url::parse(base)
        .map_err(|e| FaucetError::config("base_url", format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FaucetError::config(
            "base_url",
            "must start with http:// or https://",
        ));
    }
    let sets = if config.partitions.is_empty() {
        vec![Default::default()]
    } else {
        config.partitions.clone()
    };
    sets.iter()
        .enumerate()
        .map(|(i, params)| {
            let path = fill(&config.path, params);
            if let Some(open) = path.find('{').filter(|o| path[*o..].contains('}')) {
                let name = &path[open + 1..open + path[open..].find('}').unwrap_or(1)];
                let at = if config.partitions.is_empty() {
                    "path".to_owned()
                } else {
                    format!("partitions[{i}]")
                };
                return Err(FaucetError::config(
                    at,
                    format!("no value for path placeholder `{{{name}}}`"),
                ));
            }
            let joined = if path.is_empty() {
                base.to_owned()
            } else {
                format!("{base}/{}", path.trim_start_matches('/'))
            };
            let mut url = Url::parse(&joined).map_err(|e| {
                FaucetError::config("path", format!("`{joined}` is not a valid URL: {e}"))
            })?;
            {
                let mut q = url.query_pairs_mut();
                for (name, value) in &config.query {
                    match value {
                        RestQueryValue::One(v) => {
                            q.append_pair(name, &fill(v, params));
                        }
                        RestQueryValue::Many(vs) => {
                            for v in vs {
                                q.append_pair(name, &fill(v, params));
                            }
                        }
                    }
                }
            }
            if url.query() == Some("") {
                url.set_query(None);
            }
            Ok(PartitionPlan {
                url,
                body: config.body.as_ref().map(|b| fill_json(b, params)),
            })
        })
        .collect()
}
