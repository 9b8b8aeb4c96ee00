//! A token bucket shared by every request of a client, which also obeys
//! `X-RateLimit-Remaining` / `X-RateLimit-Reset` style headers.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use faucet_core::schemars::{self, JsonSchema};
use faucet_core::{CancellationToken, FaucetError};
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::sleep::sleep_or_cancel;

/// A client-side request rate limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second, all requests of the run together.
    pub requests_per_second: f64,
    /// Requests that may go at once after a quiet spell. Default: `1`.
    #[serde(default = "default_burst")]
    pub burst: u32,
}

fn default_burst() -> u32 {
    1
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

/// The token bucket. Without a configured rate it only obeys server
/// headers.
#[derive(Debug)]
pub struct RateLimiter {
    rate: Option<f64>,
    burst: f64,
    max_pause: Duration,
    bucket: Mutex<Bucket>,
}

impl RateLimiter {
    /// A limiter for `config` (none: unlimited); a server-requested pause
    /// is capped at `max_pause`.
    pub fn new(config: Option<&RateLimitConfig>, max_pause: Duration) -> Self {
        let burst = config.map_or(1.0, |c| f64::from(c.burst.max(1)));
        Self {
            rate: config.map(|c| c.requests_per_second),
            burst,
            max_pause,
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// How long to wait before the next request may go; takes a token
    /// when the answer is zero.
    fn poll(&self) -> Duration {
        let mut b = self.bucket.lock().expect("rate limiter lock");
        let now = Instant::now();
        if let Some(until) = b.paused_until {
            if until > now {
                return until - now;
            }
            b.paused_until = None;
        }
        let Some(rate) = self.rate else {
            return Duration::ZERO;
        };
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(self.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - b.tokens) / rate)
        }
    }

    /// Waits until a request may go. Cancellable.
    pub async fn acquire(&self, cancel: &CancellationToken) -> Result<(), FaucetError> {
        loop {
            let wait = self.poll();
            if wait.is_zero() {
                return Ok(());
            }
            sleep_or_cancel(wait, cancel).await?;
        }
    }

    /// Pauses every request until the server's reset time when a response
    /// says no requests remain (`X-RateLimit-Remaining: 0` or
    /// `RateLimit-Remaining: 0`, with `…-Reset` in seconds from now or as
    /// a Unix time).
    pub fn observe(&self, headers: &HeaderMap) {
        let Some(pause) = exhausted_reset(headers) else {
            return;
        };
        let pause = pause.min(self.max_pause);
        tracing::info!(
            pause_ms = pause.as_millis() as u64,
            "Rate limit exhausted; pausing requests"
        );
        let mut b = self.bucket.lock().expect("rate limiter lock");
        b.paused_until = Some(Instant::now() + pause);
    }
}

/// How long until the rate limit resets, when a response says none
/// remain (`X-RateLimit-Remaining: 0` or `RateLimit-Remaining: 0`, with
/// `…-Reset` in seconds from now, or as a Unix time).
pub fn exhausted_reset(headers: &HeaderMap) -> Option<Duration> {
    let get = |names: &[&str]| {
        names.iter().find_map(|n| {
            headers
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        })
    };
    let remaining = get(&["x-ratelimit-remaining", "ratelimit-remaining"])?;
    let reset = get(&["x-ratelimit-reset", "ratelimit-reset"])?;
    if remaining > 0.0 {
        return None;
    }
    let now_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let secs = if reset > 1_000_000_000.0 {
        reset - now_unix
    } else {
        reset
    };
    Some(Duration::from_secs_f64(secs.max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bucket_spaces_requests_after_the_burst() {
        let config = RateLimitConfig {
            requests_per_second: 10.0,
            burst: 2,
        };
        let limiter = RateLimiter::new(Some(&config), Duration::from_secs(60));
        let cancel = CancellationToken::new();
        let start = Instant::now();
        for _ in 0..12 {
            limiter.acquire(&cancel).await.unwrap();
        }
        // Two go at once, the other ten 100 ms apart.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(999) && elapsed < Duration::from_millis(1100),
            "{elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_headers_pause_until_reset() {
        let limiter = RateLimiter::new(None, Duration::from_secs(60));
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset", "5".parse().unwrap());
        limiter.observe(&headers);
        let start = Instant::now();
        limiter.acquire(&CancellationToken::new()).await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 5);
    }
}
