//! Counting retries by cause, so a run's report says what it survived.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Counts retries by cause (`"429"`, `"503"`, `"timeout"`, `"connection"`,
/// `"malformed_body"`, …) for one run.
///
/// Cheap to clone: clones share the same counters. The pipeline gives one
/// to the source in its [`SourceContext`](crate::SourceContext); a source
/// hands a clone to whatever retries on its behalf, and the run's report
/// lists the totals.
///
/// ```
/// use faucet_core::RetryCounter;
///
/// let counter = RetryCounter::default();
/// counter.clone().record("429");
/// counter.record("429");
/// counter.record("timeout");
/// assert_eq!(counter.snapshot()["429"], 2);
/// assert_eq!(counter.total(), 3);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RetryCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RetryCounter {
    /// Counts one retry caused by `cause`.
    pub fn record(&self, cause: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match counts.get_mut(cause) {
            Some(n) => *n += 1,
            None => {
                counts.insert(cause.to_owned(), 1);
            }
        }
    }

    /// The counts so far, by cause.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// All retries so far.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}
