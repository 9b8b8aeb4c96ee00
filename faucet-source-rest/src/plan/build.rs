//! Validation steps of [`Plan::new`](super::Plan::new): pagination and
//! partitions.

use std::collections::BTreeMap;
use std::sync::Arc;

use faucet_core::FaucetError;
use serde_json::Value;
use url::Url;

use super::{Paging, PartitionPlan, path_of};
use crate::config::{
    RestCursorFrom, RestPagination, RestQueryValue, RestSourceConfig, RestStopRules,
};
use crate::extract::DecodeSpec;

pub(super) fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn fill_json(value: &Value, params: &BTreeMap<String, String>) -> Value {
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

/// Page-number and offset pagination end only by a stop rule.
fn can_end(stop: &RestStopRules) -> Result<(), FaucetError> {
    let ends = stop.empty_page
        || stop.short_page
        || stop.has_more_path.is_some()
        || stop.total_path.is_some()
        || stop.total_pages_path.is_some()
        || stop.max_pages.is_some();
    if ends {
        Ok(())
    } else {
        Err(FaucetError::config(
            "pagination.stop",
            "no rule would end pagination; keep `empty_page: true` or set `has_more_path`, `total_path`, `total_pages_path`, `short_page` or `max_pages`",
        ))
    }
}

/// The validated pagination, its stop rules, what to read from each
/// response, and the config path of the field giving the next page.
pub(super) fn paging(
    config: &RestPagination,
) -> Result<(Paging, RestStopRules, DecodeSpec, &'static str), FaucetError> {
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
            can_end(stop)?;
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
            can_end(stop)?;
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
            cursor_from,
            cursor_field,
            param,
            location,
            stop,
        } => {
            short_needs_size(stop, false)?;
            match (cursor_from, cursor_path) {
                (RestCursorFrom::Path, Some(path)) => {
                    spec.cursor = Some(path_of("pagination.cursor_path", path)?);
                }
                (RestCursorFrom::Path, None) => {
                    return Err(FaucetError::config(
                        "pagination.cursor_path",
                        "is required with `cursor_from: path` (or set `cursor_from: last_record`)",
                    ));
                }
                (RestCursorFrom::LastRecord, None) => {
                    spec.cursor_from_last = Some(path_of("pagination.cursor_field", cursor_field)?);
                }
                (RestCursorFrom::LastRecord, Some(_)) => {
                    return Err(FaucetError::config(
                        "pagination.cursor_path",
                        "is not used with `cursor_from: last_record` (the cursor is `cursor_field` of the last record)",
                    ));
                }
            }
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
    let next_field = match config {
        RestPagination::Cursor {
            cursor_from: RestCursorFrom::LastRecord,
            ..
        } => "pagination.cursor_field",
        RestPagination::Cursor { .. } => "pagination.cursor_path",
        RestPagination::NextUrl { .. } => "pagination.next_path",
        RestPagination::LinkHeader { .. } => "the `Link` header",
        _ => "pagination",
    };
    Ok((paging, stop, spec, next_field))
}

pub(super) fn partitions(
    config: &RestSourceConfig,
) -> Result<Vec<Arc<PartitionPlan>>, FaucetError> {
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
            Ok(Arc::new(PartitionPlan {
                url,
                body: config.body.as_ref().map(|b| fill_json(b, params)),
            }))
        })
        .collect()
}
