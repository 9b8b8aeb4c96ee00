//! Feeds a run's progress into its record as pages commit.

use std::sync::Arc;

use faucet_core::{Checkpoint, DeliveryGuarantee, Observer, Progress};

use super::record::{RunCounts, RunState, now_ms};
use super::{Runs, Save};

/// Updates run `id`'s record from the pipeline's callbacks.
pub(super) struct RunObserver {
    pub(super) runs: Arc<Runs>,
    pub(super) id: String,
}

impl Observer for RunObserver {
    fn on_start(&self, _: &str, resumed_from: Option<&Checkpoint>, _: DeliveryGuarantee) {
        self.runs.update(&self.id, Save::Always, |record, masker| {
            record.state = RunState::Running;
            record.started_at_ms = Some(now_ms());
            record.resume = Some(match resumed_from {
                Some(checkpoint) => masker.text(&format!("resumed after checkpoint {checkpoint}")),
                None => "started fresh".to_owned(),
            });
        });
        let resume = self.runs.get(&self.id).and_then(|r| r.resume);
        self.runs.log(&self.id, "info", |_| {
            format!("Run started: {}.", resume.unwrap_or_default())
        });
    }

    fn on_page(&self, progress: &Progress) {
        let counts = RunCounts::from(progress);
        self.runs
            .update(&self.id, Save::Progress, |record, _| record.counts = counts);
    }

    fn on_checkpoint(&self, checkpoint: &Checkpoint) {
        let mut value = checkpoint.as_value().clone();
        self.runs.update(&self.id, Save::Never, |record, masker| {
            masker.json(&mut value);
            record.last_checkpoint = Some(value);
        });
    }
}
