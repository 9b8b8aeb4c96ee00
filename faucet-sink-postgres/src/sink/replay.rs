//! Transient failures (connection lost, serialization failure, deadlock,
//! server shutdown): reconnect, replay the open transaction's log, go on.
//! Retries are bounded by `retries`, with exponential backoff.

use std::time::Duration;

use faucet_core::{FaucetError, Result};
use futures::SinkExt;

use super::catalog;
use super::connect::pg_error;
use super::session::{Session, Step};
use super::txn::{CommitFailure, end_copy};
use crate::config::Settings;

/// The retry budget of one operation.
pub(super) struct Attempts {
    used: u32,
    max: u32,
    base: Duration,
}

impl Attempts {
    pub(super) fn new(s: &Settings) -> Self {
        Self {
            used: 0,
            max: s.retries,
            base: s.retry_backoff,
        }
    }

    /// Waits before the next attempt; `false` when the budget is spent.
    async fn wait(&mut self) -> bool {
        if self.used >= self.max {
            return false;
        }
        tokio::time::sleep(self.base * 2u32.saturating_pow(self.used)).await;
        self.used += 1;
        true
    }
}

impl Session {
    /// After `err`: if it is transient and the budget allows, reconnect and
    /// replay the open transaction; otherwise return `err`.
    pub(super) async fn recover(
        &mut self,
        s: &Settings,
        mut err: FaucetError,
        attempts: &mut Attempts,
    ) -> Result<()> {
        loop {
            if !err.is_retryable() || !attempts.wait().await {
                return Err(err);
            }
            tracing::warn!(error = %err, attempt = attempts.used, "Transient failure; replaying the open transaction on a new connection");
            match self.replay(s).await {
                Ok(()) => return Ok(()),
                Err(next) => err = next,
            }
        }
    }

    /// After a failed commit. A `COMMIT` lost with its connection may have
    /// committed: the stored checkpoint tells, when the transaction carried
    /// a new one; if it cannot tell, the run stops (a rerun resumes from
    /// the stored checkpoint, exactly once).
    pub(super) async fn recover_commit(
        &mut self,
        s: &Settings,
        failure: CommitFailure,
        attempts: &mut Attempts,
    ) -> Result<()> {
        let err = match failure {
            CommitFailure::Before(err)
            | CommitFailure::AtCommit {
                err,
                rejected: true,
            } => {
                return self.recover(s, err, attempts).await;
            }
            CommitFailure::AtCommit {
                err,
                rejected: false,
            } => err,
        };
        let txn_checkpoint = self.txn.as_ref().and_then(|t| t.checkpoint.clone());
        let telling = txn_checkpoint.is_some() && txn_checkpoint != self.committed;
        if !telling || !err.is_retryable() || !attempts.wait().await {
            return Err(FaucetError::sink_error(format!(
                "the connection was lost during COMMIT and whether it committed cannot be told; \
                 rerun the pipeline to resume from its stored checkpoint ({err})"
            )));
        }
        self.reconnect(s).await?;
        let stored = self.load_checkpoint().await?;
        if stored == txn_checkpoint {
            tracing::info!("The lost COMMIT had committed");
            self.txn = None;
            self.committed = stored;
            return Ok(());
        }
        if stored != self.committed {
            return Err(FaucetError::sink_error(
                "the stored checkpoint changed under the sink: is another run writing the same pipeline?",
            ));
        }
        self.recover(s, err, attempts).await
    }

    /// Opens a new connection and redoes the open transaction's steps, so
    /// the server holds exactly what it held before the failure.
    async fn replay(&mut self, s: &Settings) -> Result<()> {
        self.reconnect(s).await?;
        if let Some(txn) = &mut self.txn {
            txn.copy = None;
            let steps = txn.log.clone();
            self.client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| pg_error("starting a transaction", e))?;
            for step in steps {
                self.replay_step(step).await?;
            }
            // End a COPY left open: the next page starts a new one.
            self.finish_copy().await?;
            let replayed = self.txn.as_ref().map_or(0, |t| t.rows);
            tracing::info!(table = %self.load, rows = replayed, "Replayed the open transaction");
        }
        self.columns = catalog::read_columns(&self.client, &self.load).await?;
        self.layout = None;
        Ok(())
    }

    async fn replay_step(&mut self, step: Step) -> Result<()> {
        match step {
            Step::Sql(sql) => self
                .client
                .batch_execute(&sql)
                .await
                .map_err(|e| pg_error("replaying", e)),
            Step::CopyStart(sql) => self.start_copy(&sql, "").await,
            Step::Chunk(chunk) => {
                let copy = self
                    .txn
                    .as_mut()
                    .and_then(|t| t.copy.as_mut())
                    .expect("a COPY is open");
                copy.send(chunk).await.map_err(|e| pg_error("replaying", e))
            }
            Step::CopyEnd => {
                let copy = self
                    .txn
                    .as_mut()
                    .and_then(|t| t.copy.take())
                    .expect("a COPY is open");
                end_copy(copy, "replaying").await
            }
        }
    }
}
