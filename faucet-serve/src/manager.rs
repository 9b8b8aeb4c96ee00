//! Registration with a manager: the manifest, POSTed on start and then
//! at an interval, with backoff and jitter while the manager is away.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::RngExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Where and how often the server registers.
#[derive(Clone)]
#[non_exhaustive]
pub struct ManagerOptions {
    /// The URL the manifest is POSTed to (`FAUCET_MANAGER_URL`).
    pub url: String,
    /// The URL the manager reaches this server at, sent as
    /// `advertise_url` (`FAUCET_ADVERTISE_URL`). Default: none.
    pub advertise_url: Option<String>,
    /// A bearer token for the manager (`FAUCET_MANAGER_TOKEN`).
    /// Default: none.
    pub token: Option<String>,
    /// Time between registrations. Default: 30 s.
    pub interval: Duration,
    /// The first wait after a failed registration; it doubles with each
    /// failure up to `interval`, with jitter. Default: 1 s.
    pub retry_min: Duration,
}

impl std::fmt::Debug for ManagerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOptions")
            .field("url", &self.url)
            .field("advertise_url", &self.advertise_url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("interval", &self.interval)
            .field("retry_min", &self.retry_min)
            .finish()
    }
}

impl ManagerOptions {
    /// Registration at `url` every 30 s.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            advertise_url: None,
            token: None,
            interval: Duration::from_secs(30),
            retry_min: Duration::from_secs(1),
        }
    }

    /// From `FAUCET_MANAGER_URL`, `FAUCET_ADVERTISE_URL` and
    /// `FAUCET_MANAGER_TOKEN`; `None` when `FAUCET_MANAGER_URL` is unset or
    /// empty (the server stands alone).
    pub fn from_env() -> Option<Self> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let mut options = Self::new(var("FAUCET_MANAGER_URL")?);
        options.advertise_url = var("FAUCET_ADVERTISE_URL");
        options.token = var("FAUCET_MANAGER_TOKEN");
        Some(options)
    }

    /// Sets the URL sent as `advertise_url`.
    #[must_use]
    pub fn with_advertise_url(mut self, url: impl Into<String>) -> Self {
        self.advertise_url = Some(url.into());
        self
    }

    /// Sets the bearer token sent to the manager.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the time between registrations and the first wait after a
    /// failure.
    #[must_use]
    pub fn with_intervals(mut self, interval: Duration, retry_min: Duration) -> Self {
        self.interval = interval;
        self.retry_min = retry_min.min(interval);
        self
    }
}

/// Registrations made, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct Registrations {
    /// Accepted by the manager (a 2xx).
    pub(crate) ok: AtomicU64,
    /// Failed (unreachable, or not a 2xx).
    pub(crate) failed: AtomicU64,
}

/// POSTs `manifest` (with `advertise_url`) to the manager until `stop`.
pub(crate) async fn register(
    options: ManagerOptions,
    mut manifest: Value,
    counts: Arc<Registrations>,
    stop: CancellationToken,
) {
    manifest["advertise_url"] = options.advertise_url.clone().into();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut failures = 0u32;
    loop {
        let mut request = client.post(&options.url).json(&manifest);
        if let Some(token) = &options.token {
            request = request.bearer_auth(token);
        }
        let accepted = match request.send().await {
            Ok(response) if response.status().is_success() => true,
            Ok(response) => {
                tracing::warn!(
                    status = response.status().as_u16(),
                    "The manager refused the registration."
                );
                false
            }
            Err(err) => {
                tracing::warn!(error = %err.without_url(), "The manager is unreachable.");
                false
            }
        };
        let wait = if accepted {
            counts.ok.fetch_add(1, Ordering::Relaxed);
            failures = 0;
            options.interval
        } else {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            failures = failures.saturating_add(1);
            backoff(failures, options.retry_min, options.interval)
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The wait after the `failures`-th failure in a row: `retry_min`
/// doubled each time, capped at `cap`, then a random point in its upper
/// half (so servers that lost the same manager do not retry in step).
fn backoff(failures: u32, retry_min: Duration, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    let full = retry_min.saturating_mul(factor).min(cap);
    let ms = full.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_interval_with_jitter_in_its_upper_half() {
        let (min, cap) = (Duration::from_millis(100), Duration::from_millis(1000));
        for (failures, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            let wait = backoff(failures, min, cap).as_millis() as u64;
            assert!((full / 2..=full).contains(&wait), "{failures}: {wait}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let text = format!(
            "{:?}",
            ManagerOptions::new("http://m").with_token("tok-SECRET")
        );
        assert!(!text.contains("tok-SECRET"), "{text}");
    }
}
