//! When to try again: exponential backoff with full jitter and a cap, or
//! the server's `Retry-After`.

use std::time::{Duration, SystemTime};

use rand::Rng;

use super::RetryConfig;

/// The wait before retry number `retry` (1-based): a random duration in
/// `[0, min(cap, initial × 2^(retry-1))]` ("full jitter").
pub fn backoff(config: &RetryConfig, retry: u32) -> Duration {
    let exp = config
        .initial_backoff_ms
        .saturating_mul(1u64 << retry.saturating_sub(1).min(30));
    let ceiling = exp.min(config.max_backoff_ms);
    let ms = rand::rng().random_range(0..=ceiling);
    Duration::from_millis(ms)
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (a date in
/// the past means "now").
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let config = RetryConfig {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            ..RetryConfig::default()
        };
        for _ in 0..50 {
            assert!(backoff(&config, 1) <= Duration::from_millis(100));
            assert!(backoff(&config, 3) <= Duration::from_millis(400));
            assert!(backoff(&config, 30) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        let later = SystemTime::now() + Duration::from_secs(120);
        let wait = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
