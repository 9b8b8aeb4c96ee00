//! [`HttpClient`]: one reqwest client with auth, retries, rate limit,
//! adaptive concurrency and a byte cap.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use faucet_core::{CancellationToken, FaucetError, RetryCounter};
use reqwest::header::HeaderValue;

use crate::auth::{Auth, AuthConfig};
use crate::concurrency::AdaptiveConcurrency;
use crate::config::HttpConfig;
use crate::rate_limit::RateLimiter;
use crate::retry::budget::RetryBudget;
use crate::retry::{RetryConfig, backoff, policy};
use crate::sleep::sleep_or_cancel;

mod redaction;
mod request;

pub use request::{HttpRequest, HttpResponse, Method, header_pair};

/// The HTTP client of one connector: connection reuse, gzip/brotli,
/// timeouts, authentication, retries with backoff, a shared rate limit,
/// adaptive concurrency and a response byte cap. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    auth: Auth,
    retry: RetryConfig,
    budget: RetryBudget,
    rate: RateLimiter,
    concurrency: Arc<AdaptiveConcurrency>,
    max_bytes: u64,
    timeout: Duration,
    secret_params: Vec<String>,
}

/// The most requests a client lets be in flight at once: a larger
/// `concurrency` is a configuration error (no API serves thousands of
/// parallel requests from one client, and each costs a task and a socket).
pub const MAX_CONCURRENCY: usize = 1024;

