//! What goes into and comes out of [`HttpClient::send`](super::HttpClient::send).

use bytes::Bytes;
use faucet_core::FaucetError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

/// HTTP methods a connector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
}

/// One request to send (auth is added by the client).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Extra headers.
    pub headers: HeaderMap,
    /// A JSON body, sent with `Content-Type: application/json`.
    pub json: Option<serde_json::Value>,
}

impl HttpRequest {
    /// A GET of `url`.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: HeaderMap::new(),
            json: None,
        }
    }
}

/// A successful (2xx) response, body read in full.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The (decompressed) body.
    pub body: Bytes,
    /// The request URL, redacted, for messages.
    pub url: String,
}

/// Parses a header name/value pair for [`HttpRequest::headers`]; `path`
/// names the config field in errors.
pub fn header_pair(
    name: &str,
    value: &str,
    path: &str,
) -> Result<(HeaderName, HeaderValue), FaucetError> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| FaucetError::config(path, format!("`{name}` is not a valid header name")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| FaucetError::config(path, "not a valid header value"))?;
    Ok((name, value))
}
