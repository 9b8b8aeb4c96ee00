#![cfg_attr(docsrs, feature(doc_cfg))]
//! The HTTP layer shared by faucet's HTTP-based connectors (and third
//! parties'): one [`HttpClient`] per connector, with
//!
//! - connection reuse, gzip and brotli, rustls, and timeouts on by default
//!   ([`HttpConfig`]: 60 s total, 10 s connect, 64 MiB body cap);
//! - authentication ([`AuthConfig`]): bearer, basic, API key in a header or
//!   the query, OAuth2 client credentials or refresh token (cached,
//!   refreshed before expiry and once on a 401); secrets are [`Secret`]s
//!   that print as `***`, and URLs in errors are redacted ([`redact_url`]);
//! - retries in three parts ([`retry`]): whether (connection errors,
//!   timeouts, 408/429/500/502/503/504), when (exponential backoff with
//!   full jitter and a cap, or `Retry-After` up to a maximum), how much (a
//!   budget per run); every wait is cancellable;
//! - a token-bucket rate limit shared by all requests, which also pauses
//!   when `X-RateLimit-Remaining: 0` until the reset ([`RateLimiter`]); a
//!   429/503 without `Retry-After` waits for that reset too;
//! - adaptive concurrency ([`AdaptiveConcurrency`]): the in-flight limit
//!   grows while responses are healthy and halves on 429/503.
//!
//! # Design
//!
//! Policy and mechanism stay apart: [`HttpClient::send`] only loops, asking
//! the error whether it is retryable (decided once, where the status or
//! connection failure entered) and the backoff how long to wait. The
//! client is shared (`Clone` is an `Arc`), so every request of a pipeline —
//! every page, every partition — draws on one rate limit, one concurrency
//! limit and one retry budget.
//!
//! # Example
//!
//! ```
//! use faucet_common_http::{AuthConfig, HttpClient, HttpConfig, HttpRequest};
//! use faucet_core::CancellationToken;
//! use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> faucet_core::Result<()> {
//! let server = FixtureServer::start(FixtureConfig::new(10)).await.unwrap();
//! let client = HttpClient::new(&HttpConfig::default(), &AuthConfig::None, 4)?;
//! let url = format!("{}/records/page?per_page=5", server.url()).parse().unwrap();
//! let response = client.send(&HttpRequest::get(url), &CancellationToken::new()).await?;
//! let page: serde_json::Value = serde_json::from_slice(&response.body)?;
//! assert_eq!(page["data"].as_array().unwrap().len(), 5);
//! # Ok(())
//! # }
//! ```

mod auth;
mod client;
mod concurrency;
mod config;
mod rate_limit;
mod redact;
pub mod retry;
mod secret;
mod sleep;

pub use auth::{ApiKeyLocation, AuthConfig};
pub use client::{HttpClient, HttpRequest, HttpResponse, MAX_CONCURRENCY, Method, header_pair};
pub use concurrency::{AdaptiveConcurrency, ConcurrencyPermit};
pub use config::{
    DEFAULT_CONNECT_TIMEOUT_SECS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_SECS, HttpConfig,
};
pub use rate_limit::{RateLimitConfig, RateLimiter, exhausted_reset};
pub use redact::redact_url;
pub use retry::RetryConfig;
pub use secret::Secret;
pub use sleep::sleep_or_cancel;

/// HTTP header types used by [`HttpRequest`] and [`HttpResponse`].
pub use reqwest::header;
