//! The idle timeout: how long ago the target last did something.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// When the target last read input or wrote a line.
#[derive(Debug)]
pub(crate) struct Activity(Mutex<Instant>);

impl Activity {
    /// Activity now.
    pub(crate) fn new() -> Self {
        Self(Mutex::new(Instant::now()))
    }

    /// Records activity now.
    pub(crate) fn touch(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `work` until it ends (`Some`), or until `idle` has passed since
/// both the start and the last activity (`None`).
pub(crate) async fn guarded<F: Future>(
    activity: &Activity,
    idle: Duration,
    work: F,
) -> Option<F::Output> {
    activity.touch();
    tokio::pin!(work);
    loop {
        let deadline = activity.last() + idle;
        tokio::select! {
            out = &mut work => return Some(out),
            () = tokio::time::sleep_until(deadline) => {
                if activity.last() + idle <= Instant::now() {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_that_shows_activity_is_not_cut_and_idle_work_is() {
        let activity = std::sync::Arc::new(Activity::new());
        let busy = {
            let activity = activity.clone();
            async move {
                for _ in 0..5 {
                    tokio::time::sleep(Duration::from_millis(80)).await;
                    activity.touch();
                }
                "done"
            }
        };
        assert_eq!(
            guarded(&activity, Duration::from_millis(200), busy).await,
            Some("done")
        );
        let idle = tokio::time::sleep(Duration::from_secs(30));
        assert_eq!(
            guarded(&activity, Duration::from_millis(200), idle).await,
            None
        );
    }
}
