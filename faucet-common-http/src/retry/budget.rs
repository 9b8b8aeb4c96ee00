//! How much retrying a run may do in all.

use std::sync::atomic::{AtomicU32, Ordering};

/// Retries left for a run, shared by every request of a client.
#[derive(Debug)]
pub struct RetryBudget {
    left: AtomicU32,
}

impl RetryBudget {
    /// A budget of `retries` retries.
    pub fn new(retries: u32) -> Self {
        Self {
            left: AtomicU32::new(retries),
        }
    }

    /// Takes one retry; `false` when the budget is spent.
    pub fn try_take(&self) -> bool {
        self.left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Retries left.
    pub fn remaining(&self) -> u32 {
        self.left.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_runs_out() {
        let budget = RetryBudget::new(2);
        assert!(budget.try_take() && budget.try_take());
        assert!(!budget.try_take());
        assert_eq!(budget.remaining(), 0);
    }
}
