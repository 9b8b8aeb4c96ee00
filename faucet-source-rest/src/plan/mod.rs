//! The validated form of [`RestSourceConfig`], the requests it makes, and
//! the positions they are made from. Below `pagination`, which drives it.

use std::sync::Arc;

use faucet_common_http::header::HeaderMap;
use faucet_common_http::{HttpRequest, Method, header_pair};
use faucet_core::FaucetError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::{
    RestCursorLocation, RestIncremental, RestMethod, RestRecords, RestSinceLocation,
    RestSourceConfig, RestStopRules,
};
use crate::extract::{DecodeSpec, JsonPath, RecordsSpec};

mod build;
mod child;

use build::{paging, partitions};
pub(crate) use child::{ChildRequests, ParentValues, placeholder_text};

/// Where a partition's next request goes (what a checkpoint stores as a
/// partition's position). The plan turns it into a request; pagination
/// moves it on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Position {
    /// The first page.
    Start,
    /// A page number.
    Page(u64),
    /// An offset.
    Offset(u64),
    /// A cursor.
    Cursor(String),
    /// A next URL.
    Next(String),
}

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
    pub(crate) partitions: Vec<Arc<PartitionPlan>>,
    pub(crate) paging: Paging,
    pub(crate) stop: RestStopRules,
    pub(crate) spec: DecodeSpec,
    pub(crate) incremental: Option<RestIncremental>,
    pub(crate) concurrency: usize,
    pub(crate) stream_name: String,
    /// A malformed or wrongly shaped 2xx body is requested again.
    pub(crate) retry_bodies: bool,
    /// Config paths of the pagination fields, for error messages.
    pub(crate) next_field: &'static str,
}

fn path_of(field: &str, text: &str) -> Result<JsonPath, FaucetError> {
    JsonPath::parse(text).map_err(|m| FaucetError::config(field, m))
}

fn records_spec(records: Option<&RestRecords>) -> Result<RecordsSpec, FaucetError> {
    Ok(match records {
        None => RecordsSpec::default(),
        Some(RestRecords::Path(text)) => {
            let path = path_of("records", text)?;
            if path.is_multiple() {
                RecordsSpec::Each(path)
            } else {
                RecordsSpec::Array(path)
            }
        }
        Some(RestRecords::Single(single)) => {
            if !single.single {
                return Err(FaucetError::config(
                    "records.single",
                    "must be `true`; for an array of records set `records` to its path",
                ));
            }
            let path = single.path.as_deref().unwrap_or("$");
            RecordsSpec::Single(path_of("records.path", path)?)
        }
    })
}

impl Plan {
    pub(crate) fn new(config: &RestSourceConfig) -> Result<Self, FaucetError> {
        if config.concurrency == 0 {
            return Err(FaucetError::config("concurrency", "must be at least 1"));
        }
        let (paging, stop, spec_extra, next_field) = paging(&config.pagination)?;
        let mut spec = spec_extra;
        spec.records = records_spec(config.records.as_ref())?;
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
            retry_bodies: config
                .idempotent
                .unwrap_or(config.method == RestMethod::Get),
            next_field,
            stream_name: if config.path.is_empty() {
                config.base_url.clone()
            } else {
                config.path.clone()
            },
        })
    }

    /// The request for `position` in partition `plan`, sending `since`
    /// (already formatted) when incremental.
    pub(crate) fn request(
        &self,
        plan: &PartitionPlan,
        position: &Position,
        since: Option<&str>,
    ) -> Result<HttpRequest, FaucetError> {
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
