//! The sample API `faucet demo` serves in-process: `GET
//! /records/page?page=N&per_page=M` answers `{"data": [...], "page": N,
//! "total": T, "has_more": …}` with generated records, after a short wait
//! per page so that it behaves like a remote API. Nothing else: the test
//! fixture (every pagination style, faults) stays in faucet-testkit, a
//! dev-dependency only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A running sample API; it stops with the process.
#[derive(Debug)]
pub(crate) struct DemoApi {
    addr: SocketAddr,
}

impl DemoApi {
    /// Serves `records` records on 127.0.0.1 (a free port), waiting
    /// `latency` before each page.
    pub(crate) async fn start(records: u64, latency: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let service = hyper::service::service_fn(move |req| answer(req, records, latency));
                tokio::spawn(async move {
                    let io = TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Ok(Self { addr })
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn answer(
    req: Request<Incoming>,
    records: u64,
    latency: Duration,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/records/page" {
        return Ok(respond(
            StatusCode::NOT_FOUND,
            json!({"error": "not found"}),
        ));
    }
    let query = req.uri().query().unwrap_or("");
    let (page, per_page) = match (param(query, "page", 1), param(query, "per_page", 100)) {
        (Some(page), Some(per_page)) if per_page > 0 && per_page <= 10_000 => {
            (page.max(1), per_page)
        }
        _ => {
            let error = json!({"error": "page and per_page (1..=10000) must be numbers"});
            return Ok(respond(StatusCode::BAD_REQUEST, error));
        }
    };
    tokio::time::sleep(latency).await;
    let first = (page - 1).saturating_mul(per_page) + 1;
    let last = first.saturating_add(per_page - 1).min(records);
    let data: Vec<Value> = (first..=last).map(record).collect();
    let body = json!({"data": data, "page": page, "per_page": per_page, "total": records,
        "has_more": last < records});
    Ok(respond(StatusCode::OK, body))
}

fn respond(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The number in `name=N` of `query`, `default` when absent, `None` when
/// not a number.
fn param(query: &str, name: &str, default: u64) -> Option<u64> {
    match query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    {
        Some(value) => value.parse().ok(),
        None => Some(default),
    }
}

/// Sample record `id`: the same every time.
pub(crate) fn record(id: u64) -> Value {
    const NAMES: [&str; 8] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
    ];
    const COUNTRIES: [&str; 6] = ["NZ", "JP", "BR", "DE", "KE", "CA"];
    let h = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    json!({
        "id": id,
        "first_name": NAMES[(h >> 60) as usize % NAMES.len()],
        "country": COUNTRIES[(h >> 52) as usize % COUNTRIES.len()],
        "amount": ((h >> 20) % 100_000) as f64 / 100.0,
        "active": h & 1 == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_default_and_reject_non_numbers() {
        assert_eq!(param("page=3&per_page=50", "page", 1), Some(3));
        assert_eq!(param("per_page=50", "page", 1), Some(1));
        assert_eq!(param("page=x", "page", 1), None);
        assert_eq!(record(7), record(7));
    }
}
