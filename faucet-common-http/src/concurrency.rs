//! Adaptive concurrency: how many requests may be in flight grows while
//! responses are healthy and halves on 429/503 (AIMD), within a maximum.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
}

/// The in-flight limit, shared by every request of a client.
#[derive(Debug)]
pub struct AdaptiveConcurrency {
    max: usize,
    state: Mutex<State>,
    changed: Notify,
}

/// One request's place in flight; released on drop.
#[derive(Debug)]
pub struct ConcurrencyPermit {
    owner: Arc<AdaptiveConcurrency>,
}

impl AdaptiveConcurrency {
    /// A limiter allowing up to `max` requests in flight, starting at `max`.
    pub fn new(max: usize) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(Self {
            max,
            state: Mutex::new(State {
                limit: max as f64,
                in_flight: 0,
            }),
            changed: Notify::new(),
        })
    }

    /// The current limit (whole requests).
    pub fn limit(&self) -> usize {
        self.state.lock().expect("concurrency lock").limit as usize
    }

    /// The configured maximum.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Waits for a place in flight.
    pub async fn acquire(self: &Arc<Self>) -> ConcurrencyPermit {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut s = self.state.lock().expect("concurrency lock");
                if s.in_flight < (s.limit as usize).max(1) {
                    s.in_flight += 1;
                    return ConcurrencyPermit {
                        owner: self.clone(),
                    };
                }
            }
            notified.await;
        }
    }

    /// A healthy response: the limit grows by about one per round trip
    /// (`1 / limit` per response), up to the maximum.
    pub fn on_success(&self) {
        let mut s = self.state.lock().expect("concurrency lock");
        let before = s.limit as usize;
        s.limit = (s.limit + 1.0 / s.limit).min(self.max as f64);
        if s.limit as usize > before {
            self.changed.notify_waiters();
        }
    }

    /// The server is overloaded (429/503): halve the limit, not below 1.
    pub fn on_overload(&self) {
        let mut s = self.state.lock().expect("concurrency lock");
        s.limit = (s.limit / 2.0).max(1.0);
        tracing::debug!(
            limit = s.limit,
            "Concurrency halved after an overload response"
        );
    }
}

impl Drop for ConcurrencyPermit {
    fn drop(&mut self) {
        let mut s = self.owner.state.lock().expect("concurrency lock");
        s.in_flight -= 1;
        drop(s);
        self.owner.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_on_overload_and_grows_back() {
        let c = AdaptiveConcurrency::new(8);
        c.on_overload();
        assert_eq!(c.limit(), 4);
        c.on_overload();
        c.on_overload();
        c.on_overload();
        assert_eq!(c.limit(), 1);
        for _ in 0..100 {
            c.on_success();
        }
        assert_eq!(c.limit(), 8);
    }

    #[tokio::test]
    async fn permits_are_bounded_by_the_limit() {
        let c = AdaptiveConcurrency::new(2);
        let a = c.acquire().await;
        let _b = c.acquire().await;
        let third = tokio::time::timeout(std::time::Duration::from_millis(20), c.acquire()).await;
        assert!(third.is_err(), "a third permit must wait");
        drop(a);
        let _c = tokio::time::timeout(std::time::Duration::from_secs(5), c.acquire())
            .await
            .expect("a released permit is reused");
    }
}
