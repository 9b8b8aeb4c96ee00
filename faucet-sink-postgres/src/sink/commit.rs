//! Committing a lane's open transaction: end the `COPY`, merge the staged
//! rows (upsert), store rejected records, the table's marker and the
//! checkpoint, then `COMMIT`, all or nothing.

use faucet_core::{FaucetError, Result};

use super::connect::pg_error;
use super::table::Table;
use super::txn::Lane;
use super::{catalog, grants, marker, merge};
use crate::config::Settings;
use crate::sql::{Ident, QualifiedName};

/// How a commit failed.
pub(crate) enum CommitFailure {
    /// Before `COMMIT` was sent: the transaction is certainly not committed.
    Before(FaucetError),
    /// `COMMIT` itself failed. `rejected`: the server answered with an
    /// error, so nothing was committed; otherwise the outcome is unknown.
    AtCommit { err: FaucetError, rejected: bool },
}

impl Lane {
    /// One attempt at committing the open transaction; on success `table`
    /// knows the stored checkpoint and marker.
    pub(crate) async fn try_commit(
        &mut self,
        s: &Settings,
        table: &mut Table,
    ) -> Result<(), CommitFailure> {
        self.before_commit(s, table)
            .await
            .map_err(CommitFailure::Before)?;
        if let Err(e) = self.session.client.batch_execute("COMMIT").await {
            let rejected = e.as_db_error().is_some();
            let err = pg_error(&format!("committing rows into {}", table.load), e);
            return Err(CommitFailure::AtCommit { err, rejected });
        }
        let txn = self.txn.take().expect("a transaction is open");
        if txn.marks {
            table.marker = Some(self.session.pipeline.clone());
        }
        if txn.checkpoint.is_some() {
            table.committed = txn.checkpoint;
        }
        tracing::debug!(table = %table.load, rows = txn.rows, "Committed");
        Ok(())
    }

    /// Everything the commit does before `COMMIT`.
    async fn before_commit(&mut self, s: &Settings, table: &mut Table) -> Result<()> {
        self.finish_copy(table).await?;
        self.merge(s, table).await?;
        let session = &self.session;
        let txn = self.txn.as_ref().expect("a transaction is open");
        if !txn.dead.is_empty() {
            let dead = QualifiedName::new(&s.schema, &s.dead_letter_table);
            tracing::warn!(table = %dead, records = txn.dead.len(), "Records rejected");
            catalog::insert_dead_letters(&session.client, &dead, &session.pipeline, &txn.dead)
                .await?;
        }
        let marks =
            session.locked() && txn.rows > 0 && table.marker.as_ref() != Some(&session.pipeline);
        if marks {
            let (client, state, grant) = (&session.client, &session.state, &session.state_grant);
            marker::write(client, state, &table.target, &session.pipeline, grant).await?;
        }
        if let Some(checkpoint) = &txn.checkpoint {
            let (client, state, grant) = (&session.client, &session.state, &session.state_grant);
            catalog::save_checkpoint(client, state, &session.pipeline, checkpoint, grant).await?;
        }
        self.open_txn().marks = marks;
        Ok(())
    }

    /// Upsert: merges the staged rows into the load table.
    async fn merge(&mut self, s: &Settings, table: &mut Table) -> Result<()> {
        let txn = self.txn.as_ref().expect("a transaction is open");
        if !txn.staged {
            return Ok(());
        }
        let client = &self.session.client;
        let metadata: Vec<Ident> = s
            .loaded_at_column
            .iter()
            .chain(&s.run_id_column)
            .cloned()
            .collect();
        let plan = merge::MergePlan {
            key: &s.key,
            metadata: &metadata,
            dedupe: txn.staging.duplicates,
            deletes: txn.staging.deletes > 0,
            on_conflict: catalog::has_unique_index(client, &table.load, &s.key).await?,
        };
        let grant = grants::write_rows(s, &table.load);
        let load = table.load.clone();
        let layout = table.layout(s)?;
        merge::merge(client, &load, layout, &plan, &grant).await
    }
}
