//! When to try again: exponential backoff with full jitter and a cap, or
//! the server's `Retry-After`.

use std::time::{Duration, SystemTime};

use rand::RngExt;

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
        // Ceilings: retry 1 = 100 ms (initial), retry 3 = 100 × 2² = 400 ms,
        // retry 30 = min(1000, 100 × 2²⁹) = 1000 ms (the cap).
        let samples = |retry| {
            (0..400)
                .map(|_| backoff(&config, retry))
                .collect::<Vec<_>>()
        };
        for (retry, ceiling) in [(1, 100), (3, 400), (30, 1000)] {
            let max = samples(retry).into_iter().max().unwrap();
            assert!(max <= Duration::from_millis(ceiling), "{retry}: {max:?}");
        }
        // Growth: retry 3 draws uniformly from 0..=400 ms, so one draw above
        // retry 1's 100 ms ceiling has probability 3/4; missing in 400 draws
        // has probability (1/4)^400. Likewise retry 30 draws from 0..=1000 ms,
        // so some draw exceeds retry 3's 400 ms ceiling (p = 0.6 each) and
        // some reaches within 5% of the cap (p ≈ 0.05 each; miss ≈ 1e-9).
        let max3 = samples(3).into_iter().max().unwrap();
        assert!(
            max3 > Duration::from_millis(100),
            "retry 3 never grew: {max3:?}"
        );
        let max30 = samples(30).into_iter().max().unwrap();
        assert!(
            max30 > Duration::from_millis(400),
            "retry 30 never grew: {max30:?}"
        );
        assert!(
            max30 >= Duration::from_millis(950),
            "cap not reached: {max30:?}"
        );
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
