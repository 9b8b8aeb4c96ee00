//! Transient failures (connection lost, serialization failure, deadlock,
//! server shutdown): reconnect, replay the open transaction's log, go on.
//! Retries are bounded by `retries`, with exponential backoff. The layer
//! above a lane's transaction (`txn.rs`, `commit.rs`) and its connection
//! (`session.rs`).

use std::time::Duration;

use faucet_core::{FaucetError, Record, Result};
use futures::SinkExt;

use super::catalog;
use super::commit::CommitFailure;
use super::connect::pg_error;
use super::table::Tables;
use super::txn::{Lane, Step, end_copy};
use crate::config::Settings;

/// The retry budget of one operation.
struct Attempts {
    used: u32,
    max: u32,
    base: Duration,
}

impl Attempts {
    fn new(s: &Settings) -> Self {
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

impl Lane {
    /// Writes one page into the open transaction, retrying transient
    /// failures (`false`: as [`Lane::write_page`]).
    pub(crate) async fn write_page_retrying(
        &mut self,
        s: &Settings,
        tables: &mut Tables,
        n: usize,
        records: &[Record],
        page: u64,
        frozen: bool,
    ) -> Result<bool> {
        let mut attempts = Attempts::new(s);
        loop {
            let mark = self.txn.as_mut().map(|t| (t.log.len(), t.part(n).staged));
            match self.write_page(tables, n, records, page, frozen).await {
                Ok(written) => return Ok(written),
                Err(err) => {
                    // Forget this page's steps (a staging table it created
                    // among them): the page is written again after the
                    // earlier ones are replayed.
                    if let Some(txn) = &mut self.txn {
                        let (len, staged) = mark.unwrap_or_default();
                        txn.log.truncate(len);
                        txn.part(n).staged = staged;
                    }
                    self.recover(s, tables, err, &mut attempts).await?;
                }
            }
        }
    }

    /// Opens a transaction if none is open, retrying transient failures.
    pub(crate) async fn begin_retrying(&mut self, s: &Settings, tables: &mut Tables) -> Result<()> {
        let mut attempts = Attempts::new(s);
        loop {
            match self.begin().await {
                Ok(()) => return Ok(()),
                Err(err) => self.recover(s, tables, err, &mut attempts).await?,
            }
        }
    }

    /// Commits the open transaction (rows, merge, rejected records and the
    /// latest checkpoint together), retrying transient failures.
    pub(crate) async fn commit(&mut self, s: &Settings, tables: &mut Tables) -> Result<()> {
        let mut attempts = Attempts::new(s);
        while self.txn.is_some() {
            if let Err(failure) = self.try_commit(tables).await {
                self.recover_commit(s, tables, failure, &mut attempts)
                    .await?;
            }
        }
        Ok(())
    }

    /// After `err`: if it is transient and the budget allows, reconnect and
    /// replay the open transaction; otherwise return `err`.
    async fn recover(
        &mut self,
        s: &Settings,
        tables: &mut Tables,
        mut err: FaucetError,
        attempts: &mut Attempts,
    ) -> Result<()> {
        loop {
            if !err.is_retryable() || !attempts.wait().await {
                return Err(err);
            }
            tracing::warn!(error = %err, attempt = attempts.used, "Transient failure; replaying the open transaction on a new connection");
            match self.replay(s, tables).await {
                Ok(()) => return Ok(()),
                Err(next) => err = next,
            }
        }
    }

    /// After a failed commit. A `COMMIT` lost with its connection may have
    /// committed: the stored checkpoint tells, when the transaction carried
    /// a new one; if it cannot tell, the run stops (a rerun resumes from
    /// the stored checkpoint, exactly once).
    async fn recover_commit(
        &mut self,
        s: &Settings,
        tables: &mut Tables,
        failure: CommitFailure,
        attempts: &mut Attempts,
    ) -> Result<()> {
        let err = match failure {
            CommitFailure::Before(err)
            | CommitFailure::AtCommit {
                err,
                rejected: true,
            } => {
                return self.recover(s, tables, err, attempts).await;
            }
            CommitFailure::AtCommit {
                err,
                rejected: false,
            } => err,
        };
        let txn_checkpoint = self.txn.as_ref().and_then(|t| t.checkpoint.clone());
        let telling = txn_checkpoint.is_some() && txn_checkpoint != tables.committed;
        if !telling || !err.is_retryable() || !attempts.wait().await {
            return Err(FaucetError::sink_error(format!(
                "the connection was lost during COMMIT and whether it committed cannot be told; \
                 rerun the pipeline to resume from its stored checkpoint ({err})"
            )));
        }
        // The server may still be restarting: reconnecting takes retries
        // of its own.
        while let Err(err) = self.session.reconnect(s).await {
            if !err.is_retryable() || !attempts.wait().await {
                return Err(err);
            }
        }
        let stored = self.session.load_checkpoint().await?;
        if stored == txn_checkpoint {
            tracing::info!("The lost COMMIT had committed");
            self.txn = None;
            tables.committed = stored;
            return Ok(());
        }
        self.check_checkpoint(tables).await?;
        self.recover(s, tables, err, attempts).await
    }

    /// Fails when the stored checkpoint is not the last one this run
    /// committed, nor the one its other connection is committing (another
    /// run wrote the pipeline meanwhile).
    async fn check_checkpoint(&self, tables: &Tables) -> Result<()> {
        let stored = self.session.load_checkpoint().await?;
        if stored == tables.committed || (tables.in_flight.is_some() && stored == tables.in_flight)
        {
            return Ok(());
        }
        Err(FaucetError::sink_error(
            "the stored checkpoint changed under the sink: is another run writing the same pipeline?",
        ))
    }

    /// Opens a new connection and redoes the open transaction's steps, so
    /// the server holds exactly what it held before the failure.
    async fn replay(&mut self, s: &Settings, tables: &mut Tables) -> Result<()> {
        if self.session.reconnect(s).await? {
            self.check_checkpoint(tables).await?;
        }
        if let Some(txn) = &mut self.txn {
            txn.copy = None;
            let steps = txn.log.clone();
            self.session
                .execute("BEGIN", "starting a transaction")
                .await?;
            for step in steps {
                self.replay_step(step).await?;
            }
            // End a COPY left open: the next page starts a new one.
            self.finish_copy(&tables.list).await?;
            let replayed = self.txn.as_ref().map_or(0, |t| t.rows);
            tracing::info!(rows = replayed, "Replayed the open transaction");
        }
        for table in tables.list.iter_mut().filter(|t| t.known) {
            table.columns = catalog::read_columns(&self.session.client, &table.load).await?;
            table.layout = None;
        }
        Ok(())
    }

    async fn replay_step(&mut self, step: Step) -> Result<()> {
        match step {
            Step::Sql(sql) => self.session.execute(&sql, "replaying").await,
            Step::CopyStart(n, sql) => self.start_copy(n, &sql, "(replaying)", "").await,
            Step::Chunk(chunk) => {
                let (_, copy) = self
                    .txn
                    .as_mut()
                    .and_then(|t| t.copy.as_mut())
                    .expect("a COPY is open");
                copy.send(chunk).await.map_err(|e| pg_error("replaying", e))
            }
            Step::CopyEnd => {
                let (_, copy) = self
                    .txn
                    .as_mut()
                    .and_then(|t| t.copy.take())
                    .expect("a COPY is open");
                end_copy(copy, "replaying").await
            }
        }
    }
}
