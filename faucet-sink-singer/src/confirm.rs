//! What the target has confirmed: the states it echoes become the stored
//! checkpoint, never a state it has not echoed.
//!
//! Every `STATE` the sink sends is numbered and kept in a [`Ledger`] with
//! the checkpoint it carries. A target echoes a state on its stdout once
//! it has committed every record before it; the confirmer reads those
//! lines, takes the checkpoint of the echoed number from the ledger (the
//! sink's own copy, not the target's re-serialisation of it) and stores it
//! in the sink's state file ([`FileStateStore`], written atomically), so a
//! crash at any moment resumes after the last confirmed state.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use faucet_core::FileStateStore;
use faucet_core::StateStore;
use faucet_core::connector::*;
use tokio::sync::mpsc;

use crate::mask::Masker;
use crate::protocol::echoed_sequence;

/// The states sent to one target and how far it has confirmed them.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    unconfirmed: VecDeque<(u64, Checkpoint)>,
    last_sent: Option<u64>,
    confirmed: Option<u64>,
    /// Why the confirmer stopped, for the next commit to report.
    failure: Option<FaucetError>,
}

impl Ledger {
    /// Notes that the state `sequence`, carrying `checkpoint`, was sent.
    pub(crate) fn sent(&mut self, sequence: u64, checkpoint: Checkpoint) {
        self.unconfirmed.push_back((sequence, checkpoint));
        self.last_sent = Some(sequence);
    }

    /// The checkpoint of state `sequence`, echoed by the target: it and
    /// every state before it are confirmed. `None` for a number that was
    /// not sent or is already confirmed.
    fn confirm(&mut self, sequence: u64) -> Option<Checkpoint> {
        if !self.unconfirmed.iter().any(|(s, _)| *s == sequence) {
            return None;
        }
        let mut found = None;
        while let Some((s, checkpoint)) = self.unconfirmed.pop_front() {
            if s == sequence {
                found = Some(checkpoint);
                break;
            }
        }
        self.confirmed = Some(sequence);
        found
    }

    /// Whether the target has confirmed the last state sent (or none was).
    pub(crate) fn all_confirmed(&self) -> bool {
        self.last_sent == self.confirmed
    }

    /// The number of the last state sent, if any.
    pub(crate) fn last_sent(&self) -> Option<u64> {
        self.last_sent
    }

    /// The error that stopped the confirmer, once.
    pub(crate) fn take_failure(&mut self) -> Option<FaucetError> {
        self.failure.take()
    }
}

/// A ledger shared by the sink and its confirmer.
pub(crate) type SharedLedger = Arc<Mutex<Ledger>>;

pub(crate) fn lock(ledger: &SharedLedger) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads the target's stdout lines until it closes, storing the
/// checkpoint of every state the target echoes.
pub(crate) async fn confirm_states(
    mut lines: mpsc::Receiver<Vec<u8>>,
    ledger: SharedLedger,
    store: FileStateStore,
    pipeline: String,
    masker: Masker,
) {
    while let Some(line) = lines.recv().await {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Some(sequence) = echoed_sequence(line) else {
            let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
            tracing::debug!(line = %masker.mask(&text), "The Singer target wrote a line that is not one of faucet's states");
            continue;
        };
        let Some(checkpoint) = lock(&ledger).confirm(sequence) else {
            tracing::debug!(
                sequence,
                "The Singer target echoed a state already confirmed"
            );
            continue;
        };
        if let Err(err) = store.save(&pipeline, &checkpoint).await {
            lock(&ledger).failure = Some(err);
            return;
        }
        tracing::debug!(
            sequence,
            "The Singer target confirmed a state; checkpoint stored"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(n: u64) -> Checkpoint {
        Checkpoint::new(json!({ "page": n }))
    }

    #[test]
    fn a_confirmation_covers_every_state_before_it() {
        let mut ledger = Ledger::default();
        assert!(ledger.all_confirmed());
        for n in 1..=3 {
            ledger.sent(n, cp(n));
        }
        assert!(!ledger.all_confirmed());
        assert_eq!(ledger.confirm(2), Some(cp(2)));
        assert_eq!(ledger.confirm(1), None, "already covered by 2");
        assert_eq!(ledger.confirm(9), None, "never sent");
        assert!(!ledger.all_confirmed());
        assert_eq!(ledger.confirm(3), Some(cp(3)));
        assert!(ledger.all_confirmed());
    }

    #[tokio::test]
    async fn echoed_states_are_stored_and_other_lines_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStateStore::new(dir.path());
        let ledger = SharedLedger::default();
        lock(&ledger).sent(1, cp(1));
        lock(&ledger).sent(2, Checkpoint::new(Value::Null));
        let (tx, rx) = mpsc::channel(4);
        let task = tokio::spawn(confirm_states(
            rx,
            ledger.clone(),
            store.clone(),
            "p".into(),
            Masker::default(),
        ));
        tx.send(b"not json\n".to_vec()).await.unwrap();
        tx.send(br#"{"faucet_sequence": 1, "faucet_checkpoint": {"page": 1}}"#.to_vec())
            .await
            .unwrap();
        tx.send(b"\n".to_vec()).await.unwrap();
        drop(tx);
        task.await.unwrap();
        assert_eq!(store.load("p").await.unwrap(), Some(cp(1)));
        assert!(!lock(&ledger).all_confirmed());
    }
}
