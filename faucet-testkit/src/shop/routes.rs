//! The shop's handlers: one fallback that logs, waits, and routes by path.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, Uri};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::Shop;
use super::data::{account, account_handle, order, order_created_at, order_line, parse_order_id};

type Answer = (u16, Vec<(String, String)>, String);

pub(crate) async fn dispatch(State(shop): State<Arc<Shop>>, uri: Uri) -> Response<Body> {
    let at = shop.started.elapsed();
    if !shop.config.latency.is_zero() {
        tokio::time::sleep(shop.config.latency).await;
    }
    let (status, headers, body) = answer(&shop, &uri);
    let done = shop.started.elapsed();
    let mut log = shop.log.lock().expect("shop lock");
    if log.len() < shop.config.log_limit {
        log.push(super::ShopRequest {
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            at,
            done,
            status,
        });
    }
    drop(log);
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::from("{\"error\":\"bad response\"}")))
}

fn error(status: u16, message: &str) -> Answer {
    (status, Vec::new(), json!({ "error": message }).to_string())
}

fn number(params: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, Answer> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| error(400, &format!("invalid `{name}`: `{v}`"))),
    }
}

fn answer(shop: &Shop, uri: &Uri) -> Answer {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let segments: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match segments.as_slice() {
        ["accounts"] => accounts(shop, &params),
        ["accounts", who, "orders"] => orders(shop, who, &params),
        ["orders", id, "lines"] => lines(shop, uri.path(), id, &params),
        _ => Err(error(404, &format!("no endpoint at `{}`", uri.path()))),
    };
    result.unwrap_or_else(|e| e)
}

fn accounts(shop: &Shop, params: &HashMap<String, String>) -> Result<Answer, Answer> {
    let page = number(params, "page", 1)?.max(1);
    let size = number(params, "per_page", shop.config.page_size)?.max(1);
    let total = shop.config.accounts;
    let first = (page - 1) * size + 1;
    let data: Vec<Value> = (first..=total).take(size as usize).map(account).collect();
    let total_pages = total.div_ceil(size);
    let body = json!({
        "accounts": data,
        "page": page,
        "per_page": size,
        "total_pages": total_pages,
        "has_more": page < total_pages,
    });
    Ok((200, Vec::new(), body.to_string()))
}

/// The account an orders path names: its id or its handle.
fn account_named(shop: &Shop, who: &str) -> Option<u64> {
    let id = who.parse().ok().or_else(|| {
        let n: u64 = who.rsplit('/').next()?.parse().ok()?;
        (account_handle(n) == who).then_some(n)
    })?;
    (1..=shop.config.accounts).contains(&id).then_some(id)
}

fn orders(shop: &Shop, who: &str, params: &HashMap<String, String>) -> Result<Answer, Answer> {
    let a = account_named(shop, who).ok_or_else(|| error(404, &format!("no account `{who}`")))?;
    let limit = number(params, "limit", shop.config.page_size)?.max(1);
    let after = match params.get("cursor") {
        None => 0,
        Some(c) => c
            .strip_prefix("after-")
            .and_then(|j| j.parse().ok())
            .ok_or_else(|| error(400, &format!("invalid `cursor`: `{c}`")))?,
    };
    let since = match params.get("since") {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| error(400, &format!("invalid `since`: `{s}`")))?,
        ),
    };
    let keep = |j: &u64| {
        since.is_none_or(|since| {
            chrono::DateTime::parse_from_rfc3339(&order_created_at(a, *j)).is_ok_and(|t| t >= since)
        })
    };
    let count = shop.orders_of(a);
    let mut matching = (after + 1..=count).filter(keep);
    let page: Vec<u64> = matching.by_ref().take(limit as usize).collect();
    let more = matching.next().is_some();
    let next = match (more, page.last()) {
        (true, Some(last)) => Value::String(format!("after-{last}")),
        _ => Value::Null,
    };
    let data: Vec<Value> = page.iter().map(|&j| order(a, j)).collect();
    let body = json!({ "data": data, "next_cursor": next });
    Ok((200, Vec::new(), body.to_string()))
}

fn lines(
    shop: &Shop,
    raw_path: &str,
    id: &str,
    params: &HashMap<String, String>,
) -> Result<Answer, Answer> {
    let (a, j) = parse_order_id(id)
        .filter(|&(a, j)| {
            (1..=shop.config.accounts).contains(&a) && (1..=shop.orders_of(a)).contains(&j)
        })
        .ok_or_else(|| error(404, &format!("no order `{id}`")))?;
    let page = number(params, "page", 1)?.max(1);
    let size = number(params, "per_page", shop.config.page_size)?.max(1);
    let count = shop.lines_of(a, j);
    let first = (page - 1) * size + 1;
    let data: Vec<Value> = (first..=count)
        .take(size as usize)
        .map(|k| order_line(a, j, k))
        .collect();
    let mut headers = Vec::new();
    if page * size < count {
        let next = format!(
            "<{}{raw_path}?page={}&per_page={size}>; rel=\"next\"",
            shop.base_url,
            page + 1
        );
        headers.push(("link".to_owned(), next));
    }
    Ok((200, headers, Value::Array(data).to_string()))
}