impl HttpClient {
    /// Builds a client; no I/O. `max_concurrency` (1 to [`MAX_CONCURRENCY`])
    /// bounds requests in flight (the adaptive limit moves below it). Errors
    /// name the config field (`concurrency`, under `http` and `auth`).
    pub fn new(
        config: &HttpConfig,
        auth: &AuthConfig,
        max_concurrency: usize,
    ) -> Result<Self, FaucetError> {
        if !(1..=MAX_CONCURRENCY).contains(&max_concurrency) {
            return Err(FaucetError::config(
                "concurrency",
                format!("must be between 1 and {MAX_CONCURRENCY}, not {max_concurrency}"),
            ));
        }
        if config.timeout_secs == 0 {
            return Err(FaucetError::config(
                "http.timeout_secs",
                "must be at least 1",
            ));
        }
        if config.retry.max_attempts == 0 {
            return Err(FaucetError::config(
                "http.retry.max_attempts",
                "must be at least 1",
            ));
        }
        if let Some(rl) = &config.rate_limit
            && !(rl.requests_per_second > 0.0 && rl.requests_per_second.is_finite())
        {
            return Err(FaucetError::config(
                "http.rate_limit.requests_per_second",
                "must be a positive number",
            ));
        }
        let auth = Auth::new(auth, "auth")?;
        let timeout = Duration::from_secs(config.timeout_secs);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs.max(1)))
            .user_agent(config.user_agent.clone())
            .pool_max_idle_per_host(max_concurrency * 2)
            .build()
            .map_err(|e| {
                FaucetError::config("http", format!("cannot build the HTTP client: {e}"))
            })?;
        let max_pause = Duration::from_secs(config.retry.max_retry_after_secs);
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                secret_params: auth.secret_params(),
                auth,
                retry: config.retry.clone(),
                budget: RetryBudget::new(config.retry.budget),
                rate: RateLimiter::new(config.rate_limit.as_ref(), max_pause),
                concurrency: AdaptiveConcurrency::new(max_concurrency),
                max_bytes: config.max_response_bytes,
                timeout,
            }),
        })
    }

    /// The adaptive concurrency limiter shared by this client's requests.
    pub fn concurrency(&self) -> &Arc<AdaptiveConcurrency> {
        &self.inner.concurrency
    }

    /// Retries left in this client's run budget.
    pub fn retries_left(&self) -> u32 {
        self.inner.budget.remaining()
    }

    /// Sends `request`, retrying as configured, and returns a 2xx response
    /// with its body, or the error that ended the attempts. Retries are not
    /// counted; [`HttpClient::send_counted`] counts them.
    pub async fn send(
        &self,
        request: &HttpRequest,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, FaucetError> {
        self.send_counted(request, cancel, &RetryCounter::default())
            .await
    }

    /// Like [`HttpClient::send`], counting each retry in `retries` by its
    /// cause: the status (`"429"`, `"503"`, …), `"timeout"` or
    /// `"connection"`.
    pub async fn send_counted(
        &self,
        request: &HttpRequest,
        cancel: &CancellationToken,
        retries: &RetryCounter,
    ) -> Result<HttpResponse, FaucetError> {
        let inner = &self.inner;
        let url = self.redact(&request.url);
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            // The permit first, then the rate token: a token taken while
            // waiting for a permit would be spent later, in a burst with
            // every other waiter's, above the configured rate.
            let permit = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(FaucetError::Cancelled),
                permit = inner.concurrency.acquire() => permit,
            };
            inner.rate.acquire(cancel).await?;
            let outcome = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(FaucetError::Cancelled),
                outcome = self.attempt(request, &url, cancel) => outcome,
            };
            drop(permit);
            let (err, retry_after, cause) = match outcome {
                Ok(response) => {
                    tracing::debug!(method = ?request.method, url = %url, attempt, bytes = response.body.len(), "Fetched");
                    inner.concurrency.on_success();
                    inner.rate.observe(&response.headers);
                    return Ok(response);
                }
                Err(Failure::Unauthorized(err, used)) => {
                    if let (Auth::OAuth2(tokens), false, Some(used)) =
                        (&inner.auth, refreshed, used)
                    {
                        tracing::info!(url = %url, "HTTP 401; refreshing the OAuth2 token once");
                        tokens.invalidate(&used).await;
                        refreshed = true;
                        attempt -= 1;
                        continue;
                    }
                    return Err(err);
                }
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Retry {
                    err,
                    retry_after,
                    cause,
                }) => (err, retry_after, cause),
            };
            if !policy::should_retry(&err) {
                return Err(err);
            }
            let wait = self.plan_retry(err, retry_after, attempt, &url)?;
            retries.record(&cause);
            sleep_or_cancel(wait, cancel).await?;
        }
    }

    /// Waits before requesting a page again whose 2xx body was not a page
    /// (malformed, truncated, of the wrong shape): the same attempt limit
    /// (`attempt` bodies failed so far), backoff and run budget as a 503,
    /// counted as `"malformed_body"`. Returns `err` when no retry is left.
    pub async fn pause_after_bad_body(
        &self,
        err: FaucetError,
        attempt: u32,
        url: &str,
        cancel: &CancellationToken,
        retries: &RetryCounter,
    ) -> Result<(), FaucetError> {
        let wait = self.plan_retry(err, None, attempt, url)?;
        retries.record("malformed_body");
        sleep_or_cancel(wait, cancel).await
    }

    /// Decides how long to wait before retrying after `err` (retryable);
    /// returns the error when the attempts or the budget are spent.
    fn plan_retry(
        &self,
        err: FaucetError,
        retry_after: Option<Duration>,
        attempt: u32,
        url: &str,
    ) -> Result<Duration, FaucetError> {
        let retry = &self.inner.retry;
        if attempt >= retry.max_attempts {
            return Err(err);
        }
        if let Some(asked) = retry_after
            && asked > Duration::from_secs(retry.max_retry_after_secs)
        {
            tracing::warn!(url = %url, asked_secs = asked.as_secs(), max_secs = retry.max_retry_after_secs, "Server asks for a longer wait than allowed");
            return Err(FaucetError::RateLimited {
                url: url.to_owned(),
                retry_after: Some(asked),
            });
        }
        if !self.inner.budget.try_take() {
            tracing::warn!(url = %url, budget = retry.budget, "Retry budget spent");
            return Err(err);
        }
        let wait = retry_after.unwrap_or_else(|| backoff::backoff(retry, attempt));
        tracing::warn!(url = %url, attempt, wait_ms = wait.as_millis() as u64, error = %err, "Request failed; retrying");
        Ok(wait)
    }

    async fn attempt(
        &self,
        request: &HttpRequest,
        url: &str,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, Failure> {
        let inner = &self.inner;
        let mut target = request.url.clone();
        inner.auth.apply_to_url(&mut target);
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = inner
            .client
            .request(method, target)
            .headers(request.headers.clone());
        let mut used_token = None;
        match &inner.auth {
            Auth::Header(name, value) => builder = builder.header(name.clone(), value.clone()),
            Auth::OAuth2(tokens) => {
                let token = tokens
                    .token(&inner.client, cancel)
                    .await
                    .map_err(Failure::Fatal)?;
                used_token = Some(token.clone());
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        Failure::Fatal(FaucetError::auth(
                            "the access token is not a valid header value",
                        ))
                    })?;
                value.set_sensitive(true);
                builder = builder.header(reqwest::header::AUTHORIZATION, value);
            }
            Auth::None | Auth::Query(..) => {}
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        }
        let response = builder.send().await.map_err(|e| self.transport(e, url))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = self.read_body(response, url).await?;
        if (200..300).contains(&status) {
            return Ok(HttpResponse {
                status,
                headers,
                body,
                url: url.to_owned(),
            });
        }
        let err = FaucetError::http(status, url, self.body_excerpt(&body));
        if status == 401 {
            return Err(Failure::Unauthorized(err, used_token));
        }
        if policy::is_overload(status) {
            inner.concurrency.on_overload();
        }
        let retry_after = if policy::is_overload(status) {
            headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(backoff::parse_retry_after)
                .or_else(|| crate::rate_limit::exhausted_reset(&headers))
        } else {
            None
        };
        Err(if policy::retryable_status(status) {
            Failure::Retry {
                err,
                retry_after,
                cause: status.to_string(),
            }
        } else {
            Failure::Fatal(err)
        })
    }

    /// Reads the body, failing as soon as it passes the byte cap.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &str,
    ) -> Result<Bytes, Failure> {
        let cap = self.inner.max_bytes;
        let too_big = || {
            Failure::Fatal(FaucetError::source_error(format!(
                "response from {url} is larger than the {cap}-byte limit (raise `http.max_response_bytes` if it is expected)"
            )))
        };
        if response.content_length().is_some_and(|len| len > cap) {
            return Err(too_big());
        }
        let mut body = BytesMut::with_capacity(
            response.content_length().unwrap_or(16 * 1024).min(cap) as usize,
        );
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e, url))? {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    fn transport(&self, err: reqwest::Error, url: &str) -> Failure {
        let cause = if err.is_timeout() {
            "timeout"
        } else {
            "connection"
        };
        let message = if err.is_timeout() {
            format!(
                "timed out after {}s (`http.timeout_secs`)",
                self.inner.timeout.as_secs()
            )
        } else if err.is_connect() {
            "connection failed".to_owned()
        } else if err.is_body() || err.is_decode() {
            "the connection broke while reading the response body".to_owned()
        } else {
            "request failed".to_owned()
        };
        let err = FaucetError::Transport {
            target: url.to_owned(),
            message,
            source: Some(Box::new(err.without_url())),
        };
        Failure::Retry {
            err,
            retry_after: None,
            cause: cause.to_owned(),
        }
    }
}

/// How one attempt failed.
enum Failure {
    /// Worth another attempt (after `retry_after` if the server said);
    /// `cause` names it in the retry counts.
    Retry {
        err: FaucetError,
        retry_after: Option<Duration>,
        cause: String,
    },
    /// A 401 (with the OAuth2 token used, if any): refresh once, else fail.
    Unauthorized(FaucetError, Option<crate::secret::Secret>),
    /// Not worth retrying.
    Fatal(FaucetError),
}
